"""Mood estimation (happy, sad, energetic, calm, angry, melancholic, romantic) from tagger output + features."""

from .features import FEATURE_DIM, FEATURE_NAMES, mood_feature_vector
from .head import LABEL_ALIASES, TrainReport, load_mood_head, normalize_label, train_mood_head
from .model import MoodModel, MoodResult, load_mood_model, predict_mood
from .prior import MOODS, PRIOR_VERSION, valence_arousal

__all__ = [
    "FEATURE_DIM", "FEATURE_NAMES", "LABEL_ALIASES", "MOODS", "PRIOR_VERSION", "MoodModel", "MoodResult",
    "TrainReport", "load_mood_head", "load_mood_model", "mood_feature_vector", "normalize_label", "predict_mood",
    "train_mood_head", "valence_arousal",
]  # fmt: skip
