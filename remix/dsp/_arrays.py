"""Shape helpers shared by the remix DSP modules."""

from __future__ import annotations

import numpy as np


def as_channels(audio: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return ``audio`` as a contiguous float32 (channels, samples) array and whether it was mono 1-D."""
    arr = np.asarray(audio, dtype=np.float32)
    if arr.ndim == 1:
        return np.ascontiguousarray(arr[None, :]), True
    if arr.ndim != 2:
        raise ValueError(f"audio must be 1-D or (channels, samples), got shape {arr.shape}")
    if arr.shape[0] > arr.shape[1]:
        raise ValueError(f"audio must be (channels, samples), got shape {arr.shape}; transpose it")
    return np.ascontiguousarray(arr), False


def restore(audio: np.ndarray, was_mono: bool) -> np.ndarray:
    return audio[0] if was_mono else audio

