"""A tiny randomly initialised Stable Audio Open pipeline saved the way the real one is, for tests.

The layout matches ``huggingface-cli download stabilityai/stable-audio-open-1.0``'s diffusers half:
model_index.json plus transformer/, vae/, projection_model/, text_encoder/, tokenizer/ and scheduler/
folders, so the engine loads it through StableAudioPipeline.from_pretrained like the real weights.
"""

from __future__ import annotations

from pathlib import Path

WORDS = "calm piano lofi upbeat rock drums jazz ambient guitar synth slow fast".split()
SAMPLING_RATE = 44100  # the real model's rate, so the engine's 44.1 kHz stereo contract is what gets tested
HOP = 2048  # the real autoencoder's hop too: 4 * 8 * 8 * 8 here, 2 * 4 * 4 * 8 * 8 in the real one
SAMPLE_SIZE = 128  # latent frames: 128 * 2048 / 44100 ≈ 5.94 s, enough for the studio's 5 s minimum


def _tokenizer():
    # T5's sentencepiece model cannot be fetched offline; a Unigram vocabulary with the same special tokens,
    # metaspace pre-tokenizer and </s> post-processor goes through the same T5Tokenizer class
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)] + [(f"▁{w}", -1.0) for w in WORDS]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=16)


def build_tiny_stable_audio(folder: Path, seed: int = 0) -> Path:
    """Save a ≈100k-parameter StableAudioPipeline to ``folder``; a 1 s piece takes well under a second on CPU."""
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=16, d_ff=32, num_layers=1,
                                           num_heads=2, d_kv=8))
    conditioning = 8
    projection_model = StableAudioProjectionModel(text_encoder_dim=16, conditioning_dim=conditioning,
                                                  min_value=0, max_value=512)
    latent = 4
    transformer = StableAudioDiTModel(sample_size=SAMPLE_SIZE, in_channels=latent, out_channels=latent, num_layers=2,
                                      attention_head_dim=8, num_attention_heads=2, num_key_value_attention_heads=1,
                                      cross_attention_dim=16, time_proj_dim=8,
                                      global_states_input_dim=2 * conditioning,
                                      cross_attention_input_dim=conditioning)
    vae = AutoencoderOobleck(encoder_hidden_size=4, downsampling_ratios=[4, 8, 8, 8], channel_multiples=[1, 2, 2, 2],
                             decoder_channels=4, decoder_input_channels=latent, audio_channels=2,
                             sampling_rate=SAMPLING_RATE)
    # the scheduler the real model_index.json names, with its published settings
    scheduler = CosineDPMSolverMultistepScheduler(sigma_min=0.3, sigma_max=500, sigma_data=1.0,
                                                  sigma_schedule="exponential", solver_order=2,
                                                  prediction_type="v_prediction")
    pipe = StableAudioPipeline(vae=vae, text_encoder=text_encoder, projection_model=projection_model,
                               tokenizer=tokenizer, transformer=transformer, scheduler=scheduler)
    folder.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(folder)
    return folder
