"""Genre remixes: the genre's tempo and loudness are reached and the song's vocals survive, aligned."""

import numpy as np
import pytest

from sonicai.music.remix.genre import choose_tempo

SR = 44100


def test_choose_tempo_prefers_least_stretch_with_half_and_double_time():
    assert choose_tempo(124, (120, 130)) == (124, 1.0)
    assert choose_tempo(70, (120, 130)) == (130, 2.0)  # felt in double time: 140 -> 130
    assert choose_tempo(180, (70, 95)) == (90, 0.5)
    assert choose_tempo(100, (120, 130))[0] == 120
    assert choose_tempo(100, (120, 130), target_bpm=125) == (125, 1.0)


def sung_line(seconds: float, bpm: float) -> np.ndarray:
    """A vocal-like line: one note per beat with vibrato and a voice-ish harmonic stack."""
    t = np.arange(int(seconds * SR)) / SR
    beat = 60.0 / bpm
    notes = np.array([64, 67, 69, 67, 64, 62, 60, 62])
    midi = notes[(t // beat).astype(int) % len(notes)]
    f0 = 440 * 2 ** ((midi - 69) / 12) * (1 + 0.006 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = sum(np.sin(k * phase) / k ** 1.3 for k in range(1, 8))
    gate = np.clip(np.sin(np.pi * (t % beat) / beat) * 3, 0, 1)
    return np.tile(0.15 * voice * gate, (2, 1)).astype(np.float32)


def spectral_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of log-magnitude spectrograms in the vocal band (200 Hz - 4 kHz)."""
    import librosa

    n = min(a.shape[-1], b.shape[-1])
    sa = np.abs(librosa.stft(a.mean(axis=0)[:n], n_fft=2048, hop_length=512))
    sb = np.abs(librosa.stft(b.mean(axis=0)[:n], n_fft=2048, hop_length=512))
    f = librosa.fft_frequencies(sr=SR, n_fft=2048)
    band = (f > 200) & (f < 4000)
    la, lb = np.log1p(100 * sa[band] / sa.max()), np.log1p(100 * sb[band] / sb.max())
    return float(np.corrcoef(la.ravel(), lb.ravel())[0, 1])


@pytest.mark.parametrize("genre", ["lofi", "edm"])
def test_genre_remix_tempo_loudness_and_vocals(genre):
    for module in ("sonicai.music.compose.arranger", "sonicai.music.compose.production", "sonicai.music.synth",
                   "sonicai.music.master"):
        pytest.importorskip(module)
    import librosa
    import pyloudnorm

    from sonicai.music.remix.genre import genre_remix
    from sonicai.music.testing.signals import chord_progression
    from sonicai.music.transform.stretch import warp_to_grid

    bpm = 100.0
    backing, _ = chord_progression([(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")], bpm=bpm, sr=SR, program=24)
    vocals = sung_line(backing.shape[1] / SR, bpm)
    mix = backing + vocals
    stages = []
    result = genre_remix(mix, SR, genre, seed=1, stems={"vocals": vocals, "other": backing},
                         progress=lambda pct, msg: stages.append(pct))
    out = result.audio
    assert out.shape[0] == 2 and out.dtype == np.float32 and stages[-1] == 1.0
    from sonicai.music.compose.styles import STYLES

    lo, hi = STYLES[genre].tempo_range
    assert lo <= result.tempo_bpm <= hi
    _, beats = librosa.beat.beat_track(y=out.mean(axis=0), sr=SR, start_bpm=result.tempo_bpm, units="time")
    measured = 60.0 / float(np.median(np.diff(beats)))
    assert measured == pytest.approx(result.tempo_bpm, rel=0.02)
    loudness = pyloudnorm.Meter(SR).integrated_loudness(out.T.astype(np.float64))
    assert loudness == pytest.approx(-14.0, abs=1.0)
    # The source vocals, warped with the remix's own time map, line up with the remix's vocal band...
    vmap = result.summary["vocal_map"]
    aligned = warp_to_grid(vocals, SR, np.array(vmap["src"]), np.array(vmap["dst"]), out_length=out.shape[1])
    together = spectral_similarity(out, aligned)
    # ...clearly better than the same vocals half a beat off (so the match is the vocals, not the key).
    shift = int(30.0 / result.tempo_bpm * SR)
    apart = spectral_similarity(out[:, shift:], aligned[:, :-shift])
    assert together > 0.3 and together > apart + 0.05


def test_a_phone_recording_gets_a_finite_genre_remix():
    """8 kHz audio: the key finder's and the vinyl filter's frequencies lie above its Nyquist frequency (the
    lo-fi remix came out NaN and its job read as a crashed worker's); it is remixed at 44.1 kHz."""
    pytest.importorskip("sonicai.music.compose.production")
    from sonicai.music.audio_io import resample
    from sonicai.music.remix.pipeline import GENRE_RATE, RemixParams, run_remix
    from sonicai.music.testing.signals import chord_progression

    backing, _ = chord_progression([(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")], bpm=96.0, sr=SR, program=0)
    phone = resample(backing.mean(axis=0, keepdims=True), SR, 8000)
    out = run_remix(phone, 8000, RemixParams(genre="lofi", seed=2), stems={"other": phone})
    assert out.sr == GENRE_RATE and np.isfinite(out.audio).all() and np.abs(out.audio).max() > 0.01


def test_a_genre_remix_shifted_in_pitch_is_still_mastered():
    """The pitch shift came after the genre render's master: an EDM remix +2 semitones measured -15 LUFS and
    0 dBTP where every other genre render is -14 LUFS and -1 dBTP."""
    pytest.importorskip("sonicai.music.compose.production")
    import pyloudnorm

    from sonicai.music.master import true_peak
    from sonicai.music.remix.pipeline import RemixParams, run_remix
    from sonicai.music.testing.signals import chord_progression

    backing, _ = chord_progression([(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")], bpm=124.0, sr=SR, program=0)
    out = run_remix(backing, SR, RemixParams(genre="edm", pitch=2.0, seed=3), stems={"other": backing})
    lufs = pyloudnorm.Meter(SR).integrated_loudness(out.audio.T.astype(np.float64))
    assert lufs == pytest.approx(out.summary["target_lufs"], abs=0.5)
    assert 20 * np.log10(true_peak(out.audio)) <= -0.9
    # The summary names the key the remix ends in: C major (or its A minor) two semitones up, with its chords.
    assert (out.summary["key"], out.summary["mode"]) in (("D", "major"), ("B", "minor")), out.summary["key"]
    assert {c.split(":")[0] for c in out.summary["chords"]} <= {"D", "B", "G", "A", "E", "F#", "C#"}


def test_tape_wobble_block_by_block_reads_the_signal_as_one_pass(monkeypatch):
    """Made whole, the wobble's float64 temporaries took about 2 GB for a 10-minute song (long-file probe)."""
    import sonicai.music.compose.production as production

    x = np.random.default_rng(1).normal(0, 0.3, (2, 20_003)).astype(np.float32)
    n, sr, depth, rate = x.shape[1], 44100, 0.0025, 0.6
    t = np.arange(n) / sr
    src = np.clip((t + depth / (2 * np.pi * rate) * np.sin(2 * np.pi * rate * t)) * sr, 0, n - 1)
    one_pass = np.stack([np.interp(src, np.arange(n), ch) for ch in x])
    monkeypatch.setattr(production, "BLOCK", 4096)
    wobbled = production.tape_wobble(x, sr, depth, rate)
    assert wobbled.dtype == np.float32 and np.max(np.abs(wobbled - one_pass)) < 1e-6
