"""Separation engines on arrays: the real Spleeter weights, the baseline, and Demucs'
real code path on its tiny unit-test model."""

import numpy as np
import pytest

from sonicai.music.separation.base import EngineUnavailable
from sonicai.music.separation.demucs_engine import DemucsEngine
from sonicai.music.separation.hpss import HPSSEngine
from sonicai.music.separation.registry import get_engine, list_engines
from sonicai.music.separation.spleeter_engine import SpleeterEngine

SR = 44100


def voice(seconds: float, sr: int = SR, f0: float = 220.0) -> np.ndarray:
    """A sung vowel: harmonics of a vibrato fundamental shaped by /a/ formants, phrased."""
    t = np.arange(int(seconds * sr)) / sr
    f = f0 * (1 + 0.02 * np.sin(2 * np.pi * 5.5 * t)) * np.where((t % 2.0) < 1.0, 1.0, 1.26)
    phase = 2 * np.pi * np.cumsum(f) / sr
    formants = [(700, 110), (1220, 120), (2600, 160)]
    y = np.zeros_like(t)
    for h in range(1, 30):
        fh = h * f
        gain = sum(np.exp(-0.5 * ((fh - fc) / bw) ** 2) for fc, bw in formants) + 0.05 / h
        y += gain * np.sin(h * phase)
    envelope = np.clip(np.sin(np.pi * (t % 1.0)), 0, 1) ** 0.3
    return (0.25 * y / np.max(np.abs(y)) * envelope).astype(np.float32)


def band(seconds: float, sr: int = SR) -> np.ndarray:
    """Drums (noise bursts and a kick) and a repeating bass/chord loop."""
    t = np.arange(int(seconds * sr)) / sr
    beat = (t * 2.0) % 1.0
    kick = np.sin(2 * np.pi * 55 * t) * np.exp(-beat * 20)
    hat = np.random.default_rng(0).normal(0, 1, t.size) * np.exp(-((t * 4.0) % 1.0) * 40) * 0.3
    chords = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0)) * 0.1
    bass = np.sin(2 * np.pi * 65.4 * t) * 0.3
    return (0.4 * (kick + hat) + chords + bass).astype(np.float32)


@pytest.mark.parametrize("engine", [SpleeterEngine(device="cpu"), HPSSEngine()])
@pytest.mark.parametrize("shape", [(2, SR * 4), (1, SR * 3)])
def test_stems_sum_to_the_mix_and_keep_the_shape(engine, shape):
    rng = np.random.default_rng(1)
    mix = (rng.normal(0, 0.1, shape)).astype(np.float32)
    stems = engine.separate(mix, SR)
    assert list(stems) == ["vocals", "drums", "bass", "other"]
    assert all(s.shape == mix.shape for s in stems.values())
    assert np.max(np.abs(sum(stems.values()) - mix)) < 1e-5


def test_other_sample_rates_come_back_at_their_rate():
    mix = np.stack([band(3, 22050), band(3, 22050)])
    stems = SpleeterEngine(device="cpu").separate(mix, 22050)
    assert stems["vocals"].shape == mix.shape


def test_spleeter_finds_the_voice():
    v, acc = voice(6.0), band(6.0)
    mix = np.stack([v + acc, v + acc])
    stems = SpleeterEngine(device="cpu").separate(mix, SR)
    est = stems["vocals"].mean(axis=0)

    def sdr(ref, est):
        return 10 * np.log10(np.sum(ref**2) / np.sum((ref - est) ** 2))

    # the vocal estimate is much closer to the voice than the raw mix is
    assert sdr(v, est) > sdr(v, mix[0]) + 3.0
    assert np.corrcoef(est, v)[0, 1] > 0.8
    # and the drums stem carries the percussion, not the voice
    assert np.corrcoef(stems["drums"].mean(axis=0), v)[0, 1] < 0.3


def test_demucs_real_code_path_on_the_tiny_model():
    from demucs.pretrained import demucs_unittest

    calls = []
    engine = DemucsEngine("htdemucs", model=demucs_unittest(), device="cpu")
    mix = np.stack([band(2.0), band(2.0)])
    stems = engine.separate(mix, SR, progress=lambda fraction, stage: calls.append(fraction))
    assert list(stems) == ["vocals", "drums", "bass", "other"]
    assert all(s.shape == mix.shape and np.all(np.isfinite(s)) for s in stems.values())
    assert calls and calls[-1] == 1.0 and all(0 <= c <= 1 for c in calls)


