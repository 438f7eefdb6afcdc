"""Feature extraction: documented keys, finite plain-Python values, sensible behaviour."""

from __future__ import annotations

import json
import math

import numpy as np

from sonicai.music.analysis.features import FEATURE_KEYS, extract_features

SR = 22050


def clicks(rate_hz: float, seconds: float = 6.0) -> np.ndarray:
    y = 0.01 * np.random.default_rng(0).standard_normal(int(seconds * SR))
    n = int(0.02 * SR)
    burst = np.random.default_rng(1).standard_normal(n) * np.exp(-np.arange(n) / (0.003 * SR))
    for t in np.arange(0.25, seconds - 0.1, 1.0 / rate_hz):
        s = int(t * SR)
        y[s : s + n] += burst
    return y.astype(np.float32)


def _all_numbers(v) -> list[float]:
    if isinstance(v, list):
        return [x for item in v for x in _all_numbers(item)]
    return [v]


def test_documented_keys_finite_and_json():
    f = extract_features(clicks(4.0), SR)
    assert set(f) == set(FEATURE_KEYS)
    json.dumps(f)  # plain Python types only
    for key, value in f.items():
        nums = _all_numbers(value)
        assert all(type(x) in (float, int) and math.isfinite(x) for x in nums), key
    assert len(f["mfcc_mean"]) == len(f["mfcc_std"]) == 13
    assert len(f["chroma_mean"]) == 12
    assert len(f["spectral_contrast_mean"]) == 7
    assert len(f["mfcc_frames"]) == 13 and 1 <= len(f["mfcc_frames"][0]) <= 64


def test_onset_rate_follows_click_rate():
    slow = extract_features(clicks(2.0), SR)["onset_rate"]
    fast = extract_features(clicks(6.0), SR)["onset_rate"]
    assert abs(slow - 2.0) < 0.5
    assert abs(fast - 6.0) < 1.0


def test_brighter_sound_has_higher_centroid_and_tonal_sound_is_less_flat():
    t = np.arange(SR * 3) / SR
    low = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    noise = (0.3 * np.random.default_rng(2).standard_normal(len(t))).astype(np.float32)
    f_low, f_noise = extract_features(low, SR), extract_features(noise, SR)
    assert f_noise["spectral_centroid_mean"] > 5 * f_low["spectral_centroid_mean"]
    assert f_noise["spectral_flatness_mean"] > 10 * f_low["spectral_flatness_mean"]
    assert f_noise["zcr_mean"] > f_low["zcr_mean"]
