"""Effects chains: strict validation, clamping, presets, and each effect doing what it says."""

import numpy as np
import pytest

from sonicai.music.transform.effects import EFFECT_SPECS, PRESETS, EffectsError, apply_chain, validate_chain

SR = 44100


def noise(seconds: float = 1.0, level: float = 0.1) -> np.ndarray:
    return (level * np.random.default_rng(0).standard_normal((2, int(seconds * SR)))).astype(np.float32)


def band_energy(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x.mean(axis=0))) ** 2
    f = np.fft.rfftfreq(x.shape[1], 1 / SR)
    return float(spec[(f >= lo) & (f < hi)].sum())


def test_validation_clamps_fills_defaults_and_names_bad_fields():
    chain = validate_chain([{"type": "gain", "gain_db": 100}, {"type": "reverb", "room_size": -3}])
    assert chain[0] == {"type": "gain", "gain_db": EFFECT_SPECS["gain"]["gain_db"]["max"]}
    assert chain[1]["room_size"] == 0.0 and chain[1]["damping"] == EFFECT_SPECS["reverb"]["damping"]["default"]
    with pytest.raises(EffectsError, match=r"effect 1: .flanger. is not an effect"):
        validate_chain([{"type": "flanger"}])
    with pytest.raises(EffectsError, match=r"effect 2 \(reverb\)\.room"):
        validate_chain([{"type": "gain"}, {"type": "reverb", "room": 0.5}])
    with pytest.raises(EffectsError, match=r"effect 1 \(eq\)\.bands\[0\]\.kind"):
        validate_chain([{"type": "eq", "bands": [{"kind": "notch", "freq_hz": 100}]}])
    with pytest.raises(EffectsError, match=r"effect 1 \(gain\)\.gain_db"):
        validate_chain([{"type": "gain", "gain_db": "loud"}])
    with pytest.raises(EffectsError, match="unknown preset"):
        validate_chain("nope")
    assert validate_chain(" Radio ") == validate_chain("radio")  # a preset is named in any case


def test_every_preset_validates_and_renders():
    x = noise(0.5)
    for name in PRESETS:
        chain = validate_chain(name)
        assert chain == validate_chain({"preset": name})
        out = apply_chain(x, SR, name)
        tail = int(round(sum(e.get("tail_seconds", 0) for e in chain) * SR))
        assert out.shape == (2, x.shape[1] + tail)
        assert np.all(np.isfinite(out)) and np.abs(out).max() > 1e-3


def test_lowpass_removes_high_frequencies():
    x = noise()
    out = apply_chain(x, SR, [{"type": "lowpass", "cutoff_hz": 1000, "poles": 2}])
    assert band_energy(out, 8000, 20000) < 0.01 * band_energy(x, 8000, 20000)
    assert band_energy(out, 50, 300) > 0.8 * band_energy(x, 50, 300)


def test_gain_six_db_doubles_amplitude():
    x = noise()
    out = apply_chain(x, SR, [{"type": "gain", "gain_db": 6.0206}])
    np.testing.assert_allclose(out, 2 * x, rtol=1e-3, atol=1e-6)


def short_term_range_db(a: np.ndarray) -> float:
    """Spread between loud and quiet 10 ms RMS levels: the dynamic range a compressor should shrink."""
    frames = a.mean(axis=0)[: a.shape[1] // 441 * 441].reshape(-1, 441)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    return float(np.percentile(level, 95) - np.percentile(level, 10))


def test_compressor_reduces_dynamic_range():
    t = np.arange(2 * SR) / SR
    # Loud bursts over a quiet bed: the compressor should pull the bursts toward the bed.
    env = np.where((t % 0.5) < 0.2, 1.0, 0.05)
    x = np.tile(0.8 * env * np.sin(2 * np.pi * 200 * t), (2, 1)).astype(np.float32)
    out = apply_chain(x, SR, [{"type": "compressor", "threshold_db": -30, "ratio": 10, "attack_ms": 1}])
    # Measured on short-term levels: the sample-peak crest factor is dominated by the attack overshoot.
    assert short_term_range_db(out) < short_term_range_db(x) - 6.0


def test_reverb_tail_extends_output_and_disabled_effects_bypass():
    x = np.zeros((2, SR // 2), np.float32)
    x[:, 100] = 1.0
    out = apply_chain(x, SR, [{"type": "reverb", "room_size": 0.9, "wet_level": 0.5, "tail_seconds": 1.0}])
    assert out.shape[1] == x.shape[1] + SR
    assert np.abs(out[:, x.shape[1]:]).max() > 1e-3  # the tail really rings into the extension
    bypassed = apply_chain(x, SR, [{"type": "gain", "gain_db": 12, "enabled": False}])
    np.testing.assert_array_equal(bypassed, x)
    # a bypassed reverb adds no tail (it made the song 10 s of silence longer)
    off = apply_chain(x, SR, [{"type": "reverb", "tail_seconds": 1.0, "enabled": False}])
    np.testing.assert_array_equal(off, x)


def test_reverb_dry_level_is_the_untouched_signals_gain():
    x = noise(2.0)
    rms = float(np.sqrt(np.mean(x ** 2)))
    for dry in (1.0, 0.9, 0.5):
        out = apply_chain(x, SR, [{"type": "reverb", "wet_level": 0.0, "dry_level": dry}])
        assert float(np.sqrt(np.mean(out ** 2))) == pytest.approx(dry * rms, rel=0.02)
    # the vocal-polish preset's reverb (dry 0.9, a little wet) stays within 1 dB of the input
    out = apply_chain(x, SR, [{"type": "reverb", "room_size": 0.3, "wet_level": 0.12, "dry_level": 0.9}])
    assert abs(20 * np.log10(np.sqrt(np.mean(out ** 2)) / rms)) < 1.0


def test_a_remix_that_goes_over_full_scale_is_turned_down_not_clipped():
    from sonicai.music.remix.pipeline import RemixParams, run_remix

    t = np.arange(SR) / SR
    x = np.tile(0.4 * np.sin(2 * np.pi * 220 * t), (2, 1)).astype(np.float32)
    out = run_remix(x, SR, RemixParams(effects=[{"type": "gain", "gain_db": 12}]))
    assert np.abs(out.audio).max() <= 1.0
    assert out.summary["turned_down_db"] < 0
    # the effect's 12 dB is still heard against the input, short of the overs
    assert np.sqrt(np.mean(out.audio ** 2)) > 2 * np.sqrt(np.mean(x ** 2))
    quiet = run_remix(x, SR, RemixParams(effects=[{"type": "gain", "gain_db": -6}]))
    assert "turned_down_db" not in quiet.summary
