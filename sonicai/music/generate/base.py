"""What every generation engine shares: its output type, the error for missing weights, download policy."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import numpy as np

DOWNLOADS_ENV = "SONICAI_ALLOW_DOWNLOADS"

# Loaded models, shared by every engine so that only one is in memory at a time: a job worker generates many
# pieces with the same model, and two multi-GB models at once would not fit the machines this targets.
# Each engine keys its entries with its own tuple shape and clears the whole cache before loading.
MODEL_CACHE: dict[tuple, object] = {}
MODEL_CACHE_LOCK = threading.Lock()


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
