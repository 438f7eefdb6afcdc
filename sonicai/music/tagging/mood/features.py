"""The one definition of the feature vector a trained mood head sees."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sonicai.music.tagging.musicnn import MSD_TAGS

from .prior import audio_cues, valence_arousal

EMBED_DIM = 200  # musicnn MSD penultimate layer
_CUES = ["tempo", "loudness", "onsets", "brightness", "mode"]

FEATURE_NAMES: list[str] = (
    [f"tag:{t}" for t in MSD_TAGS]
    + [f"emb:{i}" for i in range(EMBED_DIM)]
    + ["has_embedding"]
    + [f"cue:{c}" for c in _CUES]
    + [f"has_cue:{c}" for c in _CUES]
    + ["prior_valence", "prior_arousal"]
)
FEATURE_DIM = len(FEATURE_NAMES)


def mood_feature_vector(tags: Mapping[str, float], embedding: np.ndarray | None, features: Mapping,
                        tempo_bpm: float | None, mode: str | None) -> np.ndarray:
    """float32 vector laid out as FEATURE_NAMES. Missing inputs become 0 with an explicit 'has_*' flag so a
    head can tell "absent" from "zero"; audio cues use the prior's bounded [-1, 1] scaling."""
    tag_part = np.array([float(tags.get(t, 0.0)) for t in MSD_TAGS], dtype=np.float32)
    emb = np.zeros(EMBED_DIM, dtype=np.float32)
    has_emb = 0.0
    if embedding is not None:
        e = np.asarray(embedding, dtype=np.float32).ravel()
        if e.size != EMBED_DIM:
            raise ValueError(f"embedding must have {EMBED_DIM} values (musicnn penultimate), got {e.size}")
        emb, has_emb = np.nan_to_num(e), 1.0
    cues = audio_cues(features, tempo_bpm, mode)
    cue_vals = [cues.get(c, 0.0) for c in _CUES]
    cue_has = [1.0 if c in cues else 0.0 for c in _CUES]
    v, a = valence_arousal(tags, features, tempo_bpm, mode)
    out = np.concatenate([tag_part, emb, [has_emb], cue_vals, cue_has, [v, a]]).astype(np.float32)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
