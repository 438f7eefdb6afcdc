"""Pitch shifting without changing duration, through Rubber Band (pedalboard)."""

from __future__ import annotations

import numpy as np

from sonicai.music.audio_io import as_channels, fit_length, restore
from sonicai.music.errors import MusicInputError

SEMITONE_RANGE = (-12.0, 12.0)


class PitchError(MusicInputError):
    """Invalid pitch-shift request."""


def pitch_shift(audio: np.ndarray, sr: int, semitones: float, preserve_formants: bool = False) -> np.ndarray:
    """Shift pitch by ``semitones`` (fractions allowed, -12..12); the output has the input's exact length.

    ``preserve_formants`` keeps the spectral envelope in place so shifted vocals do not sound
    chipmunk-like or hollow; leave it off for instruments, where it can smear the timbre.
    """
    import pedalboard

    semitones = float(semitones)
    if not np.isfinite(semitones) or not SEMITONE_RANGE[0] <= semitones <= SEMITONE_RANGE[1]:
        raise PitchError(
            f"semitones must be between {SEMITONE_RANGE[0]:g} and {SEMITONE_RANGE[1]:g}, got {semitones}"
        )
    x, was_mono = as_channels(audio)
    if semitones == 0.0:
        return restore(x.copy(), was_mono)
    y = pedalboard.time_stretch(
        x, float(sr), stretch_factor=1.0, pitch_shift_in_semitones=semitones, high_quality=True,
        preserve_formants=bool(preserve_formants),
    )
    return restore(fit_length(np.asarray(y, dtype=np.float32), x.shape[1]), was_mono)
