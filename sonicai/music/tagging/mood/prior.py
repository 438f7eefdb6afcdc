"""'mood-prior-1': a hand-specified valence/arousal (circumplex) mood model on musicnn MSD tags + audio cues.

Why a prior and not a trained classifier: we have no labelled mood data to ship, and the MSD tags of the
pretrained tagger already carry affective meaning ('happy', 'sad', 'Mellow', 'party', 'heavy metal', ...).
Reasoning and constants are documented in docs/mood_model.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..moods import MOODS

PRIOR_VERSION = "mood-prior-1"

# Russell-circumplex positions (valence, arousal) in [0, 1]^2. Neighbours are deliberately adjacent so that
# the runner-up is the musically nearest mood (energetic<->happy, calm<->melancholic<->sad, calm<->romantic).
CENTROIDS: dict[str, tuple[float, float]] = {
    "happy": (0.80, 0.65),
    "energetic": (0.55, 0.88),
    "angry": (0.12, 0.85),
    "calm": (0.60, 0.18),
    "romantic": (0.75, 0.36),
    "melancholic": (0.35, 0.30),
    "sad": (0.15, 0.20),
}
# Width of each mood region in V/A units; smaller = more confident primary moods.
SIGMA = 0.18

# Tag evidence for arousal / valence: weight in [-3, 3]. Rare-but-explicit tags ('happy', 'sad', 'party')
# weigh more because musicnn rarely gives them high probability; genre tags carry milder, conventional cues.
AROUSAL_TAGS: dict[str, float] = {
    "party": 2.5, "dance": 2.0, "House": 2.0, "electro": 1.5, "electronic": 0.7, "punk": 2.5, "metal": 2.5,
    "heavy metal": 3.0, "hard rock": 2.5, "rock": 0.8, "Hip-Hop": 1.0, "funk": 1.2, "catchy": 1.0, "happy": 1.0,
    "classic rock": 0.6, "alternative rock": 0.8, "indie rock": 0.6, "pop": 0.4,
    "Mellow": -2.5, "chill": -2.0, "chillout": -2.0, "ambient": -2.5, "easy listening": -2.0, "acoustic": -1.5,
    "beautiful": -1.5, "sad": -1.5, "folk": -1.0, "jazz": -0.8, "instrumental": -0.8, "blues": -0.5,
    "oldies": -0.5, "country": -0.3, "soul": -0.5, "rnb": -0.3, "sexy": -0.5,
}  # fmt: skip
VALENCE_TAGS: dict[str, float] = {
    "happy": 3.0, "party": 2.0, "catchy": 1.5, "funk": 1.5, "dance": 1.2, "pop": 1.0, "sexy": 1.5, "soul": 1.0,
    "rnb": 0.8, "easy listening": 1.0, "beautiful": 1.0, "country": 0.6, "oldies": 0.5, "House": 0.6,
    "chill": 0.5, "chillout": 0.5, "indie pop": 0.8, "60s": 0.3, "70s": 0.3,
    "sad": -3.0, "heavy metal": -2.5, "metal": -2.0, "hard rock": -1.2, "punk": -1.2, "experimental": -0.8,
    "alternative": -0.4, "indie rock": -0.2, "blues": -0.6, "Mellow": -0.3, "ambient": -0.2,
}  # fmt: skip
# Tags that point at one mood beyond what V/A says (added to that mood's logit, per unit probability mass).
MOOD_TAG_BONUS: dict[str, dict[str, float]] = {
    "romantic": {"sexy": 2.0, "rnb": 1.5, "soul": 1.5, "beautiful": 0.8},
    "angry": {"heavy metal": 2.0, "metal": 1.5, "punk": 1.0, "hard rock": 0.8},
    "melancholic": {"sad": 0.8, "oldies": 0.8, "60s": 0.6, "70s": 0.5, "folk": 0.5, "Mellow": 0.5},
    "sad": {"sad": 1.5},
    "happy": {"happy": 2.0, "catchy": 0.8, "party": 0.8},
    "energetic": {"party": 0.8, "dance": 0.8, "House": 0.8, "electro": 0.8, "punk": 0.5, "hard rock": 0.5},
    "calm": {"ambient": 1.0, "chillout": 0.8, "chill": 0.8, "easy listening": 0.8, "instrumental": 0.4},
}
BONUS_SCALE = 1.0


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _num(features: Mapping, *keys: str) -> float | None:
    for k in keys:
        v = features.get(k)
        if isinstance(v, int | float) and math.isfinite(float(v)):
            return float(v)
    return None


def _tag_vote(tags: Mapping[str, float], weights: Mapping[str, float]) -> tuple[float, float]:
    """Weighted vote in [-1, 1] and its evidence mass (sum of |w| * p)."""
    num = sum(w * float(tags.get(t, 0.0)) for t, w in weights.items())
    mass = sum(abs(w) * float(tags.get(t, 0.0)) for t, w in weights.items())
    return (num / mass if mass > 1e-9 else 0.0), mass


def audio_cues(features: Mapping, tempo_bpm: float | None, mode: str | None) -> dict[str, float]:
    """Each available cue as a signed score in [-1, 1] (positive = more arousal / more valence)."""
    cues: dict[str, float] = {}
    if tempo_bpm and tempo_bpm > 0:
        cues["tempo"] = 2 * _sigmoid((tempo_bpm - 105.0) / 15.0) - 1  # 75 bpm -> -0.76, 135 -> +0.76
    lufs = _num(features, "loudness_lufs", "integrated_lufs")
    if lufs is not None:
        cues["loudness"] = 2 * _sigmoid((lufs + 16.0) / 4.0) - 1  # -24 LUFS quiet, -8 LUFS loud master
    else:
        rms = _num(features, "rms_mean")
        if rms is not None and rms > 0:
            cues["loudness"] = 2 * _sigmoid((20 * math.log10(rms) + 20.0) / 5.0) - 1
    onset_rate = _num(features, "onset_rate")
    if onset_rate is not None:
        cues["onsets"] = 2 * _sigmoid((onset_rate - 3.0) / 1.2) - 1  # events per second
    centroid = _num(features, "spectral_centroid_mean")
    if centroid is not None:
        cues["brightness"] = 2 * _sigmoid((centroid - 2000.0) / 600.0) - 1  # Hz
    m = (mode or "").strip().lower()
    if m in ("major", "minor"):
        cues["mode"] = 1.0 if m == "major" else -1.0
    return cues


# How much each cue moves arousal / valence (relative weights; tag evidence competes with these).
AROUSAL_CUE_W = {"tempo": 1.0, "loudness": 1.0, "onsets": 1.0, "brightness": 0.7}
VALENCE_CUE_W = {"mode": 1.0, "tempo": 0.4, "brightness": 0.3}
TAG_WEIGHT_AROUSAL = 3.0
TAG_WEIGHT_VALENCE = 3.0
# Pseudo-evidence for "neutral" (0.5), so that weak or one-sided evidence cannot push V/A to the extremes.
NEUTRAL_WEIGHT = 0.5


def _combine(tag_vote: float, tag_mass: float, tag_weight: float, cues: dict[str, float],
             cue_w: dict[str, float]) -> float:
    # Tag evidence saturates: weak, diffuse tag outputs should not outvote clear audio cues.
    tw = tag_weight * (1 - math.exp(-2.0 * tag_mass))
    num = tw * tag_vote + sum(cue_w[k] * v for k, v in cues.items() if k in cue_w)
    den = NEUTRAL_WEIGHT + tw + sum(cue_w[k] for k in cues if k in cue_w)
    return 0.5 + 0.5 * num / den


def valence_arousal(tags: Mapping[str, float], features: Mapping, tempo_bpm: float | None,
                    mode: str | None) -> tuple[float, float]:
    """(valence, arousal), each in [0, 1]; 0.5 = no evidence either way."""
    cues = audio_cues(features, tempo_bpm, mode)
    a = _combine(*_tag_vote(tags, AROUSAL_TAGS), TAG_WEIGHT_AROUSAL, cues, AROUSAL_CUE_W)
    v = _combine(*_tag_vote(tags, VALENCE_TAGS), TAG_WEIGHT_VALENCE, cues, VALENCE_CUE_W)
    return float(np.clip(v, 0, 1)), float(np.clip(a, 0, 1))


def prior_scores(tags: Mapping[str, float], valence: float, arousal: float) -> dict[str, float]:
    """Softmax over -squared distance to each mood centroid plus mood-specific tag bonuses."""
    logits = []
    for mood in MOODS:
        cv, ca = CENTROIDS[mood]
        d2 = (valence - cv) ** 2 + (arousal - ca) ** 2
        bonus = sum(w * float(tags.get(t, 0.0)) for t, w in MOOD_TAG_BONUS[mood].items())
        logits.append(-d2 / (2 * SIGMA**2) + BONUS_SCALE * bonus)
    z = np.array(logits)
    p = np.exp(z - z.max())
    p /= p.sum()
    return {m: float(x) for m, x in zip(MOODS, p, strict=True)}