def test_missing_demucs_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.delenv("SONICAI_ALLOW_DOWNLOADS", raising=False)
    engine = DemucsEngine("htdemucs_ft", models_dir=tmp_path)
    ok, message = engine.available()
    assert not ok and str(tmp_path / "demucs") in message
    with pytest.raises(EngineUnavailable, match="not installed"):
        engine.separate(np.zeros((2, SR), np.float32), SR)


def test_registry_lists_every_engine(tmp_path):
    rows = {r["name"]: r for r in list_engines(tmp_path)}
    assert set(rows) == {"spleeter", "spleeter-4stems", "spleeter-5stems", "htdemucs", "htdemucs_ft", "htdemucs_6s",
                         "hpss"}
    assert rows["spleeter"]["available"] and rows["spleeter"]["default"]
    assert rows["htdemucs_6s"]["stems"][-2:] == ["guitar", "piano"]
    with pytest.raises(EngineUnavailable):
        get_engine("nope")


def test_hpss_finds_the_voice_block_by_block_and_says_how_far_it_is(monkeypatch):
    """REPET-SIM over a whole song was quadratic in its length (73 s of a 3-min song's 96 s, the progress bar
    still all the while); block by block it is linear, and the progress moves after every block."""
    import sonicai.music.separation.hpss as hpss

    monkeypatch.setattr(hpss, "BLOCK_SECONDS", 4.0)
    v, acc = voice(16.0), band(16.0)
    mix = np.stack([v + acc, v + acc])
    heard: list[tuple[float, str]] = []
    stems = HPSSEngine().separate(mix, SR, lambda fraction, stage: heard.append((fraction, stage)))
    est = stems["vocals"].mean(axis=0)

    def sdr(ref, est):
        return 10 * np.log10(np.sum(ref**2) / np.sum((ref - est) ** 2))

    assert sdr(v, est) > sdr(v, mix[0]) + 3.0
    searching = [f for f, stage in heard if stage == "finding the repeating accompaniment"]
    assert len(searching) >= 5 and searching == sorted(searching)  # the start, then once per block (4 of them)
    assert [f for f, _ in heard] == sorted(f for f, _ in heard)
    assert np.max(np.abs(sum(stems.values()) - mix)) < 1e-5


def test_hpss_masks_block_by_block_are_those_of_one_pass(monkeypatch):
    import librosa

    import sonicai.music.separation.hpss as hpss

    monkeypatch.setattr(hpss, "BLOCK_SECONDS", 2.0)
    mag = np.abs(librosa.stft(band(9.0), n_fft=hpss.N_FFT, hop_length=hpss.HOP))
    heard = []
    harmonic, percussive = hpss._hpss_masks(mag, SR, lambda fraction, stage: heard.append(fraction))
    whole_h, whole_p = librosa.decompose.hpss(mag, mask=True, margin=1.0)
    total = whole_h + whole_p + 1e-12
    assert np.allclose(harmonic, whole_h / total, atol=1e-6) and np.allclose(percussive, whole_p / total, atol=1e-6)
    assert heard == sorted(heard) and len(heard) == len(hpss._blocks(mag.shape[1], SR)) >= 4  # one per block


def test_hpss_separates_high_rate_audio_at_44k_and_gives_it_back_at_its_rate(monkeypatch):
    """A 1-minute 96-kHz file took 90 s, as long as a 2-minute song at 44.1 kHz: the masks' cost follows the
    frames per second, and nothing above 22 kHz tells one stem from another."""
    import sonicai.music.separation.hpss as hpss

    rates = []
    real = hpss._repet_sim_mask
    monkeypatch.setattr(hpss, "_repet_sim_mask",
                        lambda mag, sr, progress=None: rates.append(sr) or real(mag, sr, progress))
    v, acc = voice(6.0, 96000), band(6.0, 96000)
    mix = np.stack([v + acc, v + acc])
    stems = HPSSEngine().separate(mix, 96000)
    assert rates == [44100]
    assert all(s.shape == mix.shape for s in stems.values())
    assert np.max(np.abs(sum(stems.values()) - mix)) < 1e-5
    est = stems["vocals"].mean(axis=0)
    assert np.corrcoef(est, v)[0, 1] > np.corrcoef(mix[0], v)[0, 1] + 0.1
