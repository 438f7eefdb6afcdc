"""One-off check of the PyTorch basic-pitch port against the original implementation.

Two steps, in two environments (the original is not installed in the project: its package pulls
TensorFlow and resampy; docs/transcription.md describes the throw-away environment):

    # 1. the original (basic-pitch 0.4.0 with its onnxruntime backend, the wheel's nmp.onnx)
    ORIGINAL_VENV/bin/python -m bench.basic_pitch_compare original /tmp/bp_ref.npz FILES...
    # 2. the port, on the same decoded audio and on the files themselves
    .venv/bin/python -m bench.basic_pitch_compare compare /tmp/bp_ref.npz FILES...
    # the reference the tests hold (the original on tests/music/transcription_signals.py)
    ORIGINAL_VENV/bin/python -m bench.basic_pitch_compare original-synthetic \
        tests/music/data/basic_pitch_reference_melody.json

``original`` stores, per file, the 22.05 kHz mono signal ``librosa.load`` gave the original, the
original's posteriorgrams (``run_inference``), its note events (``predict`` with default settings)
and its wall time. ``compare`` reports, per file:

* posteriorgrams: the port's network + windowing on that same signal vs the original's (max abs);
* decoding: our note decoder on the original's posteriorgrams vs the original's notes (exact);
* end to end: our whole path from the file (project decoder + soxr resampling) vs the original;
* speed: the port vs onnxruntime on the same windows one at a time (what the original does),
  both timed here in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def run_original(out: Path, files: list[str]) -> None:
    import librosa
    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model, predict, run_inference

    model = Model(ICASSP_2022_MODEL_PATH)
    print(f"original model: {ICASSP_2022_MODEL_PATH} ({model.model_type})")
    arrays = {}
    for i, path in enumerate(files):
        y, _ = librosa.load(path, sr=22050, mono=True)
        t0 = time.perf_counter()
        grams = run_inference(path, model)
        seconds = time.perf_counter() - t0
        _, _, events = predict(path, model)
        arrays[f"{i}_audio"] = y
        for key in ("note", "onset", "contour"):
            arrays[f"{i}_{key}"] = grams[key]
        arrays[f"{i}_notes"] = np.array([(s, e, p, a) for s, e, p, a, _ in events], dtype=np.float64).reshape(-1, 4)
        arrays[f"{i}_bends"] = np.array([repr([int(b) for b in bends] if bends else None) for *_, bends in events])
        arrays[f"{i}_seconds"] = np.array(seconds)
        print(f"{Path(path).name}: {len(y) / 22050:.1f} s, {len(events)} notes, run_inference {seconds:.2f} s")
    np.savez_compressed(out, files=np.array(files), **arrays)


def run_original_synthetic(out: Path) -> None:
    """The original's notes and part of its posteriorgrams for tests/music/transcription_signals.py."""
    import json
    import tempfile

    import soundfile as sf
    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model, predict

    from tests.music.transcription_signals import melody_signal

    y = melody_signal(22050)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "melody.wav"
        sf.write(path, y, 22050, subtype="FLOAT")  # librosa reads float WAV back exactly
        grams, _, events = predict(path, Model(ICASSP_2022_MODEL_PATH))
    rows = slice(0, None, 16)
    bins = slice(30, 60)  # MIDI 51-80: every note of the signal and its neighbours
    json.dump({
        "source": "basic-pitch 0.4.0 predict() defaults, onnxruntime backend, wheel nmp.onnx",
        "frames": "every 16th frame", "bins": "note/onset bins 30..59 (MIDI 51..80)",
        "note": np.round(grams["note"][rows, bins], 6).tolist(),
        "onset": np.round(grams["onset"][rows, bins], 6).tolist(),
        "n_frames": int(grams["note"].shape[0]),
        "notes": [[float(s), float(e), int(p), float(a), [int(b) for b in bends] if bends else None]
                  for s, e, p, a, bends in events],
    }, open(out, "w"))
    print(f"{len(events)} notes -> {out}")


