"""End-to-end analysis of a rendered stereo 44.1 kHz piece."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm

from sonicai.music.analysis.pipeline import analyze_signal
from sonicai.music.testing.eval_songs import compose, render

SR = 44100


def test_analyze_signal_reports_tempo_key_loudness_features_and_progress():
    piece = compose(0, "rock", 2, "major", np.random.default_rng(5), duration=12.0)
    audio = render(piece.notes, piece.programs, piece.duration, SR)
    calls: list[tuple[int, str]] = []
    out = analyze_signal(audio, SR, progress=lambda pct, stage: calls.append((pct, stage)))

    json.dumps(out)
    assert set(out) >= {"duration", "sample_rate", "tempo_bpm", "tempo_confidence", "beats", "key", "mode",
                        "key_confidence", "loudness", "loudness_lufs", "features", "timings"}
    assert abs(out["duration"] - 12.0) < 0.01 and out["sample_rate"] == SR
    ratio = out["tempo_bpm"] / piece.bpm
    assert min(abs(ratio - r) for r in (1.0, 0.5, 2.0)) < 0.02
    assert len(out["beats"]) > 5 and all(0 <= b <= 12.0 for b in out["beats"])
    assert out["mode"] in ("major", "minor") and out["key"] in (
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    ref = pyloudnorm.Meter(SR).integrated_loudness(audio.T.astype(np.float64).copy())
    assert abs(out["loudness_lufs"] - ref) < 0.1
    assert len(out["features"]["mfcc_mean"]) == 13
    pcts = [p for p, _ in calls]
    assert pcts == sorted(pcts) and pcts[0] == 0 and pcts[-1] == 1.0
    assert {"tempo", "key", "loudness", "features"} <= set(out["timings"])


def test_mono_input_at_other_rate():
    t = np.arange(3 * 16000) / 16000
    y = (0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    out = analyze_signal(y, 16000)
    assert out["sample_rate"] == 16000 and abs(out["duration"] - 3.0) < 0.01
    assert out["key"] == "A"


def test_very_short_input_does_not_fail():
    out = analyze_signal(np.full((2, 2000), 0.1, dtype=np.float32), SR)
    json.dumps(out)
    assert out["tempo_bpm"] == 0.0 and out["beats"] == []
    assert out["loudness_lufs"] is None  # shorter than one 400 ms BS.1770 block
