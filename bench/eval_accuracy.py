"""Key and tempo accuracy per data set, next to the baselines measured in the same run (issue #20).

    python -m bench.eval_accuracy \\
        --set gtzan=bench/data/real_clips.csv:/work/data/key/real:gtzan* \\
        --set other=bench/data/real_clips.csv:/work/data/key/real:!gtzan* \\
        --set renders=/work/data/key/synth23.csv:/work/data/key/synth23 \\
        --set modern=bench/data/modern_clips.csv:/work/data/key/modern     # bench/real_audio.py rebuilds the audio
    python -m bench.eval_accuracy --set ... --half b --minor-bias 2.68   # a held-out half, offset fitted on the other
    python -m bench.eval_accuracy --set ... --with-mood ...               # also the mood scores (bench/eval_mood.py)

``--set NAME=LABELS_CSV[:AUDIO_DIR[:PATTERN]]`` (repeatable): a labels CSV as bench/eval_analysis.py reads it
(``file``, ``key``, ``bpm``), the folder of its audio (default: the CSV's folder) and a file-name pattern
(``fnmatch``; a leading ``!`` keeps the files that do not match). ``--half a|b`` keeps every other row of each
CSV (sorted by file name: a = 1st, 3rd, ...; before the pattern), so parameters chosen on one half can be
reported on the other.

Prints for each set, ours against the baselines in the same run:
- key: MIREX weighted score and a confusion table (right, relative, parallel, fifth, other) for major-key and
  minor-key songs separately; baseline = mean chroma-CQT correlated with Krumhansl-Kessler profiles;
- the key confidence's reliability (bins of predicted confidence against the observed share of exact keys);
- tempo Acc1 / Acc2, baseline = librosa.beat.beat_track with default settings.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from bench.eval_analysis import acc1, acc2, baseline_key, labels_from_csv, mirex_key_score

CATEGORIES = ("right", "relative", "parallel", "fifth", "other")
CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def key_category(est_tonic: str, est_mode: str, ref_tonic: str, ref_mode: str) -> str:
    """Which kind of answer an estimated key is for a reference key (MIREX's categories)."""
    from sonicai.music.notes import pitch_class

    e, r = pitch_class(est_tonic), pitch_class(ref_tonic)
    if est_mode == ref_mode:
        return "right" if e == r else "fifth" if (e - r) % 12 in (5, 7) else "other"
    if e == r:
        return "parallel"
    return "relative" if (e - r) % 12 == (9 if ref_mode == "major" else 3) else "other"


def parse_set(spec: str) -> tuple[str, Path, Path, str | None]:
    name, _, rest = spec.partition("=")
    if not rest:
        raise argparse.ArgumentTypeError(f"--set wants NAME=LABELS_CSV[:AUDIO_DIR[:PATTERN]], got {spec!r}")
    parts = rest.split(":")
    labels = Path(parts[0])
    audio = Path(parts[1]) if len(parts) > 1 and parts[1] else labels.parent
    return name, labels, audio, (parts[2] if len(parts) > 2 and parts[2] else None)


def select(labels: list[dict], pattern: str | None, half: str | None) -> list[dict]:
    """The labels a --set names: halved over the whole CSV (sorted by file name) first, then the pattern."""
    labels = sorted(labels, key=lambda lab: lab["file"])
    if half:
        labels = labels[0 if half == "a" else 1::2]
    if pattern:
        negate, pat = pattern.startswith("!"), pattern.lstrip("!")
        labels = [lab for lab in labels if fnmatch.fnmatch(lab["file"], pat) != negate]
    return labels


def evaluate(labels: list[dict], audio_dir: Path, minor_bias: float, tempo: bool = True,
             verbose: bool = False) -> list[dict]:
    """Ours and the baselines on every labelled file; one row per file."""
    import librosa

    from sonicai.music.analysis.key import estimate_key
    from sonicai.music.analysis.tempo import estimate_tempo
    from sonicai.music.audio_io import load_audio

    rows = []
    for lab in labels:
        audio, sr = load_audio(audio_dir / lab["file"], mono=True)
        y = audio[0]
        row = {"file": lab["file"]}
        if lab.get("tonic"):
            key = estimate_key(y, sr, minor_bias=minor_bias)
            b_tonic, b_mode = baseline_key(y, sr)
            ref = (lab["tonic"], lab["mode"])
            row.update(ref_mode=lab["mode"], key=key.label, confidence=key.confidence,
                       key_score=mirex_key_score(key.tonic, key.mode, *ref),
                       base_key_score=mirex_key_score(b_tonic, b_mode, *ref),
                       cat=key_category(key.tonic, key.mode, *ref), base_cat=key_category(b_tonic, b_mode, *ref))
        if tempo and lab.get("bpm"):
            bpm = estimate_tempo(y, sr).bpm
            b_bpm = float(np.atleast_1d(librosa.beat.beat_track(y=y, sr=sr)[0])[0])
            row.update(acc1=acc1(bpm, lab["bpm"]), acc2=acc2(bpm, lab["bpm"]),
                       base_acc1=acc1(b_bpm, lab["bpm"]), base_acc2=acc2(b_bpm, lab["bpm"]))
        rows.append(row)
        if verbose:
            print(f"  {lab['file'][:40]:40s} ref {lab.get('tonic') or '-'} {lab.get('mode') or ''}  "
                  f"ours {row.get('key', '-')} ({row.get('confidence', 0):.2f})", file=sys.stderr)
    return rows


def _mean(rows: list[dict], k: str) -> float:
    vals = [float(r[k]) for r in rows if k in r]
    return float(np.mean(vals)) if vals else float("nan")


def key_report(rows: list[dict]) -> str:
    from sonicai.music.analysis.key import UNCERTAIN_BELOW

    keyed = [r for r in rows if "key_score" in r]
    if not keyed:
        return "  key: no labelled keys\n"
    out = [f"  key MIREX score: ours {_mean(keyed, 'key_score'):.3f}  Krumhansl {_mean(keyed, 'base_key_score'):.3f}"
           f"  (n={len(keyed)})",
           f"  {'':17s}" + "".join(f"{c:>9s}" for c in CATEGORIES) + "    MIREX"]
    for mode in ("major", "minor"):
        rs = [r for r in keyed if r["ref_mode"] == mode]
        if not rs:
            continue
        for who, cat_key, score_key in (("ours", "cat", "key_score"), ("Krumhansl", "base_cat", "base_key_score")):
            counts = Counter(r[cat_key] for r in rs)
            out.append(f"  {mode} {who:11s}" + "".join(f"{counts[c]:9d}" for c in CATEGORIES)
                       + f"    {_mean(rs, score_key):.3f}  (n={len(rs)})")
    conf = np.array([r["confidence"] for r in keyed])
    right = np.array([r["cat"] == "right" for r in keyed])
    bins = []
    for lo, hi in zip(CONFIDENCE_BINS[:-1], CONFIDENCE_BINS[1:], strict=True):
        m = (conf >= lo) & ((conf < hi) if hi < 1.0 else (conf <= hi))
        if m.any():
            bins.append(f"[{lo:.1f},{hi:.1f}] n={m.sum()} conf {conf[m].mean():.2f} right {right[m].mean():.2f}")
    out.append("  key confidence reliability: " + "; ".join(bins))
    unsure = conf < UNCERTAIN_BELOW

    def share(mask: np.ndarray) -> float:
        return float(right[mask].mean()) if mask.any() else float("nan")

    out.append(f"  key_uncertain: {unsure.sum()} of {len(keyed)} flagged; right {share(unsure):.2f} of them,"
               f" {share(~unsure):.2f} of the rest")
    return "\n".join(out) + "\n"


def tempo_report(rows: list[dict]) -> str:
    timed = [r for r in rows if "acc1" in r]
    if not timed:
        return "  tempo: no labelled tempi\n"
    return (f"  tempo Acc1 ours {_mean(timed, 'acc1'):.3f} librosa {_mean(timed, 'base_acc1'):.3f}   "
            f"Acc2 ours {_mean(timed, 'acc2'):.3f} librosa {_mean(timed, 'base_acc2'):.3f}  (n={len(timed)})\n")


def build_parser() -> argparse.ArgumentParser:
    from sonicai.music.analysis.key import MINOR_KEY_BIAS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", dest="sets", action="append", type=parse_set, default=[],
                    metavar="NAME=LABELS_CSV[:AUDIO_DIR[:PATTERN]]")
    ap.add_argument("--half", choices=("a", "b"), help="keep every other file of each set (a held-out half)")
    ap.add_argument("--minor-bias", type=float, default=MINOR_KEY_BIAS,
                    help=f"the key ensemble's minor-key offset (default: the shipped {MINOR_KEY_BIAS})")
    ap.add_argument("--skip-tempo", action="store_true", help="key only (tempo does not depend on the key options)")
    ap.add_argument("--verbose", action="store_true")
    # Hook for the mood scores (issue #20): bench/eval_mood.py supplies mood_report(args) -> str and
    # add_mood_arguments(parser); it is imported only when asked for.
    ap.add_argument("--with-mood", action="store_true", help="also print bench.eval_mood.mood_report(args)")
    return ap


