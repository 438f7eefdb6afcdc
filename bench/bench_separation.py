"""Stem separation: quality (SDR per stem), speed (x real time) and peak memory of the
default engine against the HPSS + REPET-SIM baseline, measured in the same run.

Evaluation set: bench/make_stem_set.py (SoundFont-rendered drums, bass and chords
with a formant-synthesised sung voice doubled by a GM choir; deterministic by seed). SDR is the
plain signal-to-distortion ratio 10*log10(|s|^2 / |s - s_hat|^2) per stem, averaged
over channels (the "SDR" of recent evaluations, not BSS-eval v3's projection-based one).

``--varied`` evaluates on bench/varied_song.py's songs instead (seven drum styles and kits, any GM bass in
seven patterns, one to three accompaniment parts, per-stem effects), also rendered with TimGM6mb; the split
network never trains on that SoundFont.

``--musdb DIR`` evaluates on real multitrack songs instead: the test split of MUSDB18's 7-second previews
(bench/musdb_previews.py; not in the repository). The split network is trained on the train split only. The
row "spleeter-2stems" is Spleeter's own vocals, the issue's reference for the vocal stem.

``--multitrack DIR`` evaluates on the held-out full-length real multitracks of bench/multitrack_songs.py (three
band recordings with a voice, whole songs; never trained on).

Run: .venv/bin/python -m bench.bench_separation [--songs 4] [--seconds 20] [--memory-minutes 10] [--varied]
     .venv/bin/python -m bench.bench_separation --musdb /path/to/musdb18-7 [--songs 50]
     .venv/bin/python -m bench.bench_separation --multitrack /path/to/multitracks
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.varied_song import make_varied_song
from sonicai.music.separation.hpss import HPSSEngine
from sonicai.music.separation.spleeter_engine import SpleeterEngine
from sonicai.music.separation.stems import FOUR_STEMS
from sonicai.music.testing.stem_songs import make_song

SR = 44100


def sdr(ref: np.ndarray, est: np.ndarray) -> float:
    return float(np.mean([10 * np.log10(np.sum(r**2) / (np.sum((r - e) ** 2) + 1e-12) + 1e-12)
                          for r, e in zip(ref, est, strict=True)]))


def memory_child(engine: str, minutes: float) -> None:
    rng = np.random.default_rng(0)
    mix = (rng.normal(0, 0.1, (2, int(minutes * 60 * SR)))).astype(np.float32)
    eng = SpleeterEngine(device="cpu") if engine == "spleeter" else HPSSEngine()
    t = time.perf_counter()
    eng.separate(mix, SR)
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"seconds": dt, "peak_gb": peak}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--memory-minutes", type=float, default=10.0)
    ap.add_argument("--varied", action="store_true", help="bench/varied_song.py songs instead of the one band")
    ap.add_argument("--musdb", type=Path, help="folder with MUSDB18-7's test/*.stem.mp4: real songs instead")
    ap.add_argument("--multitrack", type=Path, help="folder with bench/multitrack_songs.py's songs: their test split")
    ap.add_argument("--child", nargs=2)
    args = ap.parse_args()
    if args.child:
        memory_child(args.child[0], float(args.child[1]))
        return
    engines = {"spleeter": SpleeterEngine(device="cpu"), "hpss": HPSSEngine()}
    engines["spleeter"].model()
    engines["spleeter"].splitter()
    scores = {name: {s: [] for s in FOUR_STEMS} for name in engines}
    speed = {name: 0.0 for name in engines}
    spleeter_vocals: list[float] = []
    audio_seconds = 0.0
    if args.musdb:
        from bench.musdb_previews import load_split

        songs = [stems for _, stems in load_split(args.musdb, "test", limit=args.songs)]
        kind = "MUSDB18-7 test songs (real multitracks)"
    elif args.multitrack:
        from bench import multitrack_songs

        songs = [stems for _, stems in multitrack_songs.load_split(args.multitrack, "test")][: args.songs]
        kind = "full-length real multitracks (bench/multitrack_songs.py test split)"
    else:
        song = make_varied_song if args.varied else make_song
        songs = (song(seed, args.seconds) for seed in range(args.songs))
        kind = f"{'varied ' if args.varied else ''}songs x {args.seconds:.0f} s"
    n_songs = 0
    for stems in songs:
        n_songs += 1
        mix = sum(stems.values())
        audio_seconds += mix.shape[1] / SR
        for name, eng in engines.items():
            t = time.perf_counter()
            est = eng.separate(mix, SR)
            speed[name] += time.perf_counter() - t
            for s in scores[name]:
                scores[name][s].append(sdr(stems[s], est[s]))
        spleeter_vocals.append(sdr(stems["vocals"], engines["spleeter"].vocals(mix, SR)))
    print(f"SDR (dB), mean of {n_songs} {kind}; 2-core machine")
    print(f"{'engine':16s} " + " ".join(f"{s:>8s}" for s in FOUR_STEMS) + "   x real time")
    for name in engines:
        row = " ".join(f"{np.mean(scores[name][s]):8.2f}" for s in FOUR_STEMS)
        print(f"{name:16s} {row}   {audio_seconds / speed[name]:6.1f}x")
    print(f"{'spleeter-2stems':16s} {np.mean(spleeter_vocals):8.2f}")
    gain = {s: np.mean(scores["spleeter"][s]) - np.mean(scores["hpss"][s]) for s in scores["hpss"]}
    print("spleeter minus baseline: " + ", ".join(f"{s} {g:+.2f} dB" for s, g in gain.items()))
    print(f"speed ratio spleeter/hpss: {speed['hpss'] / speed['spleeter']:.2f}")
    if args.memory_minutes > 0:
        for name in engines:
            cmd = [sys.executable, "-m", "bench.bench_separation", "--child", name, str(args.memory_minutes)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{name}: {args.memory_minutes:.0f}-minute stereo song in {r['seconds']:.1f} s "
                  f"({args.memory_minutes * 60 / r['seconds']:.1f}x real time), peak memory {r['peak_gb']:.2f} GB")


if __name__ == "__main__":
    main()
