"""Labelled mood data sets as one list of clips, and the studio's mood inputs extracted for each (cached).

Data sets (none in the repository; docs/mood_model.md says where each comes from and its licence):

* ``emotify`` -- Emotify (Aljanaki et al. 2016), a folder with ``data.csv`` and ``emotifymusic/<genre>/<n>.mp3``
  (bench/emotify.py). Label: the GEMS emotion most listeners ticked, folded onto the product moods.
* ``4q`` -- the 4Q audio emotion data set (Panda, Malheiro & Paiva 2018), a folder with
  ``panda_dataset_taffc_metadata.csv`` and ``Q1..Q4/<Song>.mp3``: 900 30-s AllMusic clips, each in one Russell
  quadrant (Q1 A+V+, Q2 A+V-, Q3 A-V-, Q4 A-V+). The product mood inside a quadrant comes from the clip's
  AllMusic mood words (``QUADRANT_MOODS``).
* ``csv`` -- any folder of audio with a ``labels.csv`` (``file,label`` or ``file,valence,arousal``).

Every clip is analysed on its first ``CLIP_SECONDS`` seconds (the studio's held-out sets are 30-s clips, and
Emotify's one-minute excerpts would otherwise take twice the time of the rest).
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.emotify import EVAL_LABEL, load_tracks
from sonicai.music.tagging.mood.head import LABEL_ALIASES
from sonicai.music.tagging.mood.labels import UNTRAINED_GEMS, quadrant_of, read_label_csv
from sonicai.music.tagging.moods import MOODS

CLIP_SECONDS = 30.0

#: For each Russell quadrant of 4Q, the product moods it holds and AllMusic mood words that point at each
#: (the first mood is the quadrant's default when no word matches).
QUADRANT_MOODS: dict[str, dict[str, set[str]]] = {
    "Q1": {"happy": {"happy", "cheerful", "joyous", "fun", "playful", "carefree", "sunny", "bright", "upbeat",
                     "humorous", "whimsical", "lively", "celebratory", "party/celebratory", "exuberant"},
           "energetic": {"energetic", "rousing", "boisterous", "driving", "fiery", "intense", "powerful",
                         "exciting", "raucous", "wild", "rowdy", "kinetic", "volatile", "visceral", "thrilling",
                         "pulsing", "strong", "urgent", "explosive"}},
    "Q2": {"angry": {"angry", "aggressive", "hostile", "fierce", "harsh", "menacing", "brutal", "confrontational",
                     "malevolent", "nasty", "anxious", "tense", "tense/anxious", "nervous", "paranoid"}},
    "Q3": {"sad": {"sad", "gloomy", "depressing", "bleak", "somber", "mournful", "desperate", "lonely"},
           "melancholic": {"melancholy", "melancholic", "wistful", "bittersweet", "nostalgic", "yearning",
                           "reflective", "autumnal", "brooding", "detached"}},
    "Q4": {"calm": {"calm", "peaceful", "relaxed", "soothing", "quiet", "serene", "calm/peaceful", "gentle",
                    "reserved", "meditative", "pastoral", "laid-back/mellow", "mellow", "laid-back", "elegant"},
           "romantic": {"romantic", "tender", "sensual", "intimate", "sexy", "warm", "sweet", "passionate",
                        "amiable/good-natured", "lush", "sentimental"}},
}


@dataclass
class Clip:
    dataset: str
    key: str  # unique within the data set
    path: Path
    mood: str | None  # product mood to train on (None: not trained on)
    eval_label: str | None  # issue #3's label (calm, energetic, happy, nostalgic, tender) when it has one
    quadrant: str | None  # Russell quadrant Q1..Q4 when known
    group: str = ""  # stratum for held-out splits (genre, quadrant)
    genres: tuple[str, ...] = ()  # the data set's own genre labels, where it has several per clip (4Q: AllMusic)


def _quadrant_mood(quadrant: str, words: list[str]) -> str:
    options = QUADRANT_MOODS[quadrant]
    votes = {m: sum(w in ws for w in words) for m, ws in options.items()}
    best = max(votes.values())
    return next(m for m in options if votes[m] == best)  # ties (and no match) -> the quadrant's default


#: Mood of a product label -> Russell quadrant (for sets labelled with moods, not quadrants).
MOOD_QUADRANT = {"happy": "Q1", "energetic": "Q1", "angry": "Q2", "sad": "Q3", "melancholic": "Q3",
                 "calm": "Q4", "romantic": "Q4"}


def load_emotify(root: Path) -> list[Clip]:
    clips = []
    for t in load_tracks(root):
        mood = None if t.top in UNTRAINED_GEMS else LABEL_ALIASES.get(t.top, t.top)
        mood = mood if mood in MOODS else None
        clips.append(Clip("emotify", t.key, t.path, mood, EVAL_LABEL.get(t.top), None, t.genre))
    return clips


def load_4q(root: Path) -> list[Clip]:
    root = Path(root)
    clips = []
    with open(root / "panda_dataset_taffc_metadata.csv", newline="", encoding="utf-8", errors="replace") as fh:
        for row in csv.DictReader(fh):
            q = row["Quadrant"].strip()
            path = root / q / f"{row['Song'].strip()}.mp3"
            if not path.is_file():
                continue
            words = [w.strip().lower() for w in row["MoodsStrSplit"].split(";") if w.strip()]
            genres = tuple(g.strip() for g in row["GenresStr"].split(";") if g.strip())
            clips.append(Clip("4q", row["Song"].strip(), path, _quadrant_mood(q, words), None, q, q, genres))
    if not clips:
        raise FileNotFoundError(f"no 4Q audio under {root}")
    return clips


def load_csv_set(root: Path, name: str = "csv") -> list[Clip]:
    """A folder with ``labels.csv``: ``file,label`` (mood) or ``file,valence,arousal`` (numbers; quadrant only)."""
    clips = []
    for row in read_label_csv(Path(root) / "labels.csv"):
        mood = row.mood
        quadrant = quadrant_of(row.valence, row.arousal) if row.valence is not None else MOOD_QUADRANT.get(mood)
        clips.append(Clip(name, row.path.name, row.path, mood, None, quadrant, quadrant or mood or ""))
    return clips


LOADERS = {"emotify": load_emotify, "4q": load_4q, "csv": load_csv_set}


def load_set(spec: str) -> list[Clip]:
    """``NAME=DIR`` (NAME one of LOADERS)."""
    name, _, root = spec.partition("=")
    if name not in LOADERS or not root:
        raise ValueError(f"data set {spec!r}: expected NAME=DIR with NAME in {sorted(LOADERS)}")
    return LOADERS[name](Path(root))


def cache_file(cache: Path, clip: Clip) -> Path:
    return Path(cache) / clip.dataset / f"{clip.key.replace('/', '_')}.json"


def round_robin(clips: list[Clip]) -> list[Clip]:
    """Clips interleaved across their groups, so a partial extraction is still balanced."""
    groups: dict[str, list[Clip]] = {}
    for c in clips:
        groups.setdefault(c.group, []).append(c)
    out, lists = [], list(groups.values())
    for i in range(max(len(v) for v in lists)):
        out += [v[i] for v in lists if i < len(v)]
    return out


def extract(clips: list[Clip], cache: Path) -> None:
    """The studio's mood inputs (analysis, musicnn tags and embedding) of each clip, one JSON file each."""
    from sonicai.music.analysis.pipeline import analyze_signal
    from sonicai.music.audio_io import load_audio
    from sonicai.music.tagging.musicnn import MusicnnTagger

    tagger = MusicnnTagger.load()
    for i, clip in enumerate(round_robin(clips)):
        dst = cache_file(cache, clip)
        if dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            audio, sr = load_audio(clip.path, duration=CLIP_SECONDS)
            analysis = analyze_signal(audio, sr)
        except Exception as exc:  # noqa: BLE001 - one undecodable clip must not stop a 1000-clip run
            print(f"skip {clip.key}: {exc}", flush=True)
            continue
        analysis.pop("beats")
        analysis.pop("chords", None)
        tagged = tagger.tag(audio.mean(axis=0), sr)
        tmp = dst.with_suffix(".tmp")
        tmp.write_text(json.dumps({"analysis": analysis, "tags": tagged.tags,
                                   "embedding": [float(x) for x in tagged.embedding]}))
        tmp.replace(dst)
        print(f"[{i + 1}/{len(clips)}] {clip.dataset} {clip.key}", flush=True)


def inputs(rec: dict) -> tuple:
    """The same inputs mood.services feeds the model in the studio."""
    an = rec["analysis"]
    features = {**an["features"], "loudness_lufs": an.get("loudness_lufs")}
    return rec["tags"], np.asarray(rec["embedding"]), features, an["tempo_bpm"], an["mode"]


def cached(clips: list[Clip], cache: Path) -> tuple[list[Clip], list[dict]]:
    """The clips whose features are in the cache, and their records."""
    kept, recs = [], []
    for clip in clips:
        path = cache_file(cache, clip)
        if path.exists():
            kept.append(clip)
            recs.append(json.loads(path.read_text()))
    return kept, recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+", help="NAME=DIR, NAME one of emotify, 4q, csv")
    ap.add_argument("--cache", type=Path, required=True)
    args = ap.parse_args()
    for spec in args.sets:
        extract(load_set(spec), args.cache)


if __name__ == "__main__":
    main()
