"""Trainable mood head: a standardised logistic regression on ``mood_feature_vector`` rows.

A head is saved as one JSON file holding its coefficients (scaler mean and scale, weights, intercepts) and its
metadata, not as a pickle: a linear softmax needs no scikit-learn to evaluate, survives library upgrades, and a
JSON file cannot run code when it is loaded. The default head ships in ``weights/`` (docs/mood_model.md).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ..moods import MOODS
from .features import FEATURE_DIM, FEATURE_NAMES

# Labels from other mood vocabularies (e.g. GEMS: nostalgia, tenderness) folded onto the product's moods.
LABEL_ALIASES: dict[str, str] = {
    "nostalgic": "melancholic", "nostalgia": "melancholic", "tender": "romantic", "tenderness": "romantic",
    "joyful": "happy", "joy": "happy", "joyful_activation": "happy", "peaceful": "calm", "relaxed": "calm",
    "calmness": "calm", "aggressive": "angry", "tension": "angry", "power": "energetic", "powerful": "energetic",
    "sadness": "sad",
    # The 4Q data set's Russell quadrants (Panda et al. 2018), as folders: each as its most typical mood.
    "q1": "happy", "q2": "angry", "q3": "sad", "q4": "calm",
}  # fmt: skip

_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class TrainReport:
    cv_accuracy: float
    n: int
    version: str
    path: Path  # the head's .json file (coefficients and metadata)
    folds: int = 0
    classes: tuple[str, ...] = ()


def normalize_label(label: str) -> str:
    lab = label.strip().lower()
    lab = LABEL_ALIASES.get(lab, lab)
    if lab not in MOODS:
        raise ValueError(f"unknown mood label {label!r}; expected one of {MOODS} or {sorted(LABEL_ALIASES)}")
    return lab


#: Feature groups a head can weigh (``train_mood_head(group_weights=...)``): each name prefix of FEATURE_NAMES.
GROUPS = {"tag": "tag:", "emb": "emb:", "cue": "cue:", "prior": "prior_"}


#: How the shipped head weighs the feature groups (mood-multi-6's recipe, docs/mood_model.md); ``train_mood`` fits
#: an operator's head the same way, so their own labels meet the cues with the same pull.
STUDIO_GROUP_WEIGHTS: dict[str, float] = {"cue": 4.0, "prior": 4.0}


def feature_weights(group_weights: Mapping[str, float] | None) -> np.ndarray:
    """Per-feature multipliers applied after standardising. Under L2 regularisation a feature scaled by ``w``
    costs ``1/w**2`` as much to use, so a weight > 1 lets a few musical cues (tempo, loudness, onsets,
    brightness, mode) compete with 250 tag and embedding dimensions; 0 drops a group."""
    w = np.ones(FEATURE_DIM)
    for group, weight in (group_weights or {}).items():
        prefix = GROUPS[group]
        w[[i for i, n in enumerate(FEATURE_NAMES) if n.startswith(prefix)]] = weight
    return w


def _make_classifier(c: float = 0.1, balanced: bool = True, weights: np.ndarray | None = None):
    # Standardised logistic regression: few hundred examples at most, 250+ correlated features -> a strongly
    # regularised linear model; boosted trees lost to it across data sets (docs/mood_model.md).
    w = np.ones(FEATURE_DIM) if weights is None else weights
    return make_pipeline(StandardScaler(), FunctionTransformer(lambda x: x * w),
                         LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises the negative log-likelihood of out-of-sample ``logits``
    (n, classes) for class indices ``y``: temperature scaling (Guo et al. 2017), one number, so it calibrates
    the confidence without changing which mood ranks first."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def set_balanced_weights(y: list[str], sets: list[str], shares: dict[str, float]) -> np.ndarray:
    """Per-clip weights: within each data set every mood gets the same total, then each set gets ``shares[set]``
    of the whole; scaled to mean 1, as sklearn's ``balanced`` class weights are, so C keeps its meaning."""
    missing = set(sets) - set(shares)
    if missing:
        raise ValueError(f"no share for data set(s) {sorted(missing)}")
    present = {s: shares[s] for s in set(sets)}
    total = sum(present.values())
    per_mood = Counter(zip(sets, y, strict=True))
    moods_in = Counter(s for s, _ in per_mood)
    w = np.array([present[s] / total / moods_in[s] / per_mood[s, v] for s, v in zip(sets, y, strict=True)])
    return w * len(w) / w.sum()


