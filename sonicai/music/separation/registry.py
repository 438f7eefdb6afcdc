"""Engines by name, and what is installed."""

from __future__ import annotations

from pathlib import Path

from sonicai.music.device import torch_device

from .base import EngineUnavailable, SeparationEngine
from .demucs_engine import MODELS as DEMUCS_MODELS
from .demucs_engine import DemucsEngine
from .hpss import HPSSEngine
from .spleeter import SpleeterEngine

DEFAULT_ENGINE = "spleeter"
ENGINE_NAMES = ["spleeter", *DEMUCS_MODELS, "hpss"]
_CACHE: dict[tuple, SeparationEngine] = {}


def get_engine(name: str, models_dir: Path | None = None, device: str | None = None) -> SeparationEngine:
    """One engine object per (name, models_dir, device) and process: models load once. ``device`` as
    :func:`sonicai.music.device.torch_device` reads it ('auto' or None: the GPU when there is one)."""
    device = torch_device(device)
    key = (name, str(models_dir), device)
    if key not in _CACHE:
        if name == "spleeter":
            engine = SpleeterEngine(device=device)
        elif name in DEMUCS_MODELS:
            engine = DemucsEngine(name, models_dir=models_dir, device=device)
        elif name == "hpss":
            engine = HPSSEngine()
        else:
            raise EngineUnavailable(f"Unknown engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}.")
        _CACHE[key] = engine
    return _CACHE[key]


def list_engines(models_dir: Path | None = None) -> list[dict]:
    rows = []
    for name in ENGINE_NAMES:
        engine = get_engine(name, models_dir)
        ok, message = engine.available()
        rows.append({"name": name, "stems": list(engine.stems), "available": ok, "message": message,
                     "description": engine.description, "default": name == DEFAULT_ENGINE})
    return rows