def _mood_module():
    import importlib

    try:
        return importlib.import_module("bench.eval_mood")
    except ModuleNotFoundError as exc:
        if exc.name != "bench.eval_mood":
            raise
        raise SystemExit("--with-mood needs bench/eval_mood.py (mood_report, add_mood_arguments); it is not "
                         "in this checkout") from exc


def main(argv: list[str] | None = None) -> None:
    ap = build_parser()
    known, _ = ap.parse_known_args(argv)
    mood = None
    if known.with_mood:
        mood = _mood_module()
        mood.add_mood_arguments(ap)
    args = ap.parse_args(argv)
    if not args.sets and mood is None:
        ap.error("give at least one --set (or --with-mood)")
    print(f"key: minor-key offset {args.minor_bias}; half: {args.half or 'all'}")
    for name, labels_csv, audio_dir, pattern in args.sets:
        labels = select(labels_from_csv(labels_csv), pattern, args.half)
        labels = [lab for lab in labels if (audio_dir / lab["file"]).exists()]
        rows = evaluate(labels, audio_dir, args.minor_bias, not args.skip_tempo, args.verbose)
        print(f"\n== {name}: {len(rows)} files ({labels_csv}{' ' + pattern if pattern else ''})")
        print(key_report(rows) + tempo_report(rows), end="")
    if mood is not None:
        print("\n== mood")
        print(mood.mood_report(args))


if __name__ == "__main__":
    main()
