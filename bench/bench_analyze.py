"""Time the full analysis of a 3-minute track, stage by stage.

    python -m bench.bench_analyze [--seconds 180] [--file some.wav]

Without --file, a 3-minute multi-instrument piece is rendered (bench/make_eval_set.py)
at 44.1 kHz stereo, as an upload would arrive. Prints seconds per stage, the total, and
the ratio to librosa.beat.beat_track alone (default settings, 22050 Hz mono) measured
in the same run on the same audio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    import librosa
    import soxr

    from sonicai.music.analysis.pipeline import analyze_signal

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--file", default=None)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()

    if args.file:
        from sonicai.music.audio_io import load_audio

        audio, sr = load_audio(args.file)
    else:
        from sonicai.music.testing.eval_songs import compose, render

        sr = 44100
        piece = compose(0, "rock", 9, "minor", np.random.default_rng(args.seed), args.seconds)
        audio = render(piece.notes, piece.programs, piece.duration, sr)
        print(f"rendered {args.seconds:.0f} s test piece: {piece.bpm} BPM, {piece.tonic} {piece.mode}")

    # Warm up imports and librosa's caches so neither side pays one-off costs.
    analyze_signal(audio[:, : sr * 5], sr)

    t0 = time.perf_counter()
    result = analyze_signal(audio, sr)
    total = time.perf_counter() - t0

    y22 = soxr.resample(audio.mean(axis=0), sr, 22050, quality="HQ")
    t0 = time.perf_counter()
    base_tempo, _ = librosa.beat.beat_track(y=y22, sr=22050)
    base = time.perf_counter() - t0

    print(f"duration {result['duration']:.1f} s at {sr} Hz, {audio.shape[0]} channels")
    for stage, sec in result["timings"].items():
        print(f"  {stage:12s} {sec:7.2f} s")
    print(f"  {'total':12s} {total:7.2f} s")
    print(f"librosa.beat.beat_track alone: {base:.2f} s -> full analysis / beat_track = {total / base:.2f}x")
    print(f"result: {result['tempo_bpm']} BPM (librosa {float(np.atleast_1d(base_tempo)[0]):.1f}), "
          f"{result['key']} {result['mode']}, {result['loudness_lufs']} LUFS")


if __name__ == "__main__":
    main()
