"""Mood labels from a CSV file: ``file,label`` (a mood) or ``file,valence,arousal`` (numbers).

Valence and arousal may be on the scales published sets use: [0, 1] (PMEmo), [-1, 1] (4Q's AllMusic/Warriner
values, Soundtracks), or the 9-point [1, 9] (DEAM); the file's values say which (all within [0, 1], else all
within [-1, 1], else all within [1, 9]). A row's mood is the product mood whose circumplex position is nearest.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .prior import CENTROIDS

if TYPE_CHECKING:
    import numpy as np


@dataclass
class LabelRow:
    path: Path
    mood: str | None  # product mood or an alias (head.normalize_label folds it); None for unlabelled rows
    valence: float | None = None  # rescaled to [0, 1]
    arousal: float | None = None


def quadrant_of(valence: float, arousal: float) -> str:
    """Russell quadrant of a (valence, arousal) point in [0, 1]^2: Q1 V+A+, Q2 V-A+, Q3 V-A-, Q4 V+A-."""
    if arousal >= 0.5:
        return "Q1" if valence >= 0.5 else "Q2"
    return "Q4" if valence >= 0.5 else "Q3"


def nearest_mood(valence: float, arousal: float) -> str:
    return min(CENTROIDS, key=lambda m: (CENTROIDS[m][0] - valence) ** 2 + (CENTROIDS[m][1] - arousal) ** 2)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def read_label_csv(path: Path) -> list[LabelRow]:
    """Rows of a label CSV; file names are relative to the CSV's folder. A header row is optional."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [[c.strip() for c in r] for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if rows and rows[0][0].lower() in ("file", "filename", "path", "song", "track"):
        rows = rows[1:]
    if not rows:
        raise ValueError(f"{path}: no label rows")
    width = {len(r) for r in rows}
    if width == {2}:
        return [LabelRow(path.parent / r[0], r[1]) for r in rows]
    if width == {3} and all(_is_number(r[1]) and _is_number(r[2]) for r in rows):
        values = [float(x) for r in rows for x in r[1:]]
        for lo, hi in ((0.0, 1.0), (-1.0, 1.0), (1.0, 9.0)):
            if lo <= min(values) and max(values) <= hi:
                break
        else:
            raise ValueError(f"{path}: valence/arousal must all lie in [0, 1], [-1, 1] or [1, 9]")
        out = []
        for r in rows:
            v, a = ((float(x) - lo) / (hi - lo) for x in r[1:])
            out.append(LabelRow(path.parent / r[0], nearest_mood(v, a), v, a))
        return out
    raise ValueError(f"{path}: expected rows 'file,label' or 'file,valence,arousal' (numbers)")


#: GEMS emotions of Emotify (Aljanaki et al. 2016) in its data.csv's column names.
GEMS = ("amazement", "solemnity", "tenderness", "nostalgia", "calmness", "power", "joyful_activation", "tension",
        "sadness")
#: GEMS emotions with no product mood: not trained on (tension is not anger: docs/mood_model.md).
UNTRAINED_GEMS = ("amazement", "solemnity", "tension")
_EMOTIFY_BLOCK = {"classical": 1, "rock": 101, "electronic": 201, "pop": 301}


def emotify_votes(root: Path) -> list[tuple[str, Path, np.ndarray, int]]:
    """(genre, audio file, GEMS vote counts in ``GEMS`` order, listeners) of every Emotify track whose audio
    exists. ``data.csv`` has a row per listener and numbers tracks 1-400 in genre blocks; the file of track
    ``id`` is ``emotifymusic/<genre>/<id - block start + 1>.mp3``."""
    import numpy as np

    root = Path(root)
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    genres: dict[int, str] = {}
    with open(root / "data.csv", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        cols = [header.index(g) for g in GEMS]
        for row in reader:
            tid = int(row[0])
            genres[tid] = row[1].strip()
            sums[tid] = sums.get(tid, np.zeros(len(GEMS))) + [float(row[c]) for c in cols]
            counts[tid] = counts.get(tid, 0) + 1
    out = []
    for tid in sorted(sums):
        path = root / "emotifymusic" / genres[tid] / f"{tid - _EMOTIFY_BLOCK[genres[tid]] + 1}.mp3"
        if path.is_file():
            out.append((genres[tid], path, sums[tid], counts[tid]))
    return out


def emotify_labels(root: Path) -> list[LabelRow]:
    """One row per Emotify track whose audio exists: the GEMS emotion most of its listeners ticked (``mood``
    None when that emotion has no product mood)."""
    rows = []
    for _, path, votes, _ in emotify_votes(root):
        top = GEMS[int(votes.argmax())]
        rows.append(LabelRow(path, None if top in UNTRAINED_GEMS else top))
    return rows
