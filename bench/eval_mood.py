"""Mood accuracy per data set, the shipped head next to the old ``mood-emotify-2`` head, measured in one run.

    .venv/bin/python -m bench.eval_mood --mood-set emotify=DIR --mood-set 4q=DIR --mood-cache DIR

Data sets and their caches: bench/mood_data.py (extract the features first). Scored on each set's held-out
quarter (``held_out``; ``--mood-split all`` scores every clip, only fair for heads that never saw the set).
Printed per data set and head:

* the issue's labels (Emotify only: calm, energetic, happy, nostalgic, tender; a hit as in issue #3,
  bench/emotify.py ``HITS``): top-1, top-2, per-label recall;
* the product mood (each clip's training label): top-1, top-2, per-mood recall and the confusion matrix
  (rows: the label, columns: the head's primary mood);
* the Russell quadrant implied by the result's ``valence`` and ``arousal`` (split at 0.5) against the clip's
  quadrant (4Q's own; for mood-labelled sets, the label's quadrant): accuracy, per quadrant;
* calibration: the primary mood's confidence against how often it is right, in bins, and the share of clips
  the studio would mark ``uncertain``.
"""

from __future__ import annotations

import argparse
import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.emotify import hit
from bench.mood_data import MOOD_QUADRANT, Clip, cached, inputs, load_set
from sonicai.music.tagging.mood.labels import quadrant_of
from sonicai.music.tagging.mood.model import DEFAULT_HEAD, MoodModel, MoodResult
from sonicai.music.tagging.moods import MOODS

BASELINE_HEAD = DEFAULT_HEAD.parent / "mood-emotify-2.json"
#: Where the sets live inside a checkout (eval-data/, never in git; docs/mood_model.md), used when no --mood-set
#: is given; 4q is the folder holding panda_dataset_taffc_metadata.csv and Q1..Q4.
DEFAULT_SETS = ("emotify=eval-data/mood/emotify", "4q=eval-data/mood/4q")
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
BINS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0001)


def held_out(clip: Clip) -> bool:
    """A fixed quarter of every data set, by a hash of its name (stable whatever else is cached)."""
    return int(hashlib.md5(f"{clip.dataset}/{clip.key}".encode()).hexdigest(), 16) % 4 == 0


def true_quadrant(clip: Clip) -> str | None:
    return clip.quadrant or MOOD_QUADRANT.get(clip.mood or "")


def predict_all(model: MoodModel, recs: list[dict]) -> list[MoodResult]:
    return [model.predict(*inputs(r)) for r in recs]


def reliability(conf: np.ndarray, correct: np.ndarray) -> list[tuple[str, int, float, float]]:
    """(bin, n, mean confidence, accuracy) per confidence bin."""
    rows = []
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        m = (conf >= lo) & (conf < hi)
        if m.any():
            rows.append((f"{lo:.1f}-{min(hi, 1.0):.1f}", int(m.sum()), float(conf[m].mean()), float(correct[m].mean())))
    return rows


def ece(conf: np.ndarray, correct: np.ndarray) -> float:
    """Expected calibration error over the bins of ``reliability``."""
    return float(sum(n * abs(c - a) for _, n, c, a in reliability(conf, correct)) / max(len(conf), 1))


def _mean_or_nan(xs: list) -> float:
    return float(np.mean(xs)) if xs else float("nan")