def train_mood_head(X: np.ndarray, y: list[str], version: str, out_dir: Path, c: float = 0.1,
                    balanced: bool = True, extra_meta: dict | None = None,
                    group_weights: Mapping[str, float] | None = None, calibrate: bool = True,
                    sample_weight: np.ndarray | None = None) -> TrainReport:
    """Fit on rows of ``mood_feature_vector``; stratified k-fold CV accuracy, then refit on everything.

    ``c`` is the inverse regularisation strength; ``balanced`` weighs classes inversely to their counts
    (right when the labelled folders' sizes say nothing about how common each mood is); ``group_weights``
    see ``feature_weights``; ``calibrate`` fits a softmax temperature on the cross-validation's held-out
    logits, so the saved head's confidence matches how often it is right. ``sample_weight`` (one per row)
    multiplies each clip's loss, in the cross-validation and the final fit; pass ``balanced=False`` with it when
    it already balances the classes (bench/mood_fit.py balances per data set)."""
    if not _VERSION_RE.match(version):
        raise ValueError(f"version {version!r} must be 1-64 chars of letters, digits, '.', '_' or '-'")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != FEATURE_DIM:
        raise ValueError(f"X must be (n, {FEATURE_DIM}) rows of mood_feature_vector, got {X.shape}")
    labels = [normalize_label(s) for s in y]
    if len(labels) != len(X):
        raise ValueError("X and y lengths differ")
    fit_params = {}
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (len(X),) or not np.all(sample_weight > 0):
            raise ValueError("sample_weight must hold one positive weight per row of X")
        fit_params = {"logisticregression__sample_weight": sample_weight}
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("need at least two different mood labels to train")
    folds = min(5, min(counts.values()))
    if folds < 2:
        raise ValueError(f"every mood needs >= 2 examples for cross-validation; counts: {dict(counts)}")
    weights = feature_weights(group_weights)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    classes = sorted(counts)
    logits = cross_val_predict(_make_classifier(c, balanced, weights), X, labels, cv=cv, method="decision_function",
                               params=fit_params)
    if len(classes) == 2:
        logits = np.stack([np.zeros(len(logits)), logits], axis=1)
    y_idx = np.array([classes.index(lab) for lab in labels])
    cv_acc = float(np.mean(logits.argmax(axis=1) == y_idx))
    temperature = fit_temperature(logits, y_idx) if calibrate else 1.0
    clf = _make_classifier(c, balanced, weights).fit(X, labels, **fit_params)
    scaler, logreg = clf[0], clf[-1]
    # Fold the group weights into the saved scale (a dropped group keeps scale 1; its coefficients are 0).
    scale = np.where(weights > 0, scaler.scale_ / np.where(weights > 0, weights, 1.0), 1.0)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{version}.json"
    meta = {
        "version": version,
        "created": time.time(),
        "n": len(labels),
        "cv_accuracy": cv_acc,
        "cv_folds": folds,
        "classes": list(logreg.classes_),
        "class_counts": dict(counts),
        "feature_dim": FEATURE_DIM,
        "feature_names": FEATURE_NAMES,
        "classifier": f"StandardScaler+LogisticRegression(C={c}{', balanced' if balanced else ''})",
        "group_weights": dict(group_weights or {}),
        "sample_weighted": sample_weight is not None,
        "temperature": temperature,
        **(extra_meta or {}),
        "scaler_mean": scaler.mean_.tolist(),
        "scaler_scale": scale.tolist(),
        "coef": logreg.coef_.tolist(),
        "intercept": logreg.intercept_.tolist(),
    }
    # Written whole under a temporary name, then renamed: a reader never sees half a head.
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta))
    tmp.replace(path)
    return TrainReport(cv_acc, len(labels), version, path, folds, tuple(str(c) for c in logreg.classes_))


def load_mood_head(path: Path) -> Callable[[np.ndarray], dict[str, float]]:
    """Load a saved head -> f(feature_vector) -> {mood: probability} over all MOODS (untrained moods get 0)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mood head not found: {path}")
    meta = json.loads(path.read_text())
    if meta.get("feature_dim") != FEATURE_DIM or meta.get("feature_names") != FEATURE_NAMES:
        raise ValueError(f"mood head {path} was trained on a different feature layout; retrain it")
    classes = list(meta["classes"])
    mean, scale = np.asarray(meta["scaler_mean"]), np.asarray(meta["scaler_scale"])
    coef, intercept = np.asarray(meta["coef"]), np.asarray(meta["intercept"])
    # Heads saved before calibration existed have no temperature: theirs is 1 (the raw softmax).
    temperature = float(meta.get("temperature", 1.0))

    def head(x: np.ndarray) -> dict[str, float]:
        # LogisticRegression.predict_proba: a sigmoid for two classes, a softmax over the classes otherwise
        z = (coef @ ((np.asarray(x, dtype=np.float64).ravel() - mean) / scale) + intercept) / temperature
        if len(classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-z[0]))
            probs = np.array([1.0 - p1, p1])
        else:
            e = np.exp(z - z.max())
            probs = e / e.sum()
        out = dict.fromkeys(MOODS, 0.0)
        out.update({c: float(v) for c, v in zip(classes, probs, strict=True)})
        return out

    head.version = meta["version"]  # type: ignore[attr-defined]
    head.meta = meta  # type: ignore[attr-defined]
    return head
