"""Tempo and beat tracking on signals whose true tempo and beat times are known."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from sonicai.music.analysis.tempo import TempoResult, estimate_tempo
from sonicai.music.testing.eval_songs import DRUM_CH, HAT, KICK, SNARE, Note, render

SR = 22050


def click_track(bpm: float, seconds: float, offset: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Short decaying 1 kHz clicks on every beat, accented on the bar."""
    beats = np.arange(offset, seconds - 0.1, 60.0 / bpm)
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    n = int(0.03 * SR)
    t = np.arange(n) / SR
    click = np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.006)
    for i, b in enumerate(beats):
        s = int(b * SR)
        y[s : s + n] += (1.0 if i % 4 == 0 else 0.6) * click[: len(y) - s]
    return y, beats


def drum_pattern(bpm: float, seconds: float, offset: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Rendered GM drums: kick on 1 and 3, snare on 2 and 4, eighth-note hi-hats."""
    spb = 60.0 / bpm
    beats = np.arange(offset, seconds - 0.3, spb)
    notes = []
    for i, b in enumerate(beats):
        notes.append(Note(b, b + 0.1, DRUM_CH, KICK if i % 2 == 0 else SNARE, 112))
        notes.append(Note(b, b + 0.05, DRUM_CH, HAT, 70))
        notes.append(Note(b + spb / 2, b + spb / 2 + 0.05, DRUM_CH, HAT, 55))
    audio = render(notes, {DRUM_CH: 0}, seconds, SR)
    return audio.mean(axis=0), beats


def beat_f(est: np.ndarray, ref: np.ndarray) -> float:
    # Skip the first 2 s (not mir_eval's default 5 s) because the signals are short.
    return mir_eval.beat.f_measure(ref[ref > 2.0], est[est > 2.0])


@pytest.mark.parametrize("bpm", [90.0, 128.0])
def test_click_track_tempo_and_beats(bpm):
    y, ref = click_track(bpm, 12.0)
    res = estimate_tempo(y, SR)
    assert isinstance(res, TempoResult)
    assert abs(res.bpm - bpm) / bpm < 0.02
    assert beat_f(res.beats, ref) > 0.9
    assert 0.0 <= res.confidence <= 1.0


@pytest.mark.parametrize("bpm", [76.0, 104.0, 140.0])
def test_rendered_drums_tempo_and_beats(bpm):
    y, ref = drum_pattern(bpm, 12.0)
    res = estimate_tempo(y, SR)
    assert abs(res.bpm - bpm) / bpm < 0.02, res.bpm
    assert beat_f(res.beats, ref) > 0.9


def test_bpm_is_refined_beyond_tempogram_resolution():
    # 128 BPM falls between frame-quantised periods at hop 512 (20 frames = 129.2 BPM).
    y, _ = click_track(128.0, 20.0)
    assert abs(estimate_tempo(y, SR).bpm - 128.0) <= 0.5


def test_beats_are_consistent_with_bpm():
    y, _ = drum_pattern(110.0, 12.0)
    res = estimate_tempo(y, SR)
    ibi = (res.beats[-1] - res.beats[0]) / (len(res.beats) - 1)
    assert abs(60.0 / ibi - res.bpm) / res.bpm < 0.02
    assert np.all(np.diff(res.beats) > 0)


def test_silence_gives_no_beats():
    res = estimate_tempo(np.zeros(SR * 4, dtype=np.float32), SR)
    assert res.bpm == 0.0 and len(res.beats) == 0


def test_rnn_is_the_default_method_and_dsp_the_fallback(monkeypatch):
    y, ref = drum_pattern(104.0, 12.0)
    rnn = estimate_tempo(y, SR)
    assert rnn.method == "rnn"
    # operators can switch the non-commercial madmom weights off; the answer must stay right
    monkeypatch.setenv("SONICAI_MADMOM_MODELS", "off")
    dsp = estimate_tempo(y, SR)
    assert dsp.method == "dsp"
    for res in (rnn, dsp):
        assert abs(res.bpm - 104.0) / 104.0 < 0.02 and beat_f(res.beats, ref) > 0.9


def test_beats_follow_a_tempo_change_within_the_chosen_level():
    # the DBN may change tempo at beat boundaries: 100 BPM for 10 s, then 106 BPM
    y1, b1 = drum_pattern(100.0, 10.0)
    y2, b2 = drum_pattern(106.0, 10.0, offset=0.0)
    y = np.concatenate([y1, y2])
    ref = np.concatenate([b1, b2 + len(y1) / SR])
    assert beat_f(estimate_tempo(y, SR).beats, ref) > 0.85


def test_a_loop_repeated_for_minutes_keeps_the_tempo_of_its_30_s_stretch():
    # Over one long run the comb filters gave the slower metrical level more and more of the votes: these two
    # bars (a 12-s piece of the evaluation set, cut to whole bars) read 143 BPM three times over and 71.6 BPM
    # sixteen times over. A song's tempo should not depend on how often its loop comes round.
    from sonicai.music.analysis.beat_rnn import FPS, beat_activation
    from sonicai.music.analysis.tempo import tempo_from_activation
    from sonicai.music.testing.eval_songs import make_set

    piece = next(p for p in make_set(24, 5, 12.0, False) if p.name == "014_weak_kick_Dm_71.6")
    act = beat_activation(render(piece.notes, piece.programs, piece.duration, 44100, piece.volumes), 44100)
    bar = 4 * 60.0 / piece.bpm * FPS
    loop = act[: int(round(int(len(act) // bar) * bar))]
    thirty_s, minutes = (tempo_from_activation(np.tile(loop, n), FPS).bpm for n in (3, 16))
    assert len(loop) * 16 / FPS > 150
    assert minutes == pytest.approx(thirty_s, rel=0.02)
