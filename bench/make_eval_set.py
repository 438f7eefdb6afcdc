"""Write the labelled synthetic evaluation set (sonicai/music/testing/eval_songs.py) to disk.

    python -m bench.make_eval_set --out /tmp/sonicai_eval --n 48 --seed 7
    python -m bench.make_eval_set --out /tmp/sonicai_eval_hard --seed 23 --random-mix

The set is deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sonicai.music.testing.eval_songs import make_set, render


def write_set(out: Path, n: int = 48, seed: int = 7, duration: float = 30.0, sr: int = 22050,
              random_mix: bool = False) -> list[dict]:
    import soundfile as sf

    out.mkdir(parents=True, exist_ok=True)
    labels = []
    for piece in make_set(n, seed, duration, random_mix):
        audio = render(piece.notes, piece.programs, piece.duration, sr, piece.volumes)
        sf.write(out / f"{piece.name}.wav", audio.T, sr, subtype="PCM_16")
        labels.append({"file": f"{piece.name}.wav", "style": piece.style, "bpm": piece.bpm, "tonic": piece.tonic,
                       "mode": piece.mode, "beats": [round(b, 4) for b in piece.beats]})
    meta = {"seed": seed, "n": n, "random_mix": random_mix, "pieces": labels}
    (out / "labels.json").write_text(json.dumps(meta, indent=1))
    return labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/sonicai_eval")
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--random-mix", action="store_true", help="random channel volumes per piece (harder)")
    args = ap.parse_args()
    labels = write_set(Path(args.out), args.n, args.seed, args.duration, random_mix=args.random_mix)
    print(f"wrote {len(labels)} pieces to {args.out}")


if __name__ == "__main__":
    main()
