"""Chord recognition on real songs: the analysis' chord track against a plain chroma-template baseline.

    nice -n 10 .venv/bin/python -m bench.eval_chords [--sets tune,heldout,cd] [--cache DIR] [--out FILE.tsv]

Data and splits: bench/chord_data.py (180 Beatles songs with the Isophonics annotations, split by album
before any tuning; 7 of the held-out songs again in CD quality). Nothing from the held-out albums was
looked at while choosing the recogniser's settings.

Rows, both run here on the same audio:

* ``ours``: what the analysis job stores: ``sonicai.music.analysis.chords.chord_track`` on the 22.05 kHz
  mono signal with the beats and key of the analysis (its RNN beat tracker and key ensemble; cached per
  file in ``--cache`` because they cost more than the chords).
* ``baseline``: a plain chroma-template labeller: librosa ``chroma_stft`` (n_fft 4096, hop 2048, librosa's
  own tuning estimate), cosine match against the 24 major/minor triads, 5-frame (0.46 s) median filter
  on the chroma, "N" below 1 % of the loudest frame's RMS (the labeller that
  checked the sets' alignment).

Scores: mir_eval's chord comparisons (root, majmin, triads, sevenths, mirex) per song over the part the
labels and the audio share, then the mean over songs of each set (and the duration-weighted mean).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench.chord_data import DATA, beats_and_key, cached, load_reference, songs

METRICS = ("root", "majmin", "triads", "sevenths", "mirex")
SR = 22050


def baseline_chords(y: np.ndarray, sr: int) -> tuple[np.ndarray, list[str]]:
    import librosa
    import scipy.ndimage

    from sonicai.music.notes import NOTE_NAMES

    templates, labels = [], []
    for quality, intervals in (("maj", (0, 4, 7)), ("min", (0, 3, 7))):
        for root in range(12):
            t = np.zeros(12)
            t[[(root + i) % 12 for i in intervals]] = 1.0
            templates.append(t / np.linalg.norm(t))
            labels.append(f"{NOTE_NAMES[root]}:{quality}")
    hop = 2048
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, n_fft=4096, hop_length=hop)
    chroma = scipy.ndimage.median_filter(chroma, size=(1, 5))
    rms = librosa.feature.rms(y=y, frame_length=4096, hop_length=hop)[0]
    best = np.argmax(np.array(templates) @ (chroma / (np.linalg.norm(chroma, axis=0) + 1e-9)), axis=0)
    est = [labels[i] if e > 0.01 * rms.max() else "N" for i, e in zip(best, rms, strict=False)]
    t = np.arange(len(est)) * hop / sr
    return np.stack([t, t + hop / sr], axis=1), est


def score(ref_iv, ref_lab, est_iv, est_lab) -> dict[str, float]:
    """mir_eval's chord comparisons, weighted by duration over the reference's span (what
    ``mir_eval.chord.evaluate`` computes, without its segmentation scores, which refuse the few
    Isophonics files whose intervals overlap)."""
    import mir_eval

    est_iv, est_lab = mir_eval.util.adjust_intervals(np.asarray(est_iv), list(est_lab), ref_iv.min(), ref_iv.max(),
                                                     mir_eval.chord.NO_CHORD, mir_eval.chord.NO_CHORD)
    iv, ref_l, est_l = mir_eval.util.merge_labeled_intervals(ref_iv, ref_lab, est_iv, est_lab)
    durations = mir_eval.util.intervals_to_durations(iv)
    return {m: float(mir_eval.chord.weighted_accuracy(getattr(mir_eval.chord, m)(ref_l, est_l), durations))
            for m in METRICS}


def main() -> None:
    from sonicai.music.analysis.chords import chord_track
    from sonicai.music.analysis.pipeline import _mono_22k
    from sonicai.music.audio_io import load_audio

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--sets", default="tune,heldout,cd")
    ap.add_argument("--cache", type=Path, default=DATA / "cache", help="beat/key cache ('' to recompute)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many songs per set (0: all)")
    ap.add_argument("--cached-only", action="store_true",
                    help="only songs whose beats and key are already cached (a partial but unbiased run)")
    ap.add_argument("--out", type=Path, default=None, help="per-song scores as TSV")
    args = ap.parse_args()
    wanted = args.sets.split(",")
    cache = args.cache if str(args.cache) else None

    rows = []
    per_set: dict[str, int] = {}
    for song in songs(args.data):
        if song.split not in wanted or (args.limit and per_set.get(song.split, 0) >= args.limit):
            continue
        if args.cached_only and not (cache and cached(song, cache)):
            continue
        per_set[song.split] = per_set.get(song.split, 0) + 1
        audio, sr = load_audio(song.audio)
        duration = audio.shape[1] / sr
        ref_iv, ref_lab = load_reference(song, duration)
        info = beats_and_key(song, audio, sr, cache)
        y = _mono_22k(audio, sr)
        t0 = time.perf_counter()
        ours = chord_track(y, SR, np.array(info["beats"]), info["key"], info["mode"])
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        base_iv, base_lab = baseline_chords(y, SR)
        t_base = time.perf_counter() - t0
        s_ours = score(ref_iv, ref_lab, [[c["start"], c["end"]] for c in ours], [c["label"] for c in ours])
        s_base = score(ref_iv, ref_lab, base_iv, base_lab)
        rows.append((song, duration, s_ours, s_base, t_ours, t_base))
        print(f"{song.split:8s} {song.name[:60]:60s} {'*' if song.flagged else ' '} majmin ours {s_ours['majmin']:.3f} "
              f"base {s_base['majmin']:.3f}  sevenths {s_ours['sevenths']:.3f} / {s_base['sevenths']:.3f}  "
              f"{t_ours:.2f} s / {t_base:.2f} s", flush=True)

    if args.out:
        with open(args.out, "w") as fh:
            fh.write("set\tsong\tflagged\tduration\t" + "\t".join(f"ours_{m}\tbase_{m}" for m in METRICS) + "\n")
            for song, dur, so, sb, _, _ in rows:
                fh.write(f"{song.split}\t{song.name}\t{int(song.flagged)}\t{dur:.1f}\t"
                         + "\t".join(f"{so[m]:.4f}\t{sb[m]:.4f}" for m in METRICS) + "\n")

    print("\nmean over songs (duration-weighted in brackets); * = flagged by the alignment check, kept in the means")
    print(f"{'set':8s} {'songs':>5s}  " + "  ".join(f"{m + ' ours/base':>22s}" for m in METRICS)
          + "  majmin gain   chords s/min ours/base")
    for name in wanted:
        sel = [r for r in rows if r[0].split == name]
        if not sel:
            continue
        dur = np.array([r[1] for r in sel])
        cells = []
        for m in METRICS:
            o = np.array([r[2][m] for r in sel])
            b = np.array([r[3][m] for r in sel])
            cells.append(f"{o.mean():.3f}/{b.mean():.3f} ({np.average(o, weights=dur):.3f}/"
                         f"{np.average(b, weights=dur):.3f})")
        gain = np.mean([r[2]["majmin"] - r[3]["majmin"] for r in sel])
        speed = (sum(r[4] for r in sel) / dur.sum() * 60, sum(r[5] for r in sel) / dur.sum() * 60)
        print(f"{name:8s} {len(sel):5d}  " + "  ".join(f"{c:>22s}" for c in cells)
              + f"  {gain:+.3f}       {speed[0]:.2f} / {speed[1]:.2f}")


if __name__ == "__main__":
    main()
