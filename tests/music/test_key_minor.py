"""Minor keys are not read as their relative major (issue #20), and the key's confidence is a probability."""

from __future__ import annotations

import numpy as np
import pytest

from sonicai.music.analysis.key import (
    METHOD_ENSEMBLE,
    UNCERTAIN_BELOW,
    KeyResult,
    calibrated_confidence,
    combine_with_cnn,
    estimate_key,
)
from sonicai.music.notes import NOTE_NAMES, pitch_class
from sonicai.music.testing.eval_songs import chord_loop

SR = 22050


def progression(tonic: str, chords: list[list[int]], seconds_per_chord: float = 0.7, loops: int = 3) -> np.ndarray:
    """Piano chords (semitones above ``tonic``) with the root in a bass line, looped as pop songs loop."""
    return chord_loop(pitch_class(tonic), chords, seconds_per_chord, loops, SR)


# i - VI - III - VII - i - iv - V - i: the produced-pop loop (whose chords are those of the relative major) with a
# cadence whose dominant has the raised leading tone, as minor-key songs have it.
MINOR_LOOP = [[0, 3, 7], [-4, 0, 3], [3, 7, 10], [-2, 2, 5], [0, 3, 7], [5, 8, 12], [7, 11, 14], [0, 3, 7]]
# I - vi - ii - V: the relative minor's chord is there too, but the loop turns round the major tonic
# (A# major is G minor's relative major: the reading the minor loop must not get).
MAJOR_LOOP = [[0, 4, 7], [-3, 0, 4], [2, 5, 9], [7, 11, 14]]


@pytest.mark.parametrize("tonic", ["G", "D"])
def test_a_minor_key_song_is_read_minor_not_as_its_relative_major(tonic):
    res = estimate_key(progression(tonic, MINOR_LOOP), SR)
    assert res.method == METHOD_ENSEMBLE
    assert res.label == f"{tonic} minor", sorted(res.scores.items(), key=lambda kv: -kv[1])[:3]


@pytest.mark.parametrize("tonic", ["A#", "F"])
def test_the_relative_major_progression_stays_major(tonic):
    res = estimate_key(progression(tonic, MAJOR_LOOP), SR)
    assert res.label == f"{tonic} major", sorted(res.scores.items(), key=lambda kv: -kv[1])[:3]


@pytest.mark.parametrize(("tonic", "chords"), [
    ("G", [[0, 4, 7], [7, 11, 14], [4, 7, 11], [-7, -3, 0]]),   # G - D - Em - C
    ("C", [[0, 4, 7], [-3, 0, 4], [-7, -3, 0], [-5, -1, 2]]),   # C - Am - F - G
])
def test_a_major_pop_loop_is_not_read_in_its_parallel_minor(tonic, chords):
    """G-D-Em-C was read as G minor: the minor offset outweighed profiles that say B and E natural. A minor key
    whose profile fits far worse than its parallel major's gets no offset."""
    res = estimate_key(progression(tonic, chords), SR)
    assert res.label == f"{tonic} major", sorted(res.scores.items(), key=lambda kv: -kv[1])[:3]


def test_confidence_is_a_probability_that_grows_with_the_ensembles_certainty():
    values = [calibrated_confidence(p, METHOD_ENSEMBLE) for p in (0.05, 0.3, 0.5, 0.8, 0.99)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values) and values[0] < UNCERTAIN_BELOW < values[-1]


def _uniform_cnn() -> dict[str, float]:
    return {f"{k} {m}": 1 / 24 for k in NOTE_NAMES for m in ("major", "minor")}


def test_a_key_nothing_singles_out_is_flagged_uncertain_and_a_clear_one_is_not():
    flat = KeyResult("C", "major", 0.5, {k: 0.0 for k in _uniform_cnn()})
    vague = combine_with_cnn(flat, _uniform_cnn())
    assert 0.0 <= vague.confidence < UNCERTAIN_BELOW and vague.uncertain
    clear = estimate_key(progression("A#", MAJOR_LOOP), SR)
    assert clear.label == "A# major" and 0.0 <= clear.confidence <= 1.0 and not clear.uncertain


def test_the_analysis_json_carries_the_calibrated_confidence_and_the_flag():
    from sonicai.music.analysis.pipeline import analyze_signal

    out = analyze_signal(progression("G", MINOR_LOOP), SR)
    assert (out["key"], out["mode"]) == ("G", "minor")
    assert 0.0 <= out["key_confidence"] <= 1.0
    assert out["key_uncertain"] is (out["key_confidence"] < UNCERTAIN_BELOW)


def test_a_known_key_is_stated_certain_and_spells_the_chords():
    from sonicai.music.analysis.pipeline import analyze_signal

    # An A minor loop of the relative major's chords (Am F C G), as the composer writes ballads.
    song = progression("A", [[0, 3, 7], [-4, 0, 3], [3, 7, 10], [-2, 2, 5]])
    res = analyze_signal(song, SR, known_key=("A", "minor"))
    assert (res["key"], res["mode"], res["key_method"], res["key_confidence"]) == ("A", "minor", "written", 1.0)
    assert {c["symbol"] for c in res["chords"]} >= {"Am", "F", "C", "G"}
    with pytest.raises(ValueError):
        analyze_signal(song, SR, known_key=("A", "dorian"))
