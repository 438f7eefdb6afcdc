"""Issue #20: the musical cues listeners' mood labels follow must be able to move the shipped head's answer.

Every input but the cues is held at the average training clip (the head's own scaler mean: its tags and its
musicnn embedding), so only tempo, loudness, onset rate, brightness and mode differ between the cases."""

from __future__ import annotations

import numpy as np
import pytest

from sonicai.music.tagging.mood.features import EMBED_DIM, FEATURE_NAMES
from sonicai.music.tagging.mood.model import load_mood_model
from sonicai.music.tagging.musicnn import MSD_TAGS

FAST_LOUD = {"loudness_lufs": -6.0, "onset_rate": 5.5, "spectral_centroid_mean": 3200.0}
SLOW_QUIET = {"loudness_lufs": -22.0, "onset_rate": 1.5, "spectral_centroid_mean": 1300.0}


@pytest.fixture(scope="module")
def predict():
    model = load_mood_model(None)
    mean = np.asarray(model.head.meta["scaler_mean"])
    tags = {t: float(mean[FEATURE_NAMES.index(f"tag:{t}")]) for t in MSD_TAGS}
    emb = mean[[FEATURE_NAMES.index(f"emb:{i}") for i in range(EMBED_DIM)]]
    return lambda features, bpm, mode: model.predict(tags, emb, features, bpm, mode)


def test_fast_loud_minor_song_comes_out_energetic(predict):
    r = predict(FAST_LOUD, 145.0, "minor")
    assert r.primary == "energetic", r.scores
    assert r.arousal > 0.55


def test_tempo_and_loudness_move_arousal_and_mode_moves_valence(predict):
    fast, slow = predict(FAST_LOUD, 145.0, "minor"), predict(SLOW_QUIET, 70.0, "minor")
    assert fast.arousal > slow.arousal + 0.15
    assert slow.primary in ("calm", "sad", "melancholic", "romantic")
    assert predict(FAST_LOUD, 145.0, "major").valence > fast.valence
    assert predict(SLOW_QUIET, 70.0, "major").valence > slow.valence


def test_negative_valence_is_reachable(predict):
    """The old head almost never gave negative valence (issue #20: angry/tense 0.00, sad 0.08 by quadrant)."""
    sad = predict(SLOW_QUIET, 65.0, "minor")
    assert sad.scores["sad"] + sad.scores["melancholic"] > sad.scores["happy"] + sad.scores["energetic"]