def scores(clips: list[Clip], results: list[MoodResult]) -> dict:
    """Every number of the report for one head on one set (also used by bench/mood_fit.py)."""
    out: dict = {"n": len(clips)}
    issue = [(c.eval_label, r.ranked) for c, r in zip(clips, results, strict=True) if c.eval_label]
    if issue:
        per: dict[str, list] = defaultdict(list)
        for label, ranked in issue:
            per[label].append((hit(label, ranked, 1), hit(label, ranked, 2)))
        out["issue"] = {
            "n": len(issue),
            "top1": float(np.mean([h[0] for v in per.values() for h in v])),
            "top2": float(np.mean([h[1] for v in per.values() for h in v])),
            "recall": {k: (float(np.mean([h[0] for h in v])), float(np.mean([h[1] for h in v])), len(v))
                       for k, v in sorted(per.items())},
        }
        out["issue"]["balanced_top1"] = float(np.mean([v[0] for v in out["issue"]["recall"].values()]))
        out["issue"]["balanced_top2"] = float(np.mean([v[1] for v in out["issue"]["recall"].values()]))
    labelled = [(c.mood, r) for c, r in zip(clips, results, strict=True) if c.mood]
    if labelled:
        conf = np.array([r.confidence for _, r in labelled])
        correct = np.array([r.primary == m for m, r in labelled], dtype=float)
        confusion = {m: dict.fromkeys(MOODS, 0) for m in MOODS}
        per_mood: dict[str, list] = defaultdict(list)
        for m, r in labelled:
            confusion[m][r.primary] += 1
            per_mood[m].append((r.primary == m, m in r.ranked[:2]))
        out["mood"] = {
            "n": len(labelled),
            "top1": float(correct.mean()),
            "top2": float(np.mean([m in r.ranked[:2] for m, r in labelled])),
            "recall": {k: (float(np.mean([h[0] for h in v])), float(np.mean([h[1] for h in v])), len(v))
                       for k, v in per_mood.items()},
            "confusion": confusion,
            "reliability": reliability(conf, correct),
            "ece": ece(conf, correct),
            "uncertain": float(np.mean([r.uncertain for _, r in labelled])),
            # how often the primary mood is right when the studio states it, and when it marks it uncertain
            "acc_certain": _mean_or_nan([r.primary == m for m, r in labelled if not r.uncertain]),
            "acc_uncertain": _mean_or_nan([r.primary == m for m, r in labelled if r.uncertain]),
        }
        out["mood"]["balanced_top1"] = float(np.mean([v[0] for v in out["mood"]["recall"].values()]))
    quads = _quadrant_pairs(zip(clips, results, strict=True))
    if quads:
        out["quadrant"] = {
            "n": len(quads),
            "acc": float(np.mean([t == p for t, p in quads])),
            "per": {q: (float(np.mean([t == p for t, p in quads if t == q])), sum(t == q for t, _ in quads))
                    for q in QUADRANTS if any(t == q for t, _ in quads)},
        }
        out["quadrant"]["balanced"] = float(np.mean([v[0] for v in out["quadrant"]["per"].values()]))
    out["genres"] = {g: _genre_scores([(c, r) for c, r in zip(clips, results, strict=True) if g in c.genres])
                     for g in PRODUCED_GENRES if any(g in c.genres for c in clips)}
    return out


#: Genres nearest to today's produced music (issue #20's held-out songs), reported on their own where a data set
#: labels genres: does the head collapse to calm there, as the old one did on such songs?
PRODUCED_GENRES = ("Electronic", "Rap", "R&B")


def _quadrant_pairs(pairs) -> list[tuple[str, str]]:
    """(labelled quadrant, quadrant of the result's valence and arousal) for the clips that have a quadrant."""
    return [(true_quadrant(c), quadrant_of(r.valence, r.arousal)) for c, r in pairs if true_quadrant(c)]


def _genre_scores(pairs: list[tuple[Clip, MoodResult]]) -> dict:
    quads = _quadrant_pairs(pairs)
    return {"n": len(pairs), "quadrant": _mean_or_nan([t == p for t, p in quads]),
            "calm_primary": sum(r.primary == "calm" for _, r in pairs),
            "calm_labelled": sum(c.mood == "calm" for c, _ in pairs)}


