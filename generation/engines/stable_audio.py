"""Stable Audio Open 1.0 through Hugging Face diffusers (``StableAudioPipeline``), offline by default.

Weights are read from ``<models_dir>/stable-audio-open-1.0``: the folder ``huggingface-cli download
stabilityai/stable-audio-open-1.0 --local-dir ...`` makes, whose diffusers half is ``model_index.json`` plus
transformer/, vae/, projection_model/, text_encoder/, tokenizer/ and scheduler/ (the repository's top-level
``model.safetensors`` is the stable-audio-tools copy and is not read). Only when downloads are allowed
(``allow_download=True`` or ``SONICAI_ALLOW_DOWNLOADS=1``) does a missing folder fall back to
``from_pretrained("stabilityai/stable-audio-open-1.0")``, a gated repository that also needs a Hugging Face
token with its licence accepted; otherwise loading passes ``local_files_only=True``.

Length: the model makes one latent window of ``transformer.sample_size`` frames (1024 x 2048 samples at
44.1 kHz, ≈47.5 s) and is conditioned on the requested length, so anything up to that is one pass and the
result is cut to the exact duration in samples. Longer pieces are refused rather than stitched: its
windows are independent samples with no continuation mechanism, so joins would be audible.

Determinism: the initial noise comes from a CPU ``torch.Generator`` seeded with ``seed`` and the scheduler's
SDE noise from a Brownian tree seeded from that generator, so the same seed, model, device and dtype give
the same audio on CPU. The global torch RNG is forked (and seeded) around the call so any component that
draws from it is repeatable too and the caller's RNG state is untouched. On CUDA, kernels and fp16
accumulation differ between GPU models and drivers: repeatable on one machine, not bit-identical across them.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from .base import MODEL_CACHE, MODEL_CACHE_LOCK, EngineUnavailable, GenerationOutput, ProgressFn, downloads_allowed
from .musicgen import _Progress, resolve_device

NAME = "stable-audio-open-1.0"
REPO = "stabilityai/stable-audio-open-1.0"
# The pipeline's scheduler (CosineDPMSolverMultistepScheduler, named by the model's model_index.json) draws
# its SDE noise from a torchsde Brownian tree; diffusers swaps in a stub that fails at run time without it.
REQUIRED = {"diffusers": "diffusers==0.42.1", "torchsde": "torchsde==0.2.6"}
WEIGHT_PATTERNS = ("*.safetensors", "*.bin")

# The pipeline's scheduler keeps per-call state (timesteps, step index, noise sampler), so two jobs must not
# denoise through the same cached pipeline at once.
_RUN_LOCK = threading.Lock()


def weights_dir(models_dir: Path | str | None, name: str = NAME) -> Path:
    root = Path(models_dir) if models_dir is not None else Path("models")
    return root / name


def missing_parts(folder: Path) -> list[str]:
    """What the diffusers layout lacks: model_index.json, or a component folder it names.

    Checked up front because from_pretrained does not always fail on a missing component: without
    tokenizer/ it loads a tokenizer from elsewhere that then breaks mid-generation.
    """
    index = folder / "model_index.json"
    if not index.is_file():
        return ["model_index.json"]
    try:
        components = json.loads(index.read_text())
    except ValueError:
        return ["a readable model_index.json"]
    missing = []
    for part, spec in components.items():
        if part.startswith("_") or not isinstance(spec, list) or None in spec:
            continue  # metadata (_class_name, _diffusers_version) or an optional component left out
        sub = folder / part
        if not (sub.is_dir() and any(sub.iterdir())):
            missing.append(f"{part}/")
        elif part in ("transformer", "vae", "text_encoder") and not any(any(sub.glob(p)) for p in WEIGHT_PATTERNS):
            missing.append(f"{part}/ weights")
    return missing


def has_weights(folder: Path) -> bool:
    return not missing_parts(folder)


def missing_packages() -> list[str]:
    return [pin for module, pin in REQUIRED.items() if importlib.util.find_spec(module) is None]


def install_hint(folder: Path) -> str:
    missing = missing_parts(folder) if folder.is_dir() else []
    state = (f"are incomplete in {folder} (missing {', '.join(missing)})" if missing and folder.is_dir()
             and any(folder.iterdir()) else "are not installed")
    return (f"Stable Audio Open weights {state}: put them in {folder} (on a connected machine, after "
            f"accepting the licence at huggingface.co/{REPO}: `huggingface-cli download {REPO} --local-dir "
            f"{folder}`, then copy the folder here), or set SONICAI_ALLOW_DOWNLOADS=1 with a Hugging Face token "
            f"to let the server download {REPO}.")


class StableAudioEngine:
    """Text to music (and sound) with Stable Audio Open through diffusers' StableAudioPipeline."""

    engine = "diffusers"

    def __init__(self, name: str = NAME, models_dir: Path | str | None = None, device: str | None = None,
                 allow_download: bool | None = None, num_inference_steps: int = 100, half: bool = False):
        if num_inference_steps < 1:
            raise ValueError("num_inference_steps must be at least 1")
        self.name = name
        self.folder = weights_dir(models_dir, name)
        self.device = device
        self.allow_download = downloads_allowed(allow_download)
        # 100 is the pipeline's default; the model card uses 200 for its best quality at twice the time
        self.num_inference_steps = num_inference_steps
        # fp16 halves memory on GPU (the model card runs it that way); off by default because it changes the
        # output and this build's tests run on CPU only
        self.half = half

    # -- availability and loading ------------------------------------------------------------------

    def available(self) -> tuple[bool, str]:
        missing = missing_packages()
        if missing:
            where = f"weights in {self.folder}" if has_weights(self.folder) else install_hint(self.folder)
            return False, f"needs `pip install {' '.join(missing)}`; {where}"
        if has_weights(self.folder):
            return True, f"weights in {self.folder}"
        if self.allow_download:
            return True, f"weights will be downloaded from {REPO} on first use (needs a Hugging Face token)"
        return False, install_hint(self.folder)

    def _source(self) -> tuple[str, bool]:
        missing = missing_packages()
        if missing:
            raise EngineUnavailable(f"{self.name} needs `pip install {' '.join(missing)}`")
        if has_weights(self.folder):
            return str(self.folder), True
        if self.allow_download:
            return REPO, False
        raise EngineUnavailable(install_hint(self.folder))

    def load(self, device: str | None = None):
        """The StableAudioPipeline, cached across calls for the same folder/device/dtype."""
        import torch

        source, local_only = self._source()
        device = resolve_device(device or self.device)
        dtype = torch.float16 if (self.half and device.startswith("cuda")) else torch.float32
        key = ("stable-audio", source, device, str(dtype))
        with MODEL_CACHE_LOCK:
            if key in MODEL_CACHE:
                return MODEL_CACHE[key]
            MODEL_CACHE.clear()  # one multi-GB model in memory at a time, whichever engine loaded it
            from diffusers import StableAudioPipeline

            # The scheduler's last step goes to sigma 0, below the Brownian tree's sigma_min; torchsde warns on
            # every such query although the noise it returns is unused there. Silence just that message.
            warnings.filterwarnings("ignore", message=r"Should have (ta|tb)", module=r"torchsde\.")

            try:
                pipe = StableAudioPipeline.from_pretrained(source, local_files_only=local_only, dtype=dtype)
            except (OSError, ValueError) as exc:  # incomplete folder (a component missing) or no cache offline
                raise EngineUnavailable(f"{install_hint(self.folder)} ({exc})") from exc
            pipe.to(device)
            # progress goes through the job's callback; tqdm bars would only clutter worker logs
            pipe.set_progress_bar_config(disable=True)
            MODEL_CACHE[key] = pipe
            return pipe

    # -- generation --------------------------------------------------------------------------------

    def generate(self, prompt: str, duration: float, seed: int, guidance_scale: float = 7.0, temperature: float = 1.0,
                 top_k: int = 250, melody: tuple[np.ndarray, int] | None = None, progress: ProgressFn | None = None,
                 device: str | None = None, negative_prompt: str | None = None) -> GenerationOutput:
        # temperature and top_k are token-sampling knobs of autoregressive models; a diffusion model has none
        import torch

        if not prompt or not prompt.strip():
            raise ValueError("The prompt is empty.")
        if not duration > 0:
            raise ValueError("duration must be positive")
        if melody is not None:
            raise ValueError(f"{self.name} does not take a melody; use musicgen-melody.")
        report = _Progress(progress)
        report(1, "loading model")
        t0 = time.perf_counter()
        pipe = self.load(device)
        load_s = time.perf_counter() - t0

        sr = int(pipe.vae.config.sampling_rate)
        max_seconds = pipe.transformer.config.sample_size * pipe.vae.hop_length / sr
        if duration > max_seconds:
            raise ValueError(f"{self.name} makes at most {max_seconds:.1f} s in one piece; "
                             f"ask for {int(max_seconds)} s or less, or use a MusicGen model or the composer.")
        n_samples = int(round(duration * sr))
        steps = self.num_inference_steps

        def on_step(step: int, _t, _latents) -> None:
            report(5 + int(85 * (step + 1) / steps), f"denoising step {step + 1}/{steps}")

        dev = pipe.device
        devices = [dev.index or 0] if dev.type == "cuda" else []
        t_gen = time.perf_counter()
        with _RUN_LOCK, torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed)
            # a CPU generator gives the same starting noise whichever device denoises
            generator = torch.Generator("cpu").manual_seed(seed)
            # latents out, decoded here, so the audio can be cut to the exact sample count: the pipeline's
            # own cut is int(seconds * sr), which float rounding can leave one sample short
            latents = pipe(prompt, negative_prompt=negative_prompt, audio_start_in_s=0.0, audio_end_in_s=duration,
                           num_inference_steps=steps, guidance_scale=guidance_scale, generator=generator,
                           callback=on_step, callback_steps=1, output_type="latent").audios
            report(92, "decoding")
            wav = pipe.vae.decode(latents).sample[0]
        gen_s = time.perf_counter() - t_gen
        report(97, "finishing")

        audio = wav[:, :n_samples].float().cpu().numpy()
        if audio.shape[1] < n_samples:  # the decoder outputs sample_size * hop samples, more than max_seconds
            raise RuntimeError(f"Stable Audio produced {audio.shape[1]} samples, expected {n_samples}")
        if audio.shape[0] == 1:  # the studio's contract is stereo; the real autoencoder already is
            audio = np.repeat(audio, 2, axis=0)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        summary = {
            "engine": "diffusers", "model": self.name, "device": str(dev),
            "dtype": str(pipe.transformer.dtype).replace("torch.", ""),
            "seed": seed, "duration": n_samples / sr, "sr": sr, "guidance_scale": guidance_scale,
            "num_inference_steps": steps, "negative_prompt": negative_prompt, "max_seconds": round(max_seconds, 2),
            "load_s": round(load_s, 3), "generate_s": round(gen_s, 3),
            "realtime_factor": round(gen_s / max(duration, 1e-9), 3),
        }
        report(100, "done")
        return GenerationOutput(audio, sr, summary)
