"""Mood model: circumplex prior behaviour, result invariants, trainable head round trip."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from sonicai.music.tagging.mood.features import FEATURE_DIM, mood_feature_vector
from sonicai.music.tagging.mood.head import load_mood_head, train_mood_head
from sonicai.music.tagging.mood.model import DEFAULT_HEAD, MoodModel, load_mood_model, predict_mood
from sonicai.music.tagging.mood.prior import CENTROIDS, PRIOR_VERSION
from sonicai.music.tagging.moods import MOODS
from sonicai.music.tagging.musicnn import MSD_TAGS

DEFAULT_VERSION = DEFAULT_HEAD.stem

BASE_TAGS = {t: 0.02 for t in MSD_TAGS}
UPBEAT = {**BASE_TAGS, "happy": 0.25, "party": 0.3, "dance": 0.4, "pop": 0.4, "catchy": 0.2}
UPBEAT_FEATS = {"loudness_lufs": -8.0, "onset_rate": 5.0, "spectral_centroid_mean": 3000.0}
DOWNBEAT = {**BASE_TAGS, "sad": 0.3, "Mellow": 0.4, "acoustic": 0.3}
DOWNBEAT_FEATS = {"loudness_lufs": -22.0, "onset_rate": 1.5, "spectral_centroid_mean": 1200.0}


def test_prior_maps_upbeat_tags_and_fast_major_to_happy_or_energetic():
    r = predict_mood(UPBEAT, None, UPBEAT_FEATS, 128.0, "major")
    assert r.primary in ("happy", "energetic")
    assert set(r.ranked[:2]) == {"happy", "energetic"}
    assert r.valence > 0.7 and r.arousal > 0.7
    assert r.model_version == PRIOR_VERSION


def test_prior_maps_sad_mellow_slow_minor_to_low_moods():
    r = predict_mood(DOWNBEAT, None, DOWNBEAT_FEATS, 68.0, "minor")
    assert r.primary in ("sad", "melancholic", "calm")
    assert r.valence < 0.3 and r.arousal < 0.3
    assert r.scores["happy"] < 0.05 and r.scores["energetic"] < 0.05


def test_prior_uses_specific_tags_for_angry_and_romantic():
    metal = {**BASE_TAGS, "heavy metal": 0.5, "metal": 0.6, "hard rock": 0.4, "rock": 0.6}
    r = predict_mood(metal, None, {"loudness_lufs": -7.0, "onset_rate": 6.0}, 150.0, "minor")
    assert r.primary == "angry"
    soulful = {**BASE_TAGS, "rnb": 0.3, "soul": 0.35, "sexy": 0.25}
    r = predict_mood(soulful, None, {"loudness_lufs": -13.0, "onset_rate": 2.5}, 88.0, "major")
    assert r.primary == "romantic"


def test_audio_cues_alone_move_arousal_and_valence():
    fast = predict_mood(BASE_TAGS, None, UPBEAT_FEATS, 140.0, "major")
    slow = predict_mood(BASE_TAGS, None, DOWNBEAT_FEATS, 65.0, "minor")
    assert fast.arousal > slow.arousal + 0.3
    assert fast.valence > slow.valence + 0.2


def test_no_evidence_is_neutral_not_extreme():
    r = predict_mood({}, None, {}, None, None)
    assert r.valence == pytest.approx(0.5) and r.arousal == pytest.approx(0.5)
    assert r.confidence < 0.5


@pytest.mark.parametrize("case", range(20))
def test_scores_are_a_distribution_and_va_in_range(case):
    rng = np.random.default_rng(case)
    tags = {t: float(p) for t, p in zip(MSD_TAGS, rng.uniform(0, 1, 50) ** 3, strict=True)}
    feats = {"loudness_lufs": float(rng.uniform(-40, 0)), "onset_rate": float(rng.uniform(0, 12)),
             "spectral_centroid_mean": float(rng.uniform(200, 8000))}  # fmt: skip
    r = predict_mood(tags, rng.standard_normal(200), feats, float(rng.uniform(40, 220)),
                     str(rng.choice(["major", "minor", ""])))  # fmt: skip
    assert set(r.scores) == set(MOODS)
    assert sum(r.scores.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 <= s <= 1.0 for s in r.scores.values())
    assert 0.0 <= r.valence <= 1.0 and 0.0 <= r.arousal <= 1.0
    assert r.primary == max(r.scores, key=r.scores.get) and r.confidence == r.scores[r.primary]


def test_feature_vector_layout_and_missing_inputs():
    v = mood_feature_vector(UPBEAT, None, {}, None, None)
    assert v.shape == (FEATURE_DIM,) and v.dtype == np.float32 and np.all(np.isfinite(v))
    assert v[MSD_TAGS.index("party")] == pytest.approx(0.3)
    emb = np.arange(200, dtype=np.float32)
    w = mood_feature_vector(UPBEAT, emb, UPBEAT_FEATS, 120.0, "major")
    np.testing.assert_array_equal(w[50:250], emb)
    assert w[250] == 1.0 and v[250] == 0.0  # has_embedding flag
    with pytest.raises(ValueError):
        mood_feature_vector(UPBEAT, np.zeros(10), {}, None, None)


def _synthetic_dataset(n_per_class: int, seed: int = 0):
    """Three moods whose tag profiles and tempi differ, with noise: a separable but not trivial problem."""
    rng = np.random.default_rng(seed)
    profiles = {
        "happy": ({"happy": 0.3, "party": 0.3, "pop": 0.4}, 128.0, "major"),
        "sad": ({"sad": 0.3, "Mellow": 0.4, "acoustic": 0.3}, 70.0, "minor"),
        "energetic": ({"punk": 0.3, "rock": 0.5, "hard rock": 0.3}, 150.0, "major"),
    }
    X, y = [], []
    for mood, (tags, bpm, mode) in profiles.items():
        for _ in range(n_per_class):
            t = {k: float(np.clip(v + rng.normal(0, 0.08), 0, 1)) for k, v in {**BASE_TAGS, **tags}.items()}
            emb = rng.standard_normal(200).astype(np.float32)
            X.append(mood_feature_vector(t, emb, {"onset_rate": float(rng.uniform(1, 6))},
                                         bpm + rng.normal(0, 10), mode))  # fmt: skip
            y.append(mood)
    return np.stack(X), y


def test_trained_head_cross_validates_and_round_trips(tmp_path):
    X, y = _synthetic_dataset(12)
    report = train_mood_head(X, y, "mood-head-test-1", tmp_path)
    assert report.n == 36 and report.version == "mood-head-test-1"
    assert report.cv_accuracy >= 0.9
    assert report.path.is_file() and report.path.suffix == ".json"
    meta = json.loads(report.path.read_text())
    assert meta["cv_folds"] == 5 and meta["n"] == 36
    assert not list(tmp_path.glob("*.tmp"))  # written through a temporary file, which is gone

    head = load_mood_head(report.path)
    Xt, yt = _synthetic_dataset(5, seed=1)
    preds = [max((p := head(x)), key=p.get) for x in Xt]
    assert np.mean([a == b for a, b in zip(preds, yt, strict=True)]) >= 0.9
    assert set(head(Xt[0])) == set(MOODS) and head(Xt[0])["angry"] == 0.0

    model = load_mood_model(tmp_path)
    assert model.version == "mood-head-test-1"
    r = model.predict(UPBEAT, None, UPBEAT_FEATS, 128.0, "major")
    assert r.model_version == "mood-head-test-1" and sum(r.scores.values()) == pytest.approx(1.0)


def test_load_mood_model_picks_newest_then_default_then_prior(tmp_path):
    assert load_mood_model(None, default_head=None).version == PRIOR_VERSION
    assert load_mood_model(tmp_path, default_head=None).version == PRIOR_VERSION  # empty dir
    assert load_mood_model(tmp_path).version == DEFAULT_VERSION  # empty dir: the shipped head
    X, y = _synthetic_dataset(4)
    train_mood_head(X, y, "older", tmp_path)
    time.sleep(0.01)
    train_mood_head(X, y, "newer", tmp_path)
    assert load_mood_model(tmp_path).version == "newer"
    assert isinstance(load_mood_model(tmp_path), MoodModel)
    newer = tmp_path / "newer.json"
    newer.write_text(newer.read_text()[:100])  # a damaged file is ignored, not crashed on
    assert load_mood_model(tmp_path).version == "older"


def test_shipped_head_is_the_default_and_its_scores_agree_with_valence_arousal():
    model = load_mood_model(None)
    assert model.version == DEFAULT_VERSION
    assert "emotify" in model.head.meta["training_set"] and "4q" in model.head.meta["training_set"]
    assert 0.5 < model.head.meta["temperature"] < 3.0  # calibrated on held-out folds
    assert set(model.head.meta["classes"]) <= set(MOODS)
    up = model.predict(UPBEAT, None, UPBEAT_FEATS, 128.0, "major")
    assert sum(up.scores.values()) == pytest.approx(1.0)
    # valence/arousal are the score-weighted circumplex positions, so they follow the primary mood
    va = {m: CENTROIDS[m] for m in MOODS}
    assert up.valence == pytest.approx(sum(p * va[m][0] for m, p in up.scores.items()))
    assert up.arousal == pytest.approx(sum(p * va[m][1] for m, p in up.scores.items()))


def test_training_rejects_bad_input(tmp_path):
    X, y = _synthetic_dataset(4)
    with pytest.raises(ValueError, match=">= 2 examples"):
        train_mood_head(X[:9], y[:8] + ["energetic"], "v1", tmp_path)
    with pytest.raises(ValueError, match="unknown mood"):
        train_mood_head(X, ["bored"] * len(y), "v1", tmp_path)
    with pytest.raises(ValueError, match="version"):
        train_mood_head(X, y, "../evil", tmp_path)
    # GEMS-style labels are folded onto the product moods.
    report = train_mood_head(X, ["nostalgic" if m == "sad" else m for m in y], "gems", tmp_path)
    assert "melancholic" in report.classes


def test_low_confidence_results_and_rows_are_marked_uncertain():
    from mood.models import MoodClassification
    from sonicai.music.tagging.mood.model import UNCERTAIN_BELOW

    model = load_mood_model(None)
    flat = model.predict(BASE_TAGS, None, {}, None, None)
    assert flat.uncertain == (flat.confidence < model.head.meta.get("uncertain_below", UNCERTAIN_BELOW))
    assert MoodClassification(primary_mood="calm", confidence=0.3, mood_scores={}).uncertain
    assert not MoodClassification(primary_mood="calm", confidence=0.8, mood_scores={}).uncertain


def test_sample_weights_reach_the_fit_and_are_checked(tmp_path):
    X, y = _synthetic_dataset(12)
    plain = json.loads(train_mood_head(X, y, "plain", tmp_path, balanced=False).path.read_text())
    ones = json.loads(train_mood_head(X, y, "ones", tmp_path, balanced=False,
                                      sample_weight=np.ones(len(y))).path.read_text())
    assert np.allclose(plain["coef"], ones["coef"], atol=1e-6) and ones["sample_weighted"]
    # Weighing the happy clips up pulls the head's mean happy score up on the same inputs.
    w = np.array([5.0 if m == "happy" else 1.0 for m in y])
    heavy = train_mood_head(X, y, "heavy", tmp_path, balanced=False, sample_weight=w)
    mean_happy = [np.mean([load_mood_head(p)(x)["happy"] for x in X]) for p in (tmp_path / "plain.json", heavy.path)]
    assert mean_happy[1] > mean_happy[0]
    with pytest.raises(ValueError, match="sample_weight"):
        train_mood_head(X, y, "bad", tmp_path, sample_weight=np.ones(len(y) - 1))
    with pytest.raises(ValueError, match="sample_weight"):
        train_mood_head(X, y, "bad", tmp_path, sample_weight=np.zeros(len(y)))


def test_a_mood_for_silence_is_never_stated_as_fact(tmp_path, capsys):
    """Digital silence or a hiss below the loudness gate: the tagger still guesses, the studio must not assert it
    (a probe of the running studio got 'energetic', 0.58, for one second of zeros)."""
    import soundfile as sf
    from django.core.management import call_command

    model = load_mood_model(None)
    loud = model.predict(UPBEAT, None, {**UPBEAT_FEATS, "rms_mean": 0.1}, 128.0, "major")
    assert loud.uncertain == (loud.confidence < 0.4)
    assert model.predict(UPBEAT, None, {**UPBEAT_FEATS, "rms_mean": 1e-5}, 128.0, "major").uncertain
    silence = tmp_path / "silence.wav"
    sf.write(silence, np.zeros(3 * 44100, dtype=np.float32), 44100)
    call_command("analyze", str(silence), "--json")
    assert json.loads(capsys.readouterr().out)["mood"]["uncertain"] is True
