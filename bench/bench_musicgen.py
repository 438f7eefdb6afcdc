"""Time the MusicGen engine on CPU (and CUDA when present) with random-weight checkpoints.

Weights are random (speed only: the sound is noise). ``tiny`` is the test checkpoint; ``small-config``
is musicgen-small's published architecture (T5-base text encoder, 32 kHz EnCodec with 4 codebooks,
24-layer 1024-wide decoder) built from config alone, so no download is needed.

    .venv/bin/python -m bench.bench_musicgen --models tiny small-config --seconds 2 --devices cpu cuda
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def build_small_config(folder: Path) -> Path:
    import torch
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
    )

    from tests.generation.musicgen_tiny import _tokenizer

    text = T5Config(vocab_size=32128, d_model=768, d_ff=3072, num_layers=12, num_heads=12, d_kv=64)
    audio = EncodecConfig(sampling_rate=32000, upsampling_ratios=[8, 5, 4, 4], hidden_size=128, num_filters=64,
                          codebook_size=2048, target_bandwidths=[2.2], num_lstm_layers=2, norm_type="weight_norm",
                          use_causal_conv=False, normalize=False)
    decoder = MusicgenDecoderConfig(vocab_size=2048, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                    ffn_dim=4096, num_codebooks=4, pad_token_id=2048, bos_token_id=2048)
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    model.generation_config.decoder_start_token_id = 2048
    model.generation_config.pad_token_id = 2048
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(sampling_rate=32000),
                      tokenizer=_tokenizer()).save_pretrained(folder)
    return folder


def main() -> None:
    import torch

    from sonicai.music.generate.musicgen import MusicGenEngine
    from tests.generation.musicgen_tiny import build_tiny_musicgen

    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["tiny"], choices=["tiny", "small-config"])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--half", action="store_true", help="fp16 on CUDA")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    devices = [d for d in args.devices if d != "cuda" or torch.cuda.is_available()]
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, threads {args.threads}, GPU: {gpu}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for which in args.models:
            name = f"musicgen-{which}"
            t = time.perf_counter()
            (build_tiny_musicgen if which == "tiny" else build_small_config)(root / "musicgen" / name)
            print(f"{name}: built in {time.perf_counter() - t:.1f} s")
            for device in devices:
                engine = MusicGenEngine(name, root, device=device, allow_download=False, half=args.half)
                engine.generate("warm up", min(args.seconds, 0.5), seed=0)  # load + kernel warm-up
                t = time.perf_counter()
                out = engine.generate("calm lofi piano", args.seconds, seed=1)
                wall = time.perf_counter() - t
                print(f"  {device:5s} {out.summary['dtype']:8s} {args.seconds:.1f} s audio in {wall:.2f} s "
                      f"(x{wall / args.seconds:.2f} real time, {out.summary['windows']} window(s))")


if __name__ == "__main__":
    main()
