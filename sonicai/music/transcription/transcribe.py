"""Stems to notes: basic-pitch for pitched stems, onset classification for drums."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .basic_pitch import BasicPitchNet, predict_posteriorgrams
from .drums import DrumHit, transcribe_drums
from .notes import NoteEvent, NoteSettings, decode_notes, one_line

__all__ = ["ONE_LINE_STEMS", "STEM_SETTINGS", "settings_for_stem", "transcribe", "transcribe_stems"]

Progress = Callable[[float, str], None]

#: Pitch ranges per stem, from the instruments (not tuned on any data set): a bass line lives
#: below C5 (the 4-string bass tops out near G4), sung melodies between C2 and G6. Outside them
#: basic-pitch's notes on these stems are overtones or bleed. Other stems use basic-pitch's defaults.
STEM_SETTINGS: dict[str, NoteSettings] = {
    "bass": NoteSettings(max_frequency=523.3),
    "vocals": NoteSettings(min_frequency=65.4, max_frequency=1568.0),
}


#: Stems whose part plays one note at a time: a bass stem's other notes are its overtones and the chords that bleed
#: into it (basic-pitch wrote 160 notes for a 32-note bass line). A lead vocal may be one line too, but backing
#: harmonies would be lost, so vocals keep every note.
ONE_LINE_STEMS = frozenset({"bass"})


def settings_for_stem(stem: str) -> NoteSettings:
    return STEM_SETTINGS.get(stem.lower(), NoteSettings())


def transcribe(
    audio: np.ndarray,
    sr: int,
    stem: str = "other",
    *,
    settings: NoteSettings | None = None,
    model: BasicPitchNet | None = None,
    progress: Progress | None = None,
) -> list[NoteEvent] | list[DrumHit]:
    """Notes of one stem (drum hits for ``stem="drums"``). ``audio``: (samples,) or (channels, samples)."""
    if stem.lower() == "drums":
        return transcribe_drums(audio, sr, progress=progress)

    def network_progress(fraction: float, stage: str) -> None:
        if progress is not None:
            progress(0.9 * fraction, stage)

    grams = predict_posteriorgrams(audio, sr, model=model, progress=network_progress)
    notes = decode_notes(grams, settings or settings_for_stem(stem))
    if stem.lower() in ONE_LINE_STEMS:
        notes = one_line(notes)
    if progress is not None:
        progress(1.0, "finding notes")
    return notes


def transcribe_stems(
    stems: Mapping[str, np.ndarray],
    sr: int,
    *,
    model: BasicPitchNet | None = None,
    progress: Progress | None = None,
) -> dict[str, list[NoteEvent] | list[DrumHit]]:
    """Each stem transcribed in turn; progress runs 0..1 over all of them, staged by stem name."""
    out: dict[str, list[NoteEvent] | list[DrumHit]] = {}
    names = list(stems)
    for i, name in enumerate(names):
        def stem_progress(fraction: float, stage: str, i: int = i, name: str = name) -> None:
            if progress is not None:
                progress((i + fraction) / len(names), f"{name}: {stage}")

        out[name] = transcribe(stems[name], sr, name, model=model, progress=stem_progress)
    return out
