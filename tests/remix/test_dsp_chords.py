"""Chord recognition accuracy on rendered progressions with known chords (mir_eval, majmin)."""

import mir_eval
import numpy as np
import pytest

from sonicai.music.analysis.chords import recognize_chords
from sonicai.music.testing.signals import chord_progression

SR = 44100


def majmin_accuracy(segments, reference) -> float:
    ref_iv = np.array([[a, b] for a, b, _ in reference])
    ref_lab = [lab for *_, lab in reference]
    est_iv = np.array([[s.start, s.end] for s in segments])
    est_lab = [s.label for s in segments]
    est_iv, est_lab = mir_eval.util.adjust_intervals(est_iv, est_lab, ref_iv.min(), ref_iv.max(), "N", "N")
    iv, ref_lab, est_lab = mir_eval.util.merge_labeled_intervals(ref_iv, ref_lab, est_iv, est_lab)
    return mir_eval.chord.weighted_accuracy(mir_eval.chord.majmin(ref_lab, est_lab),
                                            mir_eval.util.intervals_to_durations(iv))


@pytest.mark.parametrize("chords, program", [
    ([(9, "min"), (2, "min"), (4, "maj"), (9, "min"), (5, "maj"), (0, "maj"), (7, "maj"), (4, "7")], 0),  # piano
    ([(2, "min7"), (7, "7"), (0, "maj7"), (9, "min7"), (4, "maj"), (11, "maj"), (1, "min"), (9, "maj")], 24),
])
def test_rendered_progression_is_recognised(chords, program):
    audio, reference = chord_progression(chords, bpm=120, sr=SR, program=program, beats_per_chord=2)
    segments = recognize_chords(audio.mean(axis=0), SR)
    assert segments[0].start == 0.0 and segments[-1].end == pytest.approx(audio.shape[1] / SR)
    assert majmin_accuracy(segments, reference) >= 0.8


def test_beats_and_key_can_be_given():
    audio, reference = chord_progression([(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")], bpm=100, sr=SR)
    beats = np.arange(0, audio.shape[1] / SR, 0.6)
    segments = recognize_chords(audio.mean(axis=0), SR, beats=beats, key_tonic=0, mode="major")
    assert majmin_accuracy(segments, reference) >= 0.8
    # I, IV and V are all found as major-family chords (a dominant 7th reads as major under majmin).
    found = {(s.root, s.quality in ("maj", "7", "maj7")) for s in segments}
    assert found >= {(0, True), (5, True), (7, True)}
