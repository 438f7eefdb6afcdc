import numpy as np
import pytest

from bench.mood_fit import RECIPES, balancing, set_weights


def test_set_weights_balance_moods_within_a_set_and_sets_by_share():
    sets = ["a"] * 6 + ["b"] * 2
    y = ["calm", "calm", "calm", "calm", "happy", "happy", "calm", "sad"]
    w = set_weights(y, sets, {"a": 1.0, "b": 1.0})
    assert w.mean() == pytest.approx(1.0)
    total = {s: w[[i for i, v in enumerate(sets) if v == s]].sum() for s in "ab"}
    assert total["a"] == pytest.approx(total["b"])  # 6 clips and 2 clips pull equally
    assert w[:4].sum() == pytest.approx(w[4:6].sum())  # within a: 4 calm and 2 happy pull equally
    w2 = set_weights(y, sets, {"a": 2.0, "b": 1.0})
    assert w2[:6].sum() == pytest.approx(2 * w2[6:].sum())
    with pytest.raises(ValueError, match="no share"):
        set_weights(y, sets, {"a": 1.0})


def test_recipes_without_set_shares_keep_class_balancing():
    plain = next(r for r in RECIPES if r.name == "linear C=0.03 cues x2")
    assert balancing(plain, ["calm", "sad"], None) == {"balanced": True}
    equal = next(r for r in RECIPES if r.name == "linear C=0.03 cues x2 sets equal")
    args = balancing(equal, ["calm", "sad", "calm"], ["emotify", "4q", "4q"])
    assert args["balanced"] is False and np.allclose(args["sample_weight"], [1.5, 0.75, 0.75])
    with pytest.raises(ValueError, match="weighs data sets"):
        balancing(equal, ["calm"], None)
