"""What every separation engine offers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

STEMS = ["vocals", "drums", "bass", "other"]

Progress = Callable[[float], None] | None


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (missing weights or package); the message says what to do."""


class SeparationEngine(ABC):
    name: str = ""
    description: str = ""
    stems: list[str] = STEMS

    def available(self) -> tuple[bool, str]:
        return True, "ready"

    @abstractmethod
    def separate(self, audio: np.ndarray, sr: int, progress: Progress = None) -> dict[str, np.ndarray]:
        """Stems of ``audio`` (channels, samples), each the same shape and rate as the input."""


def as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    return audio[None, :] if audio.ndim == 1 else audio


def report(progress: Progress, fraction: float) -> None:
    if progress is not None:
        progress(float(min(1.0, max(0.0, fraction))))
