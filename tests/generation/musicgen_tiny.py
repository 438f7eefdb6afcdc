"""Tiny randomly initialised MusicGen checkpoints saved the way real ones are, for tests and the bench.

The layout matches ``huggingface-cli download facebook/musicgen-*``: config.json, model.safetensors,
generation_config.json and tokenizer/processor files, so the engine loads them through its real code path.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ["<pad>", "</s>", "<unk>"] + "calm piano lofi upbeat rock drums jazz ambient guitar synth slow fast".split()
CODEBOOK = 64


def _tokenizer():
    # a WordLevel vocabulary stands in for T5's sentencepiece model, which cannot be fetched offline
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def _sub_configs(sampling_rate: int, codebooks: int, ratios: list[int]):
    from transformers import EncodecConfig, MusicgenDecoderConfig, T5Config

    text = T5Config(vocab_size=len(WORDS), d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=8)
    hop = 1
    for r in ratios:
        hop *= r
    frame_rate = sampling_rate / hop
    # EnCodec derives its quantizer count from the bandwidth: n = 1000 * bw / (frame_rate * log2(codebook))
    bandwidth = codebooks * frame_rate * 6 / 1000
    audio = EncodecConfig(sampling_rate=sampling_rate, upsampling_ratios=ratios, hidden_size=16, num_filters=4,
                          num_lstm_layers=1, num_residual_layers=1, codebook_size=CODEBOOK,
                          target_bandwidths=[bandwidth])
    assert audio.num_quantizers == codebooks
    decoder = MusicgenDecoderConfig(vocab_size=CODEBOOK, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                    ffn_dim=32, num_codebooks=codebooks, pad_token_id=CODEBOOK,
                                    bos_token_id=CODEBOOK, max_position_embeddings=1024,
                                    # at the real 0.02 a 16-wide random decoder's logits are so flat that
                                    # text or melody cannot change a sample; wider weights let conditioning show
                                    initializer_factor=0.5)
    return text, audio, decoder


def _random_codebooks(model) -> None:
    # EnCodec initialises its codebooks to zeros (real ones are learned), which would make every code decode
    # to the same audio; random vectors make the output depend on the sampled codes, as with real weights.
    import torch

    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.copy_(torch.randn_like(layer.codebook.embed))
            layer.codebook.embed_avg.copy_(layer.codebook.embed)


def build_tiny_musicgen(folder: Path, sampling_rate: int = 8000, codebooks: int = 2, seed: int = 0) -> Path:
    """A 50 frames/s MusicGen (8 kHz, hop 160) with a 16-wide, 2-layer decoder; generates 1 s in well under 1 s."""
    import torch
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
    )

    text, audio, decoder = _sub_configs(sampling_rate, codebooks, [8, 5, 4])
    torch.manual_seed(seed)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    _random_codebooks(model)
    model.generation_config.decoder_start_token_id = CODEBOOK
    model.generation_config.pad_token_id = CODEBOOK
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(sampling_rate=sampling_rate),
                      tokenizer=_tokenizer()).save_pretrained(folder)
    return folder


def build_tiny_musicgen_melody(folder: Path, sampling_rate: int = 8000, codebooks: int = 2, seed: int = 0) -> Path:
    """The melody variant: same tiny parts plus the chroma projection; tokenizer files only (no torchaudio)."""
    import torch
    from transformers import MusicgenMelodyConfig, MusicgenMelodyDecoderConfig, MusicgenMelodyForConditionalGeneration

    text, audio, decoder = _sub_configs(sampling_rate, codebooks, [8, 5, 4])
    decoder = MusicgenMelodyDecoderConfig(**{k: v for k, v in decoder.to_dict().items()
                                             if k in MusicgenMelodyDecoderConfig().to_dict()
                                             and k not in ("model_type", "transformers_version")})
    torch.manual_seed(seed)
    config = MusicgenMelodyConfig(text_encoder=text, audio_encoder=audio, decoder=decoder, num_chroma=12,
                                  chroma_length=235)
    model = MusicgenMelodyForConditionalGeneration(config)
    _random_codebooks(model)
    model.generation_config.decoder_start_token_id = CODEBOOK
    model.generation_config.pad_token_id = CODEBOOK
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    _tokenizer().save_pretrained(folder)
    return folder
