"""GPU speed and memory of the neural engines, with randomly initialised weights of the real sizes.

Prepared for a machine with a CUDA GPU (none here: every number in the docs so far is CPU). Each engine runs through
SonicAI's own engine code, on a model built from the published architecture with random weights (speed and memory
do not depend on the values; the sound is noise):

* ``spleeter-2stems`` / ``-4stems`` / ``-5stems``: ``SpleeterNet`` of Deezer's configs (9.8M parameters per U-Net),
  through ``separate_spleeter`` (chunks of 3 x 512 frames, as in production).
* ``htdemucs`` (42.0M parameters: bottom_channels 512, dconv_mode 3; fp16 this is the 84 MB checkpoint),
  ``htdemucs_ft`` (a bag of four of them), ``htdemucs_6s`` (26.9M): ``DemucsEngine(model=...)``, segment by segment.
* ``musicgen-small`` / ``-medium`` / ``-large``: T5-base + 32 kHz EnCodec + the published decoders, saved and loaded
  by ``MusicGenEngine`` (30 s windows with 10 s overlap for longer pieces).
* ``stable-audio-open-1.0``: the published DiT, Oobleck autoencoder, T5-base and projection, saved and loaded by
  ``StableAudioEngine``.

For each: wall time, real-time factor (seconds of compute per second of audio; below 1 is faster than real time),
peak GPU memory (``torch.cuda.max_memory_allocated``) and, as the baseline measured in the same run, the same engine
on the CPU for a shorter piece (``--cpu-seconds``; diffusion per denoising step), printed as the GPU's speed-up.

    .venv/bin/python -m bench.bench_gpu                        # every engine, 60 s of audio, on cuda
    .venv/bin/python -m bench.bench_gpu --engines htdemucs spleeter-4stems --seconds 600 --json /tmp/gpu.json
    .venv/bin/python -m bench.bench_gpu --device cpu --seconds 2 --steps 2 --no-cpu-baseline   # smoke test

Record results with the card they came from (the script prints ``torch.cuda.get_device_name``).
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

SEPARATION = ("spleeter-2stems", "spleeter-4stems", "spleeter-5stems", "htdemucs", "htdemucs_ft", "htdemucs_6s")
GENERATION = ("musicgen-small", "musicgen-medium", "musicgen-large", "stable-audio-open-1.0")
MUSICGEN_DECODERS = {  # hidden size, layers, heads, ffn (audiocraft's published configs)
    "musicgen-small": (1024, 24, 16, 4096), "musicgen-medium": (1536, 48, 24, 6144),
    "musicgen-large": (2048, 48, 32, 8192),
}
SR = 44100


def song(seconds: float, sr: int = SR) -> np.ndarray:
    """A stereo test signal (tones and noise bursts); separation cost does not depend on the content."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    bursts = rng.standard_normal(t.size) * (t % 0.5 < 0.05)
    return np.stack([0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * bursts,
                     0.2 * np.sin(2 * np.pi * 330 * t) + 0.1 * bursts]).astype(np.float32)


# -- engines with random weights --------------------------------------------------------------------------------


def spleeter_runner(name: str, device: str) -> Callable[[float], None]:
    import torch

    from sonicai.music.separation.spleeter import CONFIGS, SpleeterNet, separate_spleeter

    torch.manual_seed(0)
    model = SpleeterNet(CONFIGS[name.split("-")[1]]).to(device).eval().to(memory_format=torch.channels_last)
    return lambda seconds: separate_spleeter(model, song(seconds), device)


def demucs_runner(name: str, device: str) -> Callable[[float], None]:
    import torch
    from demucs.apply import BagOfModels
    from demucs.htdemucs import HTDemucs

    from sonicai.music.separation.demucs_engine import DemucsEngine

    torch.manual_seed(0)
    four = ["drums", "bass", "other", "vocals"]

    def one(sources, **kw):
        return HTDemucs(sources=sources, segment=Fraction(39, 5), **kw).eval()

    if name == "htdemucs_6s":
        model = one([*four, "guitar", "piano"])
    elif name == "htdemucs_ft":
        model = BagOfModels([one(four, bottom_channels=512, dconv_mode=3) for _ in range(4)],
                            weights=np.eye(4).tolist())
    else:
        model = one(four, bottom_channels=512, dconv_mode=3)
    engine = DemucsEngine(name, model=model, device=device)
    return lambda seconds: engine.separate(song(seconds), SR)


def build_musicgen(name: str, folder: Path) -> Path:
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

    hidden, layers, heads, ffn = MUSICGEN_DECODERS[name]
    text = T5Config(vocab_size=32128, d_model=768, d_ff=3072, num_layers=12, num_heads=12, d_kv=64)
    audio = EncodecConfig(sampling_rate=32000, upsampling_ratios=[8, 5, 4, 4], hidden_size=128, num_filters=64,
                          codebook_size=2048, target_bandwidths=[2.2], num_lstm_layers=2, norm_type="weight_norm",
                          use_causal_conv=False, normalize=False)
    decoder = MusicgenDecoderConfig(vocab_size=2048, hidden_size=hidden, num_hidden_layers=layers,
                                    num_attention_heads=heads, ffn_dim=ffn, num_codebooks=4, pad_token_id=2048,
                                    bos_token_id=2048)
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    model.generation_config.decoder_start_token_id = 2048
    model.generation_config.pad_token_id = 2048
    model.save_pretrained(folder)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(sampling_rate=32000),
                      tokenizer=_tokenizer()).save_pretrained(folder)
    return folder


