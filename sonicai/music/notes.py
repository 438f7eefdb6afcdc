"""The twelve pitch-class names and how a note name is read: the one list every engine names keys and chords with."""

from __future__ import annotations

#: Pitch classes from C, sharps only: what the studio shows and the REST contract's ``key`` holds.
NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pitch_class(name: str) -> int:
    """Pitch class (C=0) of a note name: any case, sharps (# or ♯) and flats (b or ♭), e.g. 'Bb' -> 10, 'E#' -> 5."""
    key = name.strip().upper().replace("♯", "#").replace("♭", "B")
    if len(key) == 2 and key[0] in _NATURALS and key[1] in "#B":
        return (_NATURALS[key[0]] + (1 if key[1] == "#" else -1)) % 12
    if key in _NATURALS:
        return _NATURALS[key]
    raise ValueError(f"not a note name: {name!r}")
