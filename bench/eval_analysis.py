"""Evaluate tempo, beat and key estimation against baselines on the synthetic set.

    python -m bench.eval_analysis --set /tmp/sonicai_eval            # renders it if missing
    python -m bench.eval_analysis --set /tmp/sonicai_eval_b --seed 11  # a second set
    python -m bench.eval_analysis --set /tmp/sonicai_eval_hard --seed 23 --random-mix  # held out, harder
    python -m bench.eval_analysis --labels real.csv    # any labelled recordings (columns below)
    python -m bench.eval_analysis --labels bench/data/real_clips.csv --audio DIR  # the 110 real clips

``bench/data/real_clips.csv`` lists 110 real recordings with a known key (86 also with an annotated tempo) and
where each came from (``source``: repository, commit, path, and where the label comes from); the audio is not
in the repository. docs/analysis.md has the results.

A labels CSV has a ``file`` column (relative to the CSV or to ``--audio``) and any of ``bpm`` (or ``tempo_bpm``),
``key`` (``"A:minor"``, ``"F# major"`` or ``"G"`` = major) and ``beats`` (a file of beat times, one per line,
first column); rows without a value are left out of that metric.

Prints, for our method and the baselines in the same run:
- tempo Acc1 (within 4 %) and Acc2 (also octave and 3:1 errors allowed);
- beat F-measure (mir_eval, 70 ms window);
- MIREX weighted key score (1 exact, 0.5 fifth, 0.3 relative, 0.2 parallel).
Baselines: librosa.beat.beat_track with default settings; mean chroma-CQT correlated
with Krumhansl-Kessler profiles.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def acc1(est: float, ref: float) -> bool:
    return abs(est - ref) <= 0.04 * ref


def acc2(est: float, ref: float) -> bool:
    return any(acc1(est, ref * f) for f in (1, 2, 0.5, 3, 1 / 3))


def mirex_key_score(est_tonic: str, est_mode: str, ref_tonic: str, ref_mode: str) -> float:
    from sonicai.music.notes import pitch_class

    e, r = pitch_class(est_tonic), pitch_class(ref_tonic)
    if e == r and est_mode == ref_mode:
        return 1.0
    if est_mode == ref_mode and (e - r) % 12 in (5, 7):
        return 0.5
    # Relative: C major <-> A minor.
    if est_mode != ref_mode:
        if ref_mode == "major" and (e - r) % 12 == 9:
            return 0.3
        if ref_mode == "minor" and (e - r) % 12 == 3:
            return 0.3
        if e == r:
            return 0.2
    return 0.0


def baseline_key(y: np.ndarray, sr: int) -> tuple[str, str]:
    import librosa

    from sonicai.music.analysis.key import KRUMHANSL, key_scores

    scores = key_scores(librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1), KRUMHANSL)
    tonic, mode = max(scores, key=scores.get).split()
    return tonic, mode


def _parse_key(text: str) -> tuple[str, str] | None:
    text = text.strip().replace(":", " ")
    if not text:
        return None
    parts = text.split()
    return parts[0], (parts[1].lower() if len(parts) > 1 else "major")


def labels_from_csv(path: Path) -> list[dict]:
    """Pieces of a labels CSV in the synthetic set's label layout (missing values stay None)."""
    import csv

    pieces = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            bpm = row.get("bpm") or row.get("tempo_bpm") or ""
            key = _parse_key(row.get("key") or row.get("global_key") or "")
            beats = None
            if row.get("beats"):
                beats = [float(line.split()[0]) for line in (path.parent / row["beats"]).read_text().splitlines()
                         if line.strip()]
            pieces.append({"file": row["file"], "style": row.get("dataset") or row.get("style") or "real",
                           "bpm": float(bpm) if bpm else None, "tonic": key[0] if key else None,
                           "mode": key[1] if key else None, "beats": beats})
    return pieces


