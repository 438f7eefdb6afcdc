"""A deterministic evaluation set for stem separation (songs of sonicai/music/testing/stem_songs.py) on disk.

    python -m bench.make_stem_set OUT_DIR [--songs 6] [--seconds 30]

writes OUT_DIR/song_<seed>/{mix,vocals,drums,bass,other}.wav (float WAV, 44.1 kHz stereo).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sonicai.music.audio_io import write_audio
from sonicai.music.testing.stem_songs import SR, make_song


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--songs", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--first-seed", type=int, default=0)
    args = ap.parse_args()
    for seed in range(args.first_seed, args.first_seed + args.songs):
        stems = make_song(seed, args.seconds)
        folder = args.out / f"song_{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        write_audio(folder / "mix.wav", sum(stems.values()), SR, fmt="wavf")
        for name, audio in stems.items():
            write_audio(folder / f"{name}.wav", audio, SR, fmt="wavf")
        print("wrote", folder)


if __name__ == "__main__":
    main()