def format_scores(name: str, s: dict, confusion: bool = True) -> str:
    lines = [f"  {name}  (n={s['n']})"]
    if "issue" in s:
        i = s["issue"]
        per = "  ".join(f"{k} {v[0]:.2f}/{v[1]:.2f} (n={v[2]})" for k, v in i["recall"].items())
        lines.append(f"    issue labels: top-1 {i['top1']:.3f}  top-2 {i['top2']:.3f}  (class-balanced "
                     f"{i['balanced_top1']:.3f} / {i['balanced_top2']:.3f}; n={i['n']})")
        lines.append(f"      recall top-1/top-2: {per}")
    if "quadrant" in s:
        q = s["quadrant"]
        per = "  ".join(f"{k} {v[0]:.2f} (n={v[1]})" for k, v in q["per"].items())
        lines.append(f"    quadrant from valence/arousal: {q['acc']:.3f} (class-balanced {q['balanced']:.3f})  {per}")
    if s.get("genres"):
        per = "  ".join(f"{g} {v['quadrant']:.2f} (n={v['n']}; calm primary {v['calm_primary']}, labelled "
                        f"{v['calm_labelled']})" for g, v in s["genres"].items())
        lines.append(f"    quadrant by produced genre: {per}")
    if "mood" in s:
        m = s["mood"]
        per = "  ".join(f"{k} {v[0]:.2f}/{v[1]:.2f} (n={v[2]})" for k, v in sorted(m["recall"].items()))
        lines.append(f"    product mood: top-1 {m['top1']:.3f}  top-2 {m['top2']:.3f}  class-balanced top-1 "
                     f"{m['balanced_top1']:.3f}")
        lines.append(f"      recall top-1/top-2: {per}")
        rel = "  ".join(f"{b}: n={n} conf {c:.2f} acc {a:.2f}" for b, n, c, a in m["reliability"])
        lines.append(f"      calibration: ECE {m['ece']:.3f}; marked uncertain {m['uncertain']:.2f} (top-1 right "
                     f"{m['acc_uncertain']:.2f} of those, {m['acc_certain']:.2f} of the rest); {rel}")
        if confusion:
            rows = [r for r in MOODS if sum(m["confusion"][r].values())]
            lines.append("      confusion (rows label, columns primary): " + " ".join(f"{c[:5]:>5}" for c in MOODS))
            lines += [f"      {r:>12} " + " ".join(f"{m['confusion'][r][c]:5d}" for c in MOODS) for r in rows]
    return "\n".join(lines)


def add_mood_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("mood")
    g.add_argument("--mood-set", action="append", default=[], metavar="NAME=DIR",
                   help="labelled mood data set (bench/mood_data.py: emotify, 4q, csv); repeatable; default: "
                        "the sets under eval-data/mood/ that exist")
    g.add_argument("--mood-cache", type=Path, default=Path("eval-data/mood/cache"),
                   help="feature cache written by bench/mood_data.py")
    g.add_argument("--mood-head", type=Path, default=None,
                   help="head to score (default: what load_mood_model picks with no operator head)")
    g.add_argument("--mood-baseline", type=Path, default=BASELINE_HEAD, help="baseline head (mood-emotify-2)")
    g.add_argument("--mood-split", choices=["held-out", "all"], default="held-out")


def mood_report(args: argparse.Namespace) -> str:
    from sonicai.music.tagging.mood.head import load_mood_head
    from sonicai.music.tagging.mood.model import load_mood_model

    model = MoodModel(load_mood_head(args.mood_head)) if args.mood_head else load_mood_model(None)
    models = [(model.version, model), (f"{MoodModel(load_mood_head(args.mood_baseline)).version} (baseline)",
                                       MoodModel(load_mood_head(args.mood_baseline))), ("mood-prior-1", MoodModel())]
    specs = args.mood_set or [s for s in DEFAULT_SETS if Path(s.partition("=")[2]).is_dir()]
    if not specs:
        return "MOOD: no labelled mood data set (give --mood-set NAME=DIR; bench/mood_data.py)"
    out = [f"MOOD ({args.mood_split} part of each set; {BASELINE_HEAD.stem} was fitted on all of Emotify, so "
           "its Emotify numbers are in-sample)"]
    for spec in specs:
        clips, recs = cached(load_set(spec), args.mood_cache)
        if args.mood_split == "held-out":
            keep = [i for i, c in enumerate(clips) if held_out(c)]
            clips, recs = [clips[i] for i in keep], [recs[i] for i in keep]
        name = spec.partition("=")[0]
        if not clips:
            out.append(f"{name}: no cached clips under {args.mood_cache} (run bench/mood_data.py)")
            continue
        out.append(f"{name}: {len(clips)} clips")
        for label, m in models:
            out.append(format_scores(label, scores(clips, predict_all(m, recs)), confusion=label != "mood-prior-1"))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_mood_arguments(ap)
    print(mood_report(ap.parse_args()))


if __name__ == "__main__":
    main()
