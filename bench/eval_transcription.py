"""Note transcription accuracy on real recordings: our basic-pitch port vs the original.

    .venv/bin/python -m bench.eval_transcription [--data eval-data/transcription] \
        [--original-python /work/tmp/bp-venv/bin/python]

Metric: note F-measure with onsets only (``mir_eval.transcription.precision_recall_f1_overlap``,
``offset_ratio=None``, 50 ms onset tolerance, 50 cents pitch tolerance), per track against each
annotator, then the mean over tracks.

Rows:

* ``original``: basic-pitch 0.4.0 ``predict()`` with its defaults, run by ``--original-python`` (a
  throw-away environment where ``basic_pitch`` and its dependencies import; see
  docs/transcription.md); this script runs itself there with ``--as-original``.
* ``port``: ``sonicai.music.transcription`` with the same settings (``NoteSettings()``).
* ``port, stem ranges``: the same with the pitch range SonicAI uses for the stem (vocals: C2-G6).

Nothing here was tuned on these recordings (the decoding thresholds are basic-pitch's defaults,
the stem ranges come from the instruments), so every track is held out.

Data (not in git; put under --data as listed):

* vocadito (Bittner et al. 2021, solo singing, 2 note annotators, CC BY 4.0), 3 of its 40 tracks:
  - ``vocadito/Audio/vocadito_1.wav`` and ``vocadito/Annotations/Notes/vocadito_1_notesA{1,2}.csv``:
    mir-dataset-loaders/mirdata@b95bf3893616ff16082beed7869f144bb711c163
    tests/resources/mir_datasets/vocadito/
  - ``vocadito/Audio/vocadito_{10,14}.wav``: spotify/basic-pitch@fa5997af0a8210982619003269994a1be25eddf3
    tests/resources/
  - ``vocadito/Annotations/Notes/vocadito_{10,14}_notesA{1,2}.csv``: cvkulkarnidev/Melody-Visualizer-
    evaluation/vocadito/ (vocadito_10_notesA1 @c21555644f7bd7a61d76c91387251732df657a36, the others
    @81e8b249b78239777eb111dfc15fecb210b816b5; stated there to be the unmodified vocadito annotations)
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

DATASETS = {
    "vocadito": {
        "stem": "vocals",
        "tracks": ["vocadito_1", "vocadito_10", "vocadito_14"],
        "audio": "vocadito/Audio/{track}.wav",
        "annotations": {"A1": "vocadito/Annotations/Notes/{track}_notesA1.csv",
                        "A2": "vocadito/Annotations/Notes/{track}_notesA2.csv"},
    },
}


def _midi_to_hz(pitch) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=float) - 69.0) / 12.0)


def read_reference(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """vocadito notes: onset s, frequency Hz, duration s per line -> (intervals, Hz)."""
    rows = [[float(v) for v in row[:3]] for row in csv.reader(path.open()) if row]
    arr = np.array(rows).reshape(-1, 3)
    return np.stack([arr[:, 0], arr[:, 0] + arr[:, 2]], axis=1), arr[:, 1]


def original_notes(files: list[str]) -> dict[str, list[list[float]]]:
    """Run inside the original's environment: {file: [[start, end, midi], ...]}."""
    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model, predict

    model = Model(ICASSP_2022_MODEL_PATH)
    out = {}
    for path in files:
        _, _, events = predict(path, model)
        out[path] = [[float(s), float(e), int(p)] for s, e, p, *_ in events]
    return out


def port_notes(files: list[str], stem: str | None) -> dict[str, list[list[float]]]:
    from sonicai.music.audio_io import load_audio
    from sonicai.music.transcription.basic_pitch import load_basic_pitch, predict_posteriorgrams
    from sonicai.music.transcription.notes import NoteSettings, decode_notes
    from sonicai.music.transcription.transcribe import settings_for_stem

    model = load_basic_pitch()
    settings = settings_for_stem(stem) if stem else NoteSettings()
    out = {}
    for path in files:
        audio, sr = load_audio(path)
        notes = decode_notes(predict_posteriorgrams(audio, sr, model=model), settings)
        out[path] = [[n.start, n.end, n.pitch] for n in notes]
    return out


def score(ref: tuple[np.ndarray, np.ndarray], est: list[list[float]]) -> tuple[float, float, float]:
    import mir_eval

    est_arr = np.array(est, dtype=float).reshape(-1, 3)
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref[0], ref[1], est_arr[:, :2], _midi_to_hz(est_arr[:, 2]), onset_tolerance=0.05, offset_ratio=None)
    return p, r, f


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("eval-data/transcription"))
    parser.add_argument("--original-python", help="python of an environment where basic_pitch imports")
    parser.add_argument("--as-original", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.as_original is not None:
        json.dump(original_notes(args.as_original), sys.stdout)
        return

    for name, ds in DATASETS.items():
        tracks = ds["tracks"]
        files = [str(args.data / ds["audio"].format(track=t)) for t in tracks]
        missing = [f for f in files if not Path(f).is_file()]
        if missing:
            print(f"{name}: missing {missing}; see this script's docstring for where the data comes from")
            continue
        systems: dict[str, dict[str, list]] = {}
        if args.original_python:
            done = subprocess.run([args.original_python, __file__, "--as-original", *files],
                                  capture_output=True, text=True, check=True)
            systems["original basic-pitch 0.4.0"] = json.loads(done.stdout.strip().splitlines()[-1])
        systems["port (same settings)"] = port_notes(files, None)
        systems[f"port, {ds['stem']} range"] = port_notes(files, ds["stem"])

        print(f"\n{name}: {len(tracks)} tracks ({ds['stem']}), onset-only note P / R / F (50 ms, 50 cents)")
        header = f"{'system':32s}" + "".join(f"  {ann + ' ' + t:>22s}" for ann in ds["annotations"] for t in tracks)
        print(header + "".join(f"  {'mean F ' + ann:>10s}" for ann in ds["annotations"]))
        for label, notes in systems.items():
            cells, means = [], []
            for pattern in ds["annotations"].values():
                fs = []
                for track, path in zip(tracks, files, strict=True):
                    p, r, f = score(read_reference(args.data / pattern.format(track=track)), notes[path])
                    cells.append(f"  {p:6.3f} {r:6.3f} {f:6.3f}  ")
                    fs.append(f)
                means.append(np.mean(fs))
            print(f"{label:32s}" + "".join(cells) + "".join(f"  {m:10.3f}" for m in means))
        if args.original_python:
            same = all(systems["original basic-pitch 0.4.0"][f] == _via_json(systems["port (same settings)"][f])
                       for f in files)
            print(f"port notes identical to the original's: {same}")


def _via_json(notes: list[list[float]]) -> list[list[float]]:
    """The original's events come back through JSON as floats; compare like with like."""
    return json.loads(json.dumps(notes))


if __name__ == "__main__":
    main(sys.argv[1:])
