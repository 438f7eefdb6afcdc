"""Every text-to-music model the studio knows, whether it is installed here, and the engine that runs it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from sonicai.music.progress import Progress

from .base import EngineUnavailable, GenerationOutput
from .musicgen import MODELS as MUSICGEN_MODELS
from .musicgen import MusicGenEngine, has_weights, install_hint, weights_dir
from .riffusion import MAX_SECONDS as RIFFUSION_MAX_SECONDS
from .riffusion import RiffusionEngine
from .stable_audio import REQUIRED as STABLE_AUDIO_REQUIRED
from .stable_audio import StableAudioEngine

COMPOSER = "composer"
DEFAULT_MODEL = COMPOSER
DIFFUSERS_PIN = STABLE_AUDIO_REQUIRED["diffusers"]  # checked with `pip index versions diffusers`

# Diffusion models and their engines. A model listed in DIFFUSION_MODELS without an engine here is shown so users
# can see what exists, but reported as not runnable.
RUNNABLE_DIFFUSION = {"stable-audio-open-1.0": StableAudioEngine, "riffusion-v1": RiffusionEngine}
DIFFUSION_MODELS = {
    "stable-audio-open-1.0": {
        "repo": "stabilityai/stable-audio-open-1.0", "size": "1.2B params, ≈4.9 GB",
        "licence": "Stability AI Community License (non-commercial use free; commercial use needs a licence "
                   "for organisations over USD 1M revenue)",
        "speed_class": "GPU required in practice", "max_seconds": 47,
    },
    "riffusion-v1": {
        "repo": "riffusion/riffusion-model-v1", "size": "1.1B params (Stable Diffusion 1.5), ≈4 GB",
        "licence": "CreativeML OpenRAIL-M", "speed_class": "GPU recommended",
        # 5.12 s spectrogram images crossfaded (not continued), so the cap is the engine's own
        "max_seconds": RIFFUSION_MAX_SECONDS,
    },
}


def _composer_entry() -> dict:
    try:
        ok = importlib.util.find_spec("sonicai.music.compose.engine") is not None
        message = "ready: offline composer (arrangement + SoundFont synthesis)" if ok else \
            "the composer module sonicai.music.compose.engine is missing from this build"
    except ImportError as exc:
        ok, message = False, f"the composer cannot be imported: {exc}"
    if ok:
        try:
            from sonicai.music.compose import engine as _  # noqa: F401  -- import errors surface here, not mid-job
        except Exception as exc:  # a broken dependency must show in the list rather than fail every job
            ok, message = False, f"the composer cannot be imported: {exc}"
    return {
        "engine": COMPOSER, "model": COMPOSER, "installed": ok, "message": message,
        "size": "no weights; uses a General MIDI SoundFont (≈6 MB TimGM6mb from pretty_midi, or a system one)",
        "licence": "MIT (SonicAI code); SoundFont under its own licence (TimGM6mb: GPL-2.0, FluidR3_GM: MIT)",
        "speed_class": "faster than real time on CPU", "default": DEFAULT_MODEL == COMPOSER,
        "supports_melody": False,
    }


def list_models(models_dir: Path | str | None) -> list[dict]:
    """One dict per model for /api/v1/generate/models: engine, model, installed, message, size, licence,
    speed_class, default, supports_melody."""
    entries = [_composer_entry()]
    for name, info in MUSICGEN_MODELS.items():
        ok, message = MusicGenEngine(name, models_dir).available()
        entries.append({
            "engine": "musicgen", "model": name, "installed": ok,
            "message": f"ready ({message})" if ok else message,
            "size": f"{info.params}, {info.download}",
            "licence": "CC-BY-NC 4.0 (model weights, non-commercial); MIT (transformers code)",
            "speed_class": info.speed_class, "default": DEFAULT_MODEL == name, "supports_melody": info.melody,
        })
    root = Path(models_dir) if models_dir is not None else Path("models")
    diffusers_present = importlib.util.find_spec("diffusers") is not None
    for name, info in DIFFUSION_MODELS.items():
        if name in RUNNABLE_DIFFUSION:
            ok, message = RUNNABLE_DIFFUSION[name](name, models_dir).available()
            message = f"ready ({message})" if ok else message
        else:
            ok, message = False, _listed_only_message(name, info, root / name, diffusers_present)
        entries.append({
            "engine": "diffusers", "model": name, "installed": ok, "message": message,
            "size": info["size"], "licence": info["licence"], "speed_class": info["speed_class"],
            "default": False, "supports_melody": False,
        })
    return entries


def _listed_only_message(name: str, info: dict, folder: Path, diffusers_present: bool) -> str:
    weights = folder.is_dir() and any(folder.iterdir())
    missing = []
    if not diffusers_present:
        missing.append(f"`pip install {DIFFUSERS_PIN}`")
    if not weights:
        missing.append(f"put the weights in {folder} (`huggingface-cli download {info['repo']} "
                       f"--local-dir {folder}` on a connected machine)")
    runnable = ", ".join(RUNNABLE_DIFFUSION)
    return (f"listed but not runnable in this build: SonicAI has no engine for {name} (only {runnable} "
            "run through diffusers)" + (f"; it would also need {' and '.join(missing)}" if missing else ""))


def max_duration(name: str) -> float | None:
    """The longest piece a model makes in one request, or None when the engine has no limit of its own."""
    info = DIFFUSION_MODELS.get(name)
    return float(info["max_seconds"]) if info else None


class ComposerEngine:
    """The offline composer behind the same generate() signature as the model engines."""

    engine = COMPOSER
    name = COMPOSER

    def available(self) -> tuple[bool, str]:
        entry = _composer_entry()
        return entry["installed"], entry["message"]

    def generate(self, prompt: str, duration: float, seed: int, guidance_scale: float = 3.0, temperature: float = 1.0,
                 top_k: int = 250, melody: tuple[np.ndarray, int] | None = None, progress: Progress | None = None,
                 device: str | None = None) -> GenerationOutput:
        # guidance, temperature, top_k and device are sampling knobs of neural models; the composer is rule-based
        if melody is not None:
            raise ValueError("The composer does not take a melody; use musicgen-melody.")
        from sonicai.music.compose.engine import compose

        result = compose(prompt, duration, seed, progress=progress)
        summary = dict(result.summary)
        summary.setdefault("engine", COMPOSER)
        return GenerationOutput(result.audio, result.sr, summary, midi=result.midi)


def get_engine(name: str, models_dir: Path | str | None, device: str | None = None):
    """The engine object for a model name from list_models(); raises EngineUnavailable for listed models
    this build cannot run and ValueError for unknown names."""
    if name == COMPOSER:
        return ComposerEngine()
    if name in MUSICGEN_MODELS:
        return MusicGenEngine(name, models_dir, device=device)
    if name in RUNNABLE_DIFFUSION:
        return RUNNABLE_DIFFUSION[name](name, models_dir, device=device)
    if name in DIFFUSION_MODELS:
        entry = next(e for e in list_models(models_dir) if e["model"] == name)
        raise EngineUnavailable(f"{name}: {entry['message']}")
    if name.startswith("musicgen-") and has_weights(weights_dir(models_dir, name)):
        # a fine-tuned or community MusicGen checkpoint placed next to the official ones
        return MusicGenEngine(name, models_dir, device=device)
    if name.startswith("musicgen-"):
        raise EngineUnavailable(install_hint(name, weights_dir(models_dir, name)))
    raise ValueError(f"Unknown model {name!r}")
