"""Composer speed: seconds to make 30 s of music, per stage, and the real-time factor.

Run: .venv/bin/python -m bench.bench_composer [--duration 30] [--runs 3]
The first call loads the sentence-embedding model; it is timed apart (a worker loads
it once per process).
"""

import argparse
import time

from sonicai.music.compose.engine import compose
from sonicai.music.compose.prompt import nearest_labels

PROMPTS = ["warm lofi beat with rhodes and vinyl crackle, 80 bpm", "energetic edm in F minor, 126 bpm",
           "swinging jazz trio in Bb major, 140 bpm", "sad piano ballad in A minor", "epic orchestral trailer music"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    t = time.perf_counter()
    nearest_labels("warm up")
    print(f"embedding model load (once per process): {time.perf_counter() - t:.2f} s")
    worst = 0.0
    for prompt in PROMPTS:
        for _ in range(args.runs):
            t = time.perf_counter()
            r = compose(prompt, args.duration, seed=1)
            dt = time.perf_counter() - t
            worst = max(worst, dt)
            stages = " ".join(f"{k}={v:.2f}" for k, v in r.summary["timings"].items())
            print(f"{dt:5.2f} s  {args.duration / dt:5.1f}x real time  {r.summary['genre']:9s} {stages}  | {prompt}")
    print(f"worst: {worst:.2f} s for {args.duration:.0f} s of audio (target <= 5 s); "
          f"ratio to real time {args.duration / worst:.1f}x")


if __name__ == "__main__":
    main()