def main() -> None:
    import librosa
    import mir_eval

    from sonicai.music.analysis.key import estimate_key
    from sonicai.music.analysis.tempo import estimate_tempo

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="/tmp/sonicai_eval")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--random-mix", action="store_true", help="when rendering: random channel volumes")
    ap.add_argument("--labels", type=Path, help="a labels CSV of real recordings instead of --set")
    ap.add_argument("--audio", type=Path, help="folder of the --labels files (default: the CSV's folder)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    from sonicai.music.audio_io import load_audio

    if args.labels:
        set_dir, labels = args.audio or args.labels.parent, labels_from_csv(args.labels)
    else:
        set_dir = Path(args.set)
        if not (set_dir / "labels.json").exists():
            from bench.make_eval_set import write_set

            print(f"rendering evaluation set (seed {args.seed}) into {set_dir}")
            write_set(set_dir, n=args.n, seed=args.seed, random_mix=args.random_mix)
        labels = json.loads((set_dir / "labels.json").read_text())["pieces"]

    rows = []
    t_ours = t_base = 0.0
    for lab in labels:
        audio, sr = load_audio(set_dir / lab["file"], mono=True)
        y = audio[0]
        t0 = time.perf_counter()
        tempo = estimate_tempo(y, sr)
        key = estimate_key(y, sr)
        t_ours += time.perf_counter() - t0
        t0 = time.perf_counter()
        b_tempo, b_frames = librosa.beat.beat_track(y=y, sr=sr)
        b_tonic, b_mode = baseline_key(y, sr)
        t_base += time.perf_counter() - t0
        b_bpm = float(np.atleast_1d(b_tempo)[0])
        b_times = librosa.frames_to_time(b_frames, sr=sr)
        row = {"file": lab["file"], "style": lab["style"], "bpm": tempo.bpm, "base_bpm": b_bpm,
               "key": f"{key.tonic} {key.mode}", "base_key": f"{b_tonic} {b_mode}", "method": tempo.method}
        if lab.get("bpm"):
            row.update(ref_bpm=lab["bpm"], acc1=acc1(tempo.bpm, lab["bpm"]), acc2=acc2(tempo.bpm, lab["bpm"]),
                       base_acc1=acc1(b_bpm, lab["bpm"]), base_acc2=acc2(b_bpm, lab["bpm"]))
        if lab.get("beats"):
            ref_beats = mir_eval.beat.trim_beats(np.asarray(lab["beats"]))
            row.update(beat_f=mir_eval.beat.f_measure(ref_beats, mir_eval.beat.trim_beats(tempo.beats)),
                       base_beat_f=mir_eval.beat.f_measure(ref_beats, mir_eval.beat.trim_beats(b_times)))
        if lab.get("tonic"):
            row.update(ref_key=f"{lab['tonic']} {lab['mode']}",
                       key_score=mirex_key_score(key.tonic, key.mode, lab["tonic"], lab["mode"]),
                       base_key_score=mirex_key_score(b_tonic, b_mode, lab["tonic"], lab["mode"]))
        rows.append(row)
        if args.verbose:
            print(f"{row['file'][:36]:36s} ref {row.get('ref_bpm') or 0:6.1f} ours {row['bpm']:6.1f} "
                  f"base {b_bpm:6.1f}  key {row.get('ref_key', '-'):9s} ours {row['key']:9s} base {row['base_key']}")

    def mean(k: str, subset=None) -> float:
        rs = [r for r in (subset if subset is not None else rows) if k in r]
        return float(np.mean([float(r[k]) for r in rs])) if rs else float("nan")

    methods = sorted({r["method"] for r in rows})
    print(f"\n{len(rows)} pieces from {set_dir} (tempo method: {', '.join(methods)})")
    print(f"{'metric':22s} {'ours':>7s} {'baseline':>9s}   n")
    for name, k in (("tempo Acc1", "acc1"), ("tempo Acc2", "acc2"), ("beat F-measure", "beat_f"),
                    ("MIREX key score", "key_score")):
        print(f"{name:22s} {mean(k):7.3f} {mean('base_' + k):9.3f}  {sum(k in r for r in rows):2d}")
    print(f"{'seconds (all pieces)':22s} {t_ours:7.1f} {t_base:9.1f}")
    by_style = defaultdict(list)
    for r in rows:
        by_style[r["style"]].append(r)
    print("\nper style: n  Acc1 ours/base  Acc2 ours/base  key ours/base")
    for style, rs in sorted(by_style.items()):
        print(f"  {style:10s} {len(rs):2d}  {mean('acc1', rs):.2f}/{mean('base_acc1', rs):.2f}"
              f"  {mean('acc2', rs):.2f}/{mean('base_acc2', rs):.2f}"
              f"  {mean('key_score', rs):.2f}/{mean('base_key_score', rs):.2f}")


if __name__ == "__main__":
    main()
