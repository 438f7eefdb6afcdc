"""The bar-pointer DBN beat tracker on activation functions whose beats are known."""

import numpy as np

from sonicai.music.analysis.beat_dbn import track_beats

FPS = 100.0


def activation(beats: np.ndarray, seconds: float, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Peaks of height ~0.9 at the beat frames over low noise, like a confident beat network."""
    rng = np.random.default_rng(seed)
    act = rng.uniform(0, noise, int(seconds * FPS))
    for b in beats:
        i = int(round(b * FPS))
        if i < len(act):
            act[max(0, i - 1) : i + 2] = [0.3, 0.9, 0.3][: len(act[max(0, i - 1) : i + 2])]
    return act


def test_recovers_every_beat_of_a_steady_pulse():
    beats = np.arange(0.5, 20.0, 60.0 / 120.0)
    est = track_beats(activation(beats, 20.0), FPS)
    assert len(est) == len(beats)
    np.testing.assert_allclose(est, beats, atol=0.011)


def test_follows_a_gradual_tempo_change():
    # 100 -> 112 BPM over 30 s: the interval may change at every beat
    times, t = [], 0.4
    while t < 30.0:
        times.append(t)
        t += 60.0 / (100.0 + 12.0 * t / 30.0)
    beats = np.array(times)
    est = track_beats(activation(beats, 30.0, seed=1), FPS)
    assert len(est) == len(beats)
    assert np.max(np.abs(est - beats)) <= 0.011


def test_bridges_a_missing_beat_and_ignores_a_spurious_peak():
    beats = np.arange(0.5, 15.0, 0.5)
    act = activation(beats, 15.0, seed=2)
    act[int(round(beats[10] * FPS))] = 0.02  # one beat without evidence
    act[int(round((beats[20] + 0.23) * FPS))] = 0.8  # an off-beat onset
    est = track_beats(act, FPS)
    assert len(est) == len(beats)
    assert np.abs(est[10] - beats[10]) < 0.03


def test_tempo_range_limits_the_metrical_level():
    beats = np.arange(0.5, 20.0, 0.25)  # 240 BPM pulse
    est = track_beats(activation(beats, 20.0, seed=3), FPS, min_bpm=100.0, max_bpm=150.0)
    assert 100.0 <= 60.0 / np.median(np.diff(est)) <= 150.0  # every other pulse: 120 BPM


def test_empty_and_silent_input():
    assert len(track_beats(np.zeros(1), FPS)) == 0
    assert np.all(np.diff(track_beats(np.zeros(500), FPS)) > 0)
