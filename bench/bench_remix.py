"""Timings of the remix DSP engine on a 30 s rendered song, with real-time factors (audio s / wall s).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python -m bench.bench_remix [--seconds 30]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sonicai.music.analysis.chords import recognize_chords
from sonicai.music.testing.signals import chord_progression
from sonicai.music.transform.effects import apply_chain
from sonicai.music.transform.pitch import pitch_shift
from sonicai.music.transform.stretch import time_stretch

SR = 44100


def timed(label: str, seconds: float, fn) -> None:
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    print(f"{label:<28} {wall:7.2f} s   {seconds / wall:7.1f}x real time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--genre", default="lofi")
    args = parser.parse_args()
    progression = [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")]
    beats_per_repeat = 16 * 60 / 100
    audio, _ = chord_progression(progression, bpm=100, sr=SR, program=24,
                                 repeat=max(1, int(args.seconds / beats_per_repeat)))
    audio = audio[:, : int(args.seconds * SR)]
    dur = audio.shape[1] / SR
    print(f"input: {dur:.1f} s stereo at {SR} Hz")
    timed("time_stretch +10 %", dur, lambda: time_stretch(audio, SR, 1.1))
    timed("time_stretch -25 %", dur, lambda: time_stretch(audio, SR, 0.75))
    timed("pitch_shift +2 st", dur, lambda: pitch_shift(audio, SR, 2))
    timed("pitch_shift -3 st formants", dur, lambda: pitch_shift(audio, SR, -3, preserve_formants=True))
    for preset in ("vocal-polish", "big-room", "lofi-tape"):
        timed(f"effects {preset}", dur, lambda p=preset: apply_chain(audio, SR, p))
    timed("recognize_chords", dur, lambda: recognize_chords(audio.mean(axis=0), SR))
    try:
        from sonicai.music.remix.genre import genre_remix

        vocals = np.zeros_like(audio)  # the bench measures the arrangement path; stems come from the song
        timed(f"genre_remix {args.genre}", dur,
              lambda: genre_remix(audio, SR, args.genre, stems={"vocals": vocals, "other": audio}))
    except ImportError as exc:
        print(f"genre_remix skipped: {exc}")


if __name__ == "__main__":
    main()
