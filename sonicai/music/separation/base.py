"""What every separation engine offers."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from sonicai.music.device import torch_device
from sonicai.music.progress import Progress

from .stems import FOUR_STEMS


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (missing weights or package); the message says what to do."""


class SeparationEngine(ABC):
    name: str = ""
    description: str = ""
    stems: list[str] = list(FOUR_STEMS)
    #: As given ('cpu', 'cuda:1', or None/'auto'); resolved on first use, so that listing engines costs no torch.
    device_preference: str | None = None

    @property
    def device(self) -> str:
        return torch_device(self.device_preference)

    def available(self) -> tuple[bool, str]:
        return True, "ready"

    @abstractmethod
    def separate(self, audio: np.ndarray, sr: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
        """Stems of ``audio`` (channels, samples), each the same shape and rate as the input."""

    def separate_at(self, rate: int, audio: np.ndarray, sr: int,
                    progress: Progress | None = None) -> dict[str, np.ndarray]:
        """``separate`` run at ``rate``: resampled once each way, and "other" takes the residual at the input's
        rate, so the four stems still sum to the mix."""
        from sonicai.music.audio_io import fit_length, resample

        stems = self.separate(resample(audio, sr, rate), rate, progress)
        out = {name: fit_length(resample(stems[name], rate, sr), audio.shape[1])
               for name in ("vocals", "drums", "bass")}
        out["other"] = (audio - out["vocals"] - out["drums"] - out["bass"]).astype(np.float32)
        return out


def as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    return audio[None, :] if audio.ndim == 1 else audio

