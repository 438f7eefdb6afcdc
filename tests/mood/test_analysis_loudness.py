"""Loudness, true peak and loudness range against signals with known values."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from sonicai.music.analysis.loudness import measure_loudness

SR = 48000


def normalise_to(audio: np.ndarray, target: float) -> np.ndarray:
    meter = pyloudnorm.Meter(SR)
    return pyloudnorm.normalize.loudness(audio.T, meter.integrated_loudness(audio.T.copy()), target).T


@pytest.mark.parametrize("kind", ["noise", "sine"])
def test_minus_23_lufs(kind):
    t = np.arange(SR * 5) / SR
    if kind == "noise":
        x = np.random.default_rng(0).standard_normal((2, len(t))) * 0.05
    else:
        x = np.stack([0.2 * np.sin(2 * np.pi * 440 * t)] * 2)
    m = measure_loudness(normalise_to(x, -23.0), SR)
    assert abs(m["integrated_lufs"] + 23.0) <= 0.5
    assert m["true_peak_dbtp"] >= m["sample_peak_dbfs"]


def test_997hz_sine_reference_level():
    # BS.1770: a 0 dB FS 997 Hz sine in one channel reads -3.01 LKFS; at -6 dB FS, -9.03.
    t = np.arange(SR * 4) / SR
    m = measure_loudness(0.5 * np.sin(2 * np.pi * 997 * t), SR)
    assert abs(m["integrated_lufs"] + 9.03) <= 0.1


def test_true_peak_catches_inter_sample_peak():
    # A sine at fs/4 sampled 45 degrees off its crest: samples reach 0.707, the wave reaches 1.0.
    n = np.arange(SR)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4)
    m = measure_loudness(x, SR)
    assert abs(m["sample_peak_dbfs"] + 3.01) < 0.05
    assert m["true_peak_dbtp"] > -0.5


def test_loudness_range_of_two_level_programme():
    # 20 s at one level then 20 s 10 dB quieter: short-term loudness spans ~10 LU.
    x = np.random.default_rng(1).standard_normal((2, SR * 20)) * 0.05
    prog = np.concatenate([x, x * 10 ** (-10 / 20)], axis=1)
    m = measure_loudness(prog, SR)
    assert 9.0 <= m["loudness_range_lu"] <= 11.0
    steady = measure_loudness(x, SR)
    assert steady["loudness_range_lu"] < 1.0


def test_silence_is_none_not_minus_infinity():
    m = measure_loudness(np.zeros((2, SR)), SR)
    assert m["integrated_lufs"] is None and m["sample_peak_dbfs"] is None


def test_integrated_loudness_equals_pyloudnorm_on_a_dynamic_programme():
    # our gating reuses one K-weighting pass; it must give pyloudnorm's integrated loudness exactly
    rng = np.random.default_rng(3)
    levels = np.repeat(10 ** rng.uniform(-3, 0, 40), SR // 4)  # 10 s in 0.25 s steps over 60 dB
    audio = (rng.standard_normal((2, len(levels))) * 0.2 * levels).astype(np.float32)
    ref = pyloudnorm.Meter(SR).integrated_loudness(np.array(audio.T, dtype=np.float64, order="C"))
    assert measure_loudness(audio, SR)["integrated_lufs"] == pytest.approx(round(ref, 2), abs=0.005)


def test_a_surround_file_is_measured_without_its_lfe_channel():
    """A 5.1 upload's analysis failed ("at most 5 channels"): BS.1770 weighs the surrounds 1.41 and leaves the
    LFE (the fourth channel) out, so a rumble there does not change the loudness."""
    from sonicai.music.analysis.loudness import measure_loudness

    sr = 44100
    t = np.arange(sr * 3) / sr
    front = 0.1 * np.sin(2 * np.pi * 1000 * t)
    five_one = np.stack([front, front, front, 0.5 * np.sin(2 * np.pi * 40 * t), front, front])
    quiet_lfe = five_one.copy()
    quiet_lfe[3] = 0.0
    loud = measure_loudness(five_one, sr)
    assert loud["integrated_lufs"] is not None
    assert loud["integrated_lufs"] == measure_loudness(quiet_lfe, sr)["integrated_lufs"]
    stereo = measure_loudness(np.stack([front, front]), sr)["integrated_lufs"]
    # three fronts at 1.0 and two surrounds at 1.41 against two fronts: 10*log10(5.82/2) dB louder
    assert loud["integrated_lufs"] - stereo == pytest.approx(10 * np.log10(5.82 / 2), abs=0.05)


@pytest.mark.parametrize("order", ["wav", "vorbis"])
def test_the_lfe_is_found_where_the_file_order_puts_it(order):
    """WAV and FLAC put the LFE 4th, Vorbis and Opus last: either way the band-limited channel is the one left
    out, and a six-track recording of full-band channels keeps all six."""
    from sonicai.music.analysis.loudness import measure_loudness

    sr = 48000
    t = np.arange(sr * 3) / sr
    front = 0.1 * np.sin(2 * np.pi * 1000 * t)
    rumble = 0.5 * np.sin(2 * np.pi * 50 * t)
    silent = np.zeros_like(t)
    channels = [front, front, front, rumble, silent, silent] if order == "wav" else \
        [front, front, front, silent, silent, rumble]
    with_lfe = measure_loudness(np.stack(channels), sr)["integrated_lufs"]
    without = measure_loudness(np.stack([front, front, front]), sr)["integrated_lufs"]
    assert with_lfe == pytest.approx(without, abs=0.01)
    six_tracks = np.stack([front] * 6)
    assert measure_loudness(six_tracks, sr)["integrated_lufs"] > without + 2.0  # nothing left out
