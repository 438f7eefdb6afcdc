"""Pitch shifting: duration unchanged, frequencies and the detected key move by the shift."""

import numpy as np
import pytest

from sonicai.music.testing.signals import chord_progression
from sonicai.music.transform.pitch import PitchError, pitch_shift

SR = 44100


def peak_frequency(y: np.ndarray, sr: int) -> float:
    """Peak of a zero-padded spectrum, refined by parabolic interpolation of the log magnitude."""
    seg = y[sr // 2: sr // 2 + sr] * np.hanning(sr)
    spec = np.abs(np.fft.rfft(seg, 8 * sr))
    k = int(np.argmax(spec))
    a, b, c = np.log(spec[k - 1: k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / (8 * sr)


def detected_key(y: np.ndarray, sr: int) -> tuple[int, str]:
    from sonicai.music.analysis.key import estimate_key
    from sonicai.music.notes import pitch_class as key_to_index

    result = estimate_key(y, sr)
    return key_to_index(result.tonic), result.mode


@pytest.mark.parametrize("semitones", [2.0, -3.0, 0.5])
def test_sine_moves_by_the_ratio_and_keeps_its_length(semitones):
    t = np.arange(2 * SR) / SR
    y = (0.4 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    out = pitch_shift(y, SR, semitones)
    assert out.shape == y.shape
    assert peak_frequency(out, SR) == pytest.approx(440.0 * 2 ** (semitones / 12), rel=0.005)


@pytest.mark.parametrize("semitones", [2, -3])
def test_detected_key_moves_by_the_shift(semitones):
    # I-V-vi-IV in C major on guitar with bass and drums: unambiguous C major.
    audio, _ = chord_progression([(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")], bpm=120, sr=SR, program=24)
    tonic, mode = detected_key(audio.mean(axis=0), SR)
    assert (tonic, mode) == (0, "major")
    out = pitch_shift(audio, SR, semitones, preserve_formants=True)
    assert out.shape == audio.shape
    assert detected_key(out.mean(axis=0), SR) == ((tonic + semitones) % 12, mode)


def test_pitch_range_is_validated():
    with pytest.raises(PitchError):
        pitch_shift(np.zeros(SR, np.float32), SR, 12.5)
    with pytest.raises(PitchError):
        pitch_shift(np.zeros(SR, np.float32), SR, float("nan"))
