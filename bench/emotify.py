"""The Emotify induced-emotion dataset (Aljanaki, Wiering & Veltkamp 2016) as labelled mood data.

400 one-minute excerpts (classical, rock, pop, electronic), each rated by 11-59 listeners who ticked up to three
of the nine GEMS emotions they felt. The audio and ``data.csv`` are not part of the repository (research use);
point ``--emotify DIR`` at a folder with ``data.csv`` and ``emotifymusic/<genre>/<n>.mp3``.

``data.csv`` numbers the tracks 1-400 by genre block (classical 1-100, rock 101-200, electronic 201-300,
pop 301-400); the file of track ``id`` is ``emotifymusic/<genre>/<id - block start + 1>.mp3``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sonicai.music.tagging.mood.labels import GEMS, emotify_votes

#: The evaluation vocabulary of issue #3 and the product moods that count as a hit for each label.
EVAL_LABEL = {"calmness": "calm", "power": "energetic", "joyful_activation": "happy", "nostalgia": "nostalgic",
              "tenderness": "tender"}
HITS = {"calm": {"calm"}, "energetic": {"energetic"}, "happy": {"happy"}, "nostalgic": {"melancholic", "sad"},
        "tender": {"romantic", "calm"}}


@dataclass
class Track:
    key: str  # "<genre>/<n>", unique
    path: Path
    genre: str
    votes: np.ndarray  # share of listeners who ticked each GEMS emotion, in GEMS order
    listeners: int

    @property
    def top(self) -> str:
        """The GEMS emotion ticked by most listeners."""
        return GEMS[int(np.argmax(self.votes))]

    @property
    def eval_label(self) -> str | None:
        """The issue's label (calm, energetic, happy, nostalgic, tender) when the top emotion is one of those five."""
        return EVAL_LABEL.get(self.top)


def load_tracks(root: Path) -> list[Track]:
    """Every track of ``root/data.csv`` whose audio file exists, with its listeners' vote shares."""
    tracks = [Track(f"{genre}/{path.stem}", path, genre, votes / listeners, listeners)
              for genre, path, votes, listeners in emotify_votes(root)]
    if not tracks:
        raise FileNotFoundError(f"no Emotify audio under {Path(root) / 'emotifymusic'}")
    return tracks


def hit(label: str, ranked: list[str], k: int) -> bool:
    """Whether one of the first ``k`` ranked moods counts for the issue's ``label``."""
    return bool(HITS[label] & set(ranked[:k]))
