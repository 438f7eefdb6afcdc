"""MoodModel: one interface over the circumplex prior and trained heads."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..moods import MOODS
from .features import mood_feature_vector
from .head import load_mood_head
from .prior import CENTROIDS, PRIOR_VERSION, _num, prior_scores, valence_arousal

#: The shipped default head (docs/mood_model.md says what it was trained on and how well it does).
DEFAULT_HEAD = Path(__file__).parent / "weights" / "mood-multi-6.json"
#: Below this confidence the answer is marked ``uncertain`` unless the head's metadata says otherwise (its
#: ``uncertain_below``, chosen on held-out data so that the studio's uncertain answers are the mostly wrong ones).
UNCERTAIN_BELOW = 0.4
#: Quieter than this mean RMS (-70 dBFS, the absolute gate of EBU R 128 loudness) there is nothing to hear: a mood
#: is still computed from the tagger's guesses, but never stated as fact.
INAUDIBLE_RMS = 10 ** (-70 / 20)


@dataclass
class MoodResult:
    primary: str
    confidence: float  # probability of the primary mood
    scores: dict[str, float]  # every mood in MOODS, sums to 1
    valence: float  # 0 = negative .. 1 = positive
    arousal: float  # 0 = calm .. 1 = excited
    model_version: str
    ranked: list[str] = field(default_factory=list)  # moods by descending score
    uncertain: bool = False  # confidence too low for the studio to state the primary mood as fact


def _result(scores: dict[str, float], valence: float, arousal: float, version: str,
            uncertain_below: float = UNCERTAIN_BELOW) -> MoodResult:
    total = sum(scores.values())
    scores = {m: float(scores.get(m, 0.0)) / total for m in MOODS}
    ranked = sorted(MOODS, key=lambda m: -scores[m])
    conf = scores[ranked[0]]
    return MoodResult(ranked[0], conf, scores, valence, arousal, version, ranked, conf < uncertain_below)


class MoodModel:
    """``predict(tags, embedding, features, tempo_bpm, mode) -> MoodResult``. With ``head=None`` this is the
    'mood-prior-1' circumplex model; with a loaded head, the head's probabilities give the scores, and valence
    and arousal are the probability-weighted circumplex positions of the moods, so they agree with the
    primary mood."""

    def __init__(self, head: Callable[[np.ndarray], dict[str, float]] | None = None) -> None:
        self.head = head
        self.version = getattr(head, "version", PRIOR_VERSION) if head is not None else PRIOR_VERSION

    def predict(self, tags: Mapping[str, float], embedding: np.ndarray | None, features: Mapping | None,
                tempo_bpm: float | None, mode: str | None) -> MoodResult:
        features = features or {}
        result = self._predict(tags, embedding, features, tempo_bpm, mode)
        rms = _num(features, "rms_mean")
        if rms is not None and rms < INAUDIBLE_RMS:
            result.uncertain = True
        return result

    def _predict(self, tags: Mapping[str, float], embedding: np.ndarray | None, features: Mapping,
                 tempo_bpm: float | None, mode: str | None) -> MoodResult:
        valence, arousal = valence_arousal(tags, features, tempo_bpm, mode)
        prior = prior_scores(tags, valence, arousal)
        if self.head is None:
            return _result(prior, valence, arousal, self.version)
        scores = self.head(mood_feature_vector(tags, embedding, features, tempo_bpm, mode))
        # A head may keep a share of the prior (its metadata says how much): the shipped one does, because
        # its training set has few sad or angry excerpts and the prior's tag evidence knows those moods.
        meta = getattr(self.head, "meta", {})
        w = float(meta.get("prior_weight", 0.0))
        scores = {m: (1 - w) * scores.get(m, 0.0) + w * prior[m] for m in MOODS}
        total = sum(scores.values())
        valence = sum(p * CENTROIDS[m][0] for m, p in scores.items()) / total
        arousal = sum(p * CENTROIDS[m][1] for m, p in scores.items()) / total
        return _result(scores, valence, arousal, self.version, float(meta.get("uncertain_below", UNCERTAIN_BELOW)))


def predict_mood(tags: Mapping[str, float], embedding: np.ndarray | None, features: Mapping | None,
                 tempo_bpm: float | None, mode: str | None,
                 head: Callable[[np.ndarray], dict[str, float]] | None = None) -> MoodResult:
    """Mood of one track from musicnn tags/embedding, analysis features, tempo and mode ('major'/'minor')."""
    return MoodModel(head).predict(tags, embedding, features, tempo_bpm, mode)


def load_mood_model(models_dir: Path | None = None, default_head: Path | None = DEFAULT_HEAD) -> MoodModel:
    """The most recently trained head in ``models_dir`` (by its metadata 'created' time), else the shipped
    default head, else (``default_head=None`` or missing) the prior."""
    candidates = []
    if models_dir is not None and Path(models_dir).is_dir():
        for path in Path(models_dir).glob("*.json"):
            try:
                meta = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(meta, dict) and "version" in meta and "coef" in meta:
                candidates.append((float(meta.get("created", 0.0)), path))
    if candidates:
        return MoodModel(load_mood_head(max(candidates)[1]))
    if default_head is not None and Path(default_head).is_file():
        return MoodModel(load_mood_head(default_head))
    return MoodModel()
