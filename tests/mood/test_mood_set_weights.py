"""Training weights that balance moods within each data set and data sets by their share, so that a
bigger set does not tilt the head toward its own labels (bench/mood_fit.py's ``sets equal`` recipes)."""

import pytest

from sonicai.music.tagging.mood.head import set_balanced_weights


def test_set_weights_balance_moods_within_a_set_and_sets_by_share():
    sets = ["a"] * 6 + ["b"] * 2
    y = ["calm", "calm", "calm", "calm", "happy", "happy", "calm", "sad"]
    w = set_balanced_weights(y, sets, {"a": 1.0, "b": 1.0})
    assert w.mean() == pytest.approx(1.0)
    total = {s: w[[i for i, v in enumerate(sets) if v == s]].sum() for s in "ab"}
    assert total["a"] == pytest.approx(total["b"])  # 6 clips and 2 clips pull equally
    assert w[:4].sum() == pytest.approx(w[4:6].sum())  # within a: 4 calm and 2 happy pull equally
    w2 = set_balanced_weights(y, sets, {"a": 2.0, "b": 1.0})
    assert w2[:6].sum() == pytest.approx(2 * w2[6:].sum())
    with pytest.raises(ValueError, match="no share"):
        set_balanced_weights(y, sets, {"a": 1.0})
