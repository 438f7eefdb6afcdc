"""Time stretching: exact durations, and the tempo really changes by the requested amount."""

import numpy as np
import pytest
import scipy.signal as ss

from sonicai.music.testing.signals import drum_loop
from sonicai.music.transform.stretch import StretchError, tempo_ratio, time_stretch, warp_to_grid

SR = 44100


def measured_bpm(audio: np.ndarray, sr: int, near: float) -> float:
    """Tempo from librosa's beat tracker: the median inter-beat interval of the tracked beats."""
    import librosa

    y = audio.mean(axis=0)
    _, beats = librosa.beat.beat_track(y=y, sr=sr, start_bpm=near, units="time", tightness=400)
    return 60.0 / float(np.median(np.diff(beats)))


def test_tempo_ratio_from_percent_and_target():
    assert tempo_ratio(percent=10) == pytest.approx(1.1)
    assert tempo_ratio(percent=-50) == pytest.approx(0.5)
    assert tempo_ratio(target_bpm=150, source_bpm=100) == pytest.approx(1.5)
    for bad in (dict(percent=-60), dict(percent=101), dict(target_bpm=10, source_bpm=100),
                dict(target_bpm=120), dict(percent=5, target_bpm=120, source_bpm=100), dict()):
        with pytest.raises(StretchError):
            tempo_ratio(**bad)


@pytest.mark.parametrize("percent", [10.0, -25.0])
def test_stretch_hits_duration_and_tempo(percent):
    source_bpm = 100.0
    loop = drum_loop(source_bpm, 8.0, SR)
    rate = tempo_ratio(percent=percent)
    out = time_stretch(loop, SR, rate)
    assert out.shape == (2, round(loop.shape[1] / rate))
    assert out.dtype == np.float32
    target = source_bpm * rate
    assert measured_bpm(out, SR, near=target) == pytest.approx(target, rel=0.02)
    # The loop is still there: loudness within 2 dB of the source (no dropouts, no blow-ups).
    rms = lambda a: np.sqrt(np.mean(a ** 2))  # noqa: E731
    assert abs(20 * np.log10(rms(out) / rms(loop))) < 2.0


def test_stretch_mono_and_bounds():
    y = np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1
    assert time_stretch(y, SR, 0.8).shape == (round(SR / 0.8),)
    with pytest.raises(StretchError):
        time_stretch(y, SR, 10.0)


def test_warp_to_grid_puts_drifting_beats_on_the_grid():
    rng = np.random.default_rng(1)
    src = np.cumsum(0.5 + rng.uniform(-0.06, 0.06, 12))  # a performance drifting around 120 BPM
    n = int((src[-1] + 0.5) * SR)
    x = np.tile(0.05 * np.sin(2 * np.pi * 220 * np.arange(n) / SR), (2, 1)).astype(np.float32)
    for s in src:
        i = int(s * SR)
        x[:, i: i + 400] += np.hanning(400) * np.sin(np.arange(400) * 0.5)
    dst = src[0] + np.arange(len(src)) * 60 / 100.0  # a fixed 100 BPM grid
    y = warp_to_grid(x, SR, src, dst)
    hp = ss.butter(4, 2000, "hp", fs=SR, output="sos")
    env = np.abs(ss.sosfilt(hp, y[0]))
    clicks_peak = 200 / SR  # each click peaks at the centre of its 400-sample window
    for d in dst:
        i = int(d * SR)
        found = (np.argmax(env[i - 3000: i + 3000]) - 3000) / SR
        assert abs(found - clicks_peak) < 0.003  # within 3 ms of the grid line
