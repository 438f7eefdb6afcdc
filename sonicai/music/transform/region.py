"""Limiting a remix to a start-end region of the file.

A region remix returns only the processed region (not the whole file with the region replaced):
that is what a musician auditions as a preview, and it keeps tempo changes from having to be
spliced back into untouched material at a different speed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sonicai.music.audio_io import as_channels, restore
from sonicai.music.errors import MusicInputError

MIN_REGION_SECONDS = 1.0


class RegionError(MusicInputError):
    """A start/end region that does not fit the audio."""


def region_bounds(n_samples: int, sr: int, start: float | None, end: float | None) -> tuple[int, int]:
    """Validated sample bounds for ``start``..``end`` seconds (None means the file's edge)."""
    duration = n_samples / sr
    s = 0.0 if start is None else float(start)
    e = duration if end is None else float(end)
    if not (np.isfinite(s) and np.isfinite(e)):
        raise RegionError("region start and end must be finite numbers")
    if s < 0:
        raise RegionError(f"region start must be >= 0 s, got {s:g}")
    if e > duration + 1e-6:
        raise RegionError(f"region end {e:g} s is past the end of the audio ({duration:.3f} s)")
    if s >= e:
        raise RegionError(f"region start ({s:g} s) must be before its end ({e:g} s)")
    if e - s < MIN_REGION_SECONDS:
        raise RegionError(f"region must be at least {MIN_REGION_SECONDS:g} s long, got {e - s:.3f} s")
    return int(round(s * sr)), min(n_samples, int(round(e * sr)))


def cut_region(audio: np.ndarray, sr: int, start: float | None, end: float | None) -> np.ndarray:
    """The ``start``..``end`` seconds of ``audio`` (validated: 0 <= start < end <= duration, >= 1 s long)."""
    x, was_mono = as_channels(audio)
    a, b = region_bounds(x.shape[1], sr, start, end)
    return restore(x[:, a:b].copy(), was_mono)


def process_region(
    audio: np.ndarray, sr: int, start: float | None, end: float | None, fn: Callable[[np.ndarray, int], np.ndarray],
) -> np.ndarray:
    """Apply ``fn(region, sr)`` to the region only and return the processed region (see module docstring)."""
    return fn(cut_region(audio, sr, start, end), sr)