def build_stable_audio(folder: Path) -> Path:
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from transformers import T5Config, T5EncoderModel

    from tests.generation.stable_audio_tiny import _tokenizer

    torch.manual_seed(0)
    pipe = StableAudioPipeline(
        vae=AutoencoderOobleck(encoder_hidden_size=128, downsampling_ratios=[2, 4, 4, 8, 8],
                               channel_multiples=[1, 2, 4, 8, 16], decoder_channels=128, decoder_input_channels=64,
                               audio_channels=2, sampling_rate=SR),
        text_encoder=T5EncoderModel(T5Config(vocab_size=32128, d_model=768, d_ff=3072, num_layers=12, num_heads=12,
                                             d_kv=64)),
        projection_model=StableAudioProjectionModel(text_encoder_dim=768, conditioning_dim=768, min_value=0,
                                                    max_value=512),
        tokenizer=_tokenizer(),
        transformer=StableAudioDiTModel(sample_size=1024, in_channels=64, num_layers=24, attention_head_dim=64,
                                        num_attention_heads=24, num_key_value_attention_heads=12, out_channels=64,
                                        cross_attention_dim=768, time_proj_dim=256, global_states_input_dim=1536,
                                        cross_attention_input_dim=768),
        scheduler=CosineDPMSolverMultistepScheduler(sigma_min=0.3, sigma_max=500, sigma_data=1.0,
                                                    sigma_schedule="exponential", solver_order=2,
                                                    prediction_type="v_prediction"))
    pipe.save_pretrained(folder)
    return folder


def generation_runner(name: str, device: str, root: Path, steps: int) -> Callable[[float], None]:
    from sonicai.music.generate.musicgen import MusicGenEngine
    from sonicai.music.generate.stable_audio import StableAudioEngine

    if name.startswith("musicgen"):
        folder = root / "musicgen" / name
        if not folder.is_dir():
            build_musicgen(name, folder)
        engine = MusicGenEngine(name, root, device=device, allow_download=False)
    else:
        folder = root / name
        if not folder.is_dir():
            build_stable_audio(folder)
        engine = StableAudioEngine(name, root, device=device, allow_download=False, num_inference_steps=steps)
    engine.load(device)  # loading is not what is timed
    return lambda seconds: engine.generate("calm piano", seconds, seed=1)


# -- measuring --------------------------------------------------------------------------------------------------


def measure(run: Callable[[float], None], seconds: float, device: str) -> dict:
    import torch

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    run(seconds)
    if cuda:
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    out = {"audio_s": seconds, "wall_s": round(wall, 3), "rtf": round(wall / seconds, 4)}
    if cuda:
        out["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    return out


def runner(name: str, device: str, root: Path, steps: int) -> Callable[[float], None]:
    if name.startswith("spleeter"):
        return spleeter_runner(name, device)
    if name.startswith("htdemucs"):
        return demucs_runner(name, device)
    return generation_runner(name, device, root, steps)


def release() -> None:
    import torch

    from sonicai.music.loaded import LOADED

    LOADED.clear()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def main(argv: list[str] | None = None) -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=[*SEPARATION, *GENERATION],
                        choices=[*SEPARATION, *GENERATION])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio per separation / generation")
    parser.add_argument("--gen-seconds", type=float, default=None, help="audio per generation (default --seconds, "
                        "at most 47 for Stable Audio)")
    parser.add_argument("--steps", type=int, default=100, help="Stable Audio's denoising steps (its default)")
    parser.add_argument("--cpu-seconds", type=float, default=10.0, help="the CPU baseline's piece (separation)")
    parser.add_argument("--cpu-gen-seconds", type=float, default=2.0, help="the CPU baseline's piece (MusicGen)")
    parser.add_argument("--no-cpu-baseline", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here: run this on a GPU machine (or --device cpu for a smoke test)")
    card = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    print(f"device: {args.device} ({card}); torch {torch.__version__}; CPU threads {torch.get_num_threads()}")
    root = Path(tempfile.mkdtemp(prefix="sonicai-bench-gpu-"))
    results = []
    try:
        for name in args.engines:
            generation = name in GENERATION
            seconds = (args.gen_seconds or args.seconds) if generation else args.seconds
            if name.startswith("stable-audio"):
                seconds = min(seconds, 47.0)  # one latent window
            row = {"engine": name, "device": args.device, "card": card}
            run = runner(name, args.device, root, args.steps)
            run(min(seconds, 2.0))  # warm-up: kernels, cuDNN autotuning, allocator
            row.update(measure(run, seconds, args.device))
            del run
            release()
            if not args.no_cpu_baseline and args.device != "cpu":
                cpu_steps = 2 if name.startswith("stable-audio") else args.steps
                cpu_seconds = min(args.cpu_gen_seconds if generation else args.cpu_seconds, seconds)
                cpu = measure(runner(name, "cpu", root, cpu_steps), cpu_seconds, "cpu")
                # diffusion: its time is per denoising step, not per second of audio
                cpu_rtf = cpu["rtf"] * (args.steps / cpu_steps) * (cpu_seconds / seconds) \
                    if name.startswith("stable-audio") else cpu["rtf"]
                row["cpu_baseline"] = {**cpu, "rtf_equivalent": round(cpu_rtf, 4)}
                row["speedup_vs_cpu"] = round(cpu_rtf / row["rtf"], 1)
                release()
            results.append(row)
            extra = f", peak {row['peak_gpu_gib']} GiB" if "peak_gpu_gib" in row else ""
            base = f", {row['speedup_vs_cpu']}x the CPU" if "speedup_vs_cpu" in row else ""
            print(f"{name:>22}: {row['audio_s']:.0f} s of audio in {row['wall_s']:.1f} s (RTF {row['rtf']:.3f}"
                  f"{extra}{base})", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
