"""Note and key names as musicians write them.

The analysis names a key by its tonic's pitch class with sharps ("A#", the CLI/API contract). People write
B♭ major: each key is spelled with the key signature that needs the fewest accidentals, sharps for F♯ major
and flats for E♭ minor where both need six (the spellings most scores use).
"""

from __future__ import annotations

from .notes import pitch_class as _read

SHARP_NAMES = ("C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B")
FLAT_NAMES = ("C", "D♭", "D", "E♭", "E", "F", "G♭", "G", "A♭", "A", "B♭", "B")


def pitch_class(name: str | int) -> int:
    """0-11 for a note name (read by sonicai.music.notes) or an int."""
    return name % 12 if isinstance(name, int) else _read(str(name))


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