def _note_diff(ours, theirs: np.ndarray, their_bends: np.ndarray | None = None) -> str:
    if len(ours) != len(theirs):
        return f"{len(ours)} vs {len(theirs)} notes"
    if not len(ours):
        return "0 notes on both sides"
    mine = np.array([(n.start, n.end, n.pitch, n.amplitude) for n in ours])
    same_pitch = bool(np.all(mine[:, 2] == theirs[:, 2]))
    dt = float(np.abs(mine[:, :2] - theirs[:, :2]).max())
    da = float(np.abs(mine[:, 3] - theirs[:, 3]).max())
    text = (f"{len(ours)} notes, pitches {'equal' if same_pitch else 'DIFFER'}, "
            f"max |dt| {dt:.1e} s, max |d amp| {da:.1e}")
    if their_bends is not None:
        bends = [repr(list(n.pitch_bends) if n.pitch_bends else None) for n in ours]
        text += f", pitch bends {'equal' if bends == list(their_bends) else 'DIFFER'}"
    return text


def run_compare(ref_path: Path, files: list[str]) -> None:
    import onnxruntime as ort
    import torch

    from sonicai.music.audio_io import load_audio
    from sonicai.music.transcription import basic_pitch as bp
    from sonicai.music.transcription.notes import decode_notes

    torch.set_num_threads(1)
    ref = np.load(ref_path)
    stored = [str(f) for f in ref["files"]]
    model = bp.load_basic_pitch()
    session = ort.InferenceSession(str(bp.default_weights_path()), providers=["CPUExecutionProvider"])
    opts = session.get_session_options()
    print(f"onnxruntime {ort.__version__} (intra-op threads {opts.intra_op_num_threads or 'default'}); "
          f"torch {torch.__version__}, 1 thread")
    worst = {"note": 0.0, "onset": 0.0, "contour": 0.0}
    for path in files:
        i = stored.index(path)
        name = Path(path).name
        y = ref[f"{i}_audio"]
        t0 = time.perf_counter()
        grams = bp.predict_posteriorgrams(y, bp.SAMPLE_RATE, model=model, batch_size=8)
        t_port = time.perf_counter() - t0
        diffs = {}
        for key in worst:
            theirs, mine = ref[f"{i}_{key}"], getattr(grams, key)
            diffs[key] = float(np.abs(theirs - mine).max()) if theirs.shape == mine.shape else float("inf")
            worst[key] = max(worst[key], diffs[key])
        original_grams = bp.Posteriorgrams(note=ref[f"{i}_note"], onset=ref[f"{i}_onset"],
                                           contour=ref[f"{i}_contour"])
        decoded = decode_notes(original_grams)
        audio, sr = load_audio(path)
        end_to_end = decode_notes(bp.predict_posteriorgrams(audio, sr, model=model))

        windows = bp._windows(y)
        t0 = time.perf_counter()
        for w in windows:
            session.run(None, {"serving_default_input_2:0": w[None, :, None]})
        t_onnx = time.perf_counter() - t0
        print(f"\n{name} ({len(y) / bp.SAMPLE_RATE:.1f} s, {len(windows)} windows)")
        print("  posteriorgrams max |diff|: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
        print(f"  decoding (original posteriorgrams): {_note_diff(decoded, ref[f'{i}_notes'], ref[f'{i}_bends'])}")
        print(f"  end to end from the file:           {_note_diff(end_to_end, ref[f'{i}_notes'])}")
        print(f"  network time: port {t_port:.2f} s, onnxruntime one window at a time {t_onnx:.2f} s "
              f"(ratio {t_port / t_onnx:.2f}); original run_inference {float(ref[f'{i}_seconds']):.2f} s "
              "(other process)")
    print("\nworst posteriorgram |diff| over all files: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["original", "compare", "original-synthetic"])
    parser.add_argument("reference", type=Path, help=".npz written by 'original', read by 'compare'")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    if args.mode == "original-synthetic":
        run_original_synthetic(args.reference)
    elif args.mode == "original":
        run_original(args.reference, args.files)
    else:
        run_compare(args.reference, args.files)


if __name__ == "__main__":
    main(sys.argv[1:])
