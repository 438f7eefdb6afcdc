"""Key estimation on rendered cadences in known keys."""

from __future__ import annotations

import numpy as np
import pytest

from bench.make_eval_set import Note, render
from mood.analysis.key import KEY_NAMES, KeyResult, estimate_key, key_to_index

SR = 22050


def cadence(tonic: str, mode: str, seconds_per_chord: float = 0.8) -> np.ndarray:
    """Piano I-vi-IV-V-I (major) or i-VI-iv-V-i (minor) twice, the root doubled in the bass."""
    t = key_to_index(tonic)
    third, sixth = (4, 9) if mode == "major" else (3, 8)
    chords = [
        [0, third, 7],  # I / i
        [sixth - 12, 0, third],  # vi / VI
        [5, sixth, 12],  # IV / iv
        [7, 11, 14],  # V (major in both modes: the raised leading tone)
        [0, third, 7],
    ]
    notes = []
    start = 0.1
    for _ in range(2):
        for ch in chords:
            for p in ch:
                notes.append(Note(start, start + seconds_per_chord * 0.95, 0, 60 + (t + p) % 24, 100))
            notes.append(Note(start, start + seconds_per_chord * 0.95, 1, 36 + (t + ch[0]) % 12, 50))
            start += seconds_per_chord
    return render(notes, {0: 0, 1: 32}, start + 0.5, SR).mean(axis=0)


@pytest.mark.parametrize("tonic,mode", [("D", "major"), ("A#", "major"), ("A", "minor"), ("F#", "minor")])
def test_cadence_key(tonic, mode):
    res = estimate_key(cadence(tonic, mode), SR)
    assert isinstance(res, KeyResult)
    assert (res.tonic, res.mode) == (tonic, mode), res.scores
    assert 0.0 <= res.confidence <= 1.0
    assert max(res.scores, key=res.scores.get) == f"{tonic} {mode}"


def test_key_names_and_index():
    assert len(KEY_NAMES) == 12 and KEY_NAMES[0] == "C"
    assert key_to_index("Bb") == key_to_index("A#") == 10
    assert key_to_index("c#") == 1
    with pytest.raises(ValueError):
        key_to_index("H")
