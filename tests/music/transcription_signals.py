"""Deterministic synthetic recordings with known notes for the transcription tests.

Numpy only, so that bench/basic_pitch_compare.py can render the same signal in the throw-away
environment where the original basic-pitch runs (to record its output for the tests).
"""

from __future__ import annotations

import numpy as np

#: (MIDI pitch, onset seconds, duration seconds): a short melody, then a C major triad.
MELODY = [
    (57, 0.25, 0.60),
    (64, 1.00, 0.60),
    (60, 1.75, 0.45),
    (67, 2.35, 0.75),
    (60, 3.40, 0.80),
    (64, 3.40, 0.80),
    (67, 3.40, 0.80),
]
SECONDS = 4.75


def harmonic_tone(pitch: int, seconds: float, sr: int) -> np.ndarray:
    """Six harmonics falling off as 1/k, 10 ms attack, gentle exponential decay, 30 ms release."""
    t = np.arange(int(round(seconds * sr))) / sr
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12)
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 7) if k * f0 < sr / 2)
    env = np.minimum(1.0, t / 0.01) * np.exp(-1.5 * t) * np.minimum(1.0, (seconds - t) / 0.03)
    return tone * env


def melody_signal(sr: int = 22050, notes=MELODY, seconds: float = SECONDS) -> np.ndarray:
    """float32 mono signal of ``notes`` (peak about 0.5)."""
    y = np.zeros(int(round(seconds * sr)))
    for pitch, start, dur in notes:
        i = int(round(start * sr))
        tone = harmonic_tone(pitch, dur, sr)
        y[i:i + len(tone)] += tone
    return (0.5 * y / np.abs(y).max()).astype(np.float32)
