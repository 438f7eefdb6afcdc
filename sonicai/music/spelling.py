"""Note and key names as musicians write them.

The analysis names a key by its tonic's pitch class with sharps ("A#", the CLI/API contract). People write
B♭ major: each key is spelled with the key signature that needs the fewest accidentals, sharps for F♯ major
and flats for E♭ minor where both need six (the spellings most scores use).
"""

from __future__ import annotations

SHARP_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")
FLAT_NAMES = ("C", "D♭", "D", "E♭", "E", "F", "G♭", "G", "A♭", "A", "B♭", "B")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pitch_class(name: str | int) -> int:
    """0-11 for "C", "C#", "C♯", "Db", "D♭", ... (or an int)."""
    if isinstance(name, int):
        return name % 12
    text = str(name).strip()
    if not text or text[0].upper() not in _LETTERS:
        raise ValueError(f"not a note name: {name!r}")
    pc = _LETTERS[text[0].upper()]
    for ch in text[1:]:
        pc += {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(ch, 0)
    return pc % 12


def uses_flats(tonic: str | int, mode: str = "major") -> bool:
    """Whether the key's signature is written with flats (fewest accidentals; ties: F♯ major, E♭ minor)."""
    pc = pitch_class(tonic)
    relative_major = pc if not str(mode).lower().startswith("min") else (pc + 3) % 12
    sharps = (relative_major * 7) % 12  # steps round the circle of fifths
    flats = (12 - sharps) % 12
    if sharps == flats:
        return str(mode).lower().startswith("min")
    return flats < sharps


def note_names(tonic: str | int = 0, mode: str = "major") -> tuple[str, ...]:
    """The twelve pitch-class names (C first) spelled for this key."""
    return FLAT_NAMES if uses_flats(tonic, mode) else SHARP_NAMES


def key_name(tonic: str | int | None, mode: str | None = "major") -> str:
    """ "A#", "major" -> "B♭ major"; "" when the key is unknown."""
    if tonic is None or tonic == "":
        return ""
    mode = (mode or "major").lower()
    mode = "minor" if mode.startswith("min") else "major"
    try:
        pc = pitch_class(tonic)
    except ValueError:
        return f"{tonic} {mode}"
    return f"{note_names(pc, mode)[pc]} {mode}"
