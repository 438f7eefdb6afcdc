"""A tiny randomly initialised Stable Diffusion pipeline saved the way riffusion-model-v1 is, for tests.

The layout matches riffusion/riffusion-model-v1's diffusers folder (model_index.json plus unet/, vae/,
text_encoder/, tokenizer/ and scheduler/; the safety checker is left out as the engine never loads it), so the
engine goes through StableDiffusionPipeline.from_pretrained like the real weights. It draws 64x64 images
instead of 512x512: the engine resamples rows to the real 512 mel bins, so the audio path is the real one.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path

IMAGE_SIZE = 64  # pixels each way: unet sample_size 32 times the 2x VAE


def _tokenizer(folder: Path):
    # CLIP's BPE files cannot be fetched offline; a character-level vocabulary (every letter alone and as a
    # word end, no merges) goes through the same CLIPTokenizer class and file format
    from transformers import CLIPTokenizer

    letters = string.ascii_lowercase + string.digits
    tokens = ["<|startoftext|>", "<|endoftext|>"] + list(letters) + [f"{c}</w>" for c in letters]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=16)


def build_tiny_riffusion(folder: Path, seed: int = 0) -> Path:
    """Save a small StableDiffusionPipeline to ``folder``; one 64x64 image takes well under a second on CPU."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:  # the vocabulary files are read here and saved with the pipeline
        tokenizer = _tokenizer(Path(tmp))
    text_encoder = CLIPTextModel(CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1,
                                                vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                                num_attention_heads=2, num_hidden_layers=1, max_position_embeddings=16))
    unet = UNet2DConditionModel(sample_size=IMAGE_SIZE // 2, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(8, 16), norm_num_groups=4, cross_attention_dim=16,
                                attention_head_dim=2,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16),
                        norm_num_groups=4, layers_per_block=1,
                        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2)
    # Stable Diffusion 1.5's scheduler settings (riffusion-model-v1 ships a PNDM config with the same betas)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    folder.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(folder)
    return folder
