"""What every generation engine shares: its output type, the error for missing weights, download policy."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DOWNLOADS_ENV = "SONICAI_ALLOW_DOWNLOADS"

WEIGHT_SUFFIXES = (".safetensors", ".bin")


class EngineUnavailable(RuntimeError):
    """The engine cannot run here: weights or a package are missing. The message says how to fix it."""


@dataclass
class GenerationOutput:
    audio: np.ndarray  # float32 (channels, samples)
    sr: int
    summary: dict = field(default_factory=dict)
    midi: object | None = None  # a pretty_midi.PrettyMIDI when the engine composes symbolically


def downloads_allowed(explicit: bool | None = None) -> bool:
    """Downloads are off unless asked for, so a self-hosted studio never reaches a hub on its own."""
    if explicit is not None:
        return explicit
    return os.environ.get(DOWNLOADS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def weights_bytes(folder: Path) -> int:
    """Bytes of the weight files under ``folder``: what loading them will take, known before loading."""
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES and p.is_file())
