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


# --- Spelling in a key: the one place pages, the API, the lead sheet and MIDI/MusicXML exports name notes from.
_LETTERS = "CDEFGAB"
_LETTER_PC = [0, 2, 4, 5, 7, 9, 11]
#: Tonic names that read best, by pitch class: the key signature with fewer accidentals (F# major and
#: E-flat minor, six either way, by the more common name).
_MAJOR_TONICS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_MINOR_TONICS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
#: Scale degree (0 = tonic letter .. 6) for each semitone above the tonic: the diatonic degrees of the
#: major scale, flat 2/3/6/7 (the chords borrowed from the minor mode, and the minor mode's own 3/6/7),
#: sharp 4 (the tritone as #IV, e.g. B in F major).
_DEGREE = [0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6]
_MAJOR_SCALE = {0, 2, 4, 5, 7, 9, 11}
_MINOR_SCALE = {0, 2, 3, 5, 7, 8, 10, 11}


def _accidentals(n: int, unicode: bool) -> str:
    return ("♯" if unicode else "#") * n if n > 0 else ("♭" if unicode else "b") * -n


def key_name(tonic: int | str, mode: str = "major", unicode: bool = False) -> str:
    """The tonic as a key is named: 5 -> 'F', 10 major -> 'Bb' (or 'B♭'), 3 minor -> 'Eb'."""
    pc = pitch_class(tonic) if isinstance(tonic, str) else int(tonic) % 12
    name = (_MINOR_TONICS if str(mode).lower().startswith("min") else _MAJOR_TONICS)[pc]
    return name[0] + _accidentals(name.count("#") - name.count("b"), unicode)


def spell(pc: int, tonic: int | str, mode: str = "major", unicode: bool = False) -> str:
    """Name of pitch class ``pc`` in the key of ``tonic``/``mode``, by its scale degree: B-flat (not A#)
    in F major, F-sharp in D major, E-flat (the flat third) in C major, G-sharp (the leading tone) in A minor.
    A spelling that would need a double accidental, or an E#/B#/Cb/Fb outside the key's own scale, falls
    back to the plain name in the key's direction (sharps in sharp keys, flats in flat keys)."""
    pc = int(pc) % 12
    minor = str(mode).lower().startswith("min")
    tonic_name = key_name(tonic, mode)
    tonic_pc = pitch_class(tonic_name)
    interval = (pc - tonic_pc) % 12
    letter = (_LETTERS.index(tonic_name[0]) + _DEGREE[interval]) % 7
    shift = (pc - _LETTER_PC[letter] + 6) % 12 - 6
    in_scale = interval in (_MINOR_SCALE if minor else _MAJOR_SCALE)
    odd = shift != 0 and _LETTERS[letter] + ("#" if shift > 0 else "b") in ("E#", "B#", "Cb", "Fb")
    if abs(shift) > 1 or (odd and not in_scale):
        flats = "b" in tonic_name or tonic_name == "F" or (minor and tonic_name in ("C", "D", "G"))
        plain = NOTE_NAMES[pc] if not flats or "#" not in NOTE_NAMES[pc] else _LETTERS[(_LETTERS.index(
            NOTE_NAMES[pc][0]) + 1) % 7] + "b"
        return plain[0] + _accidentals(plain.count("#") - plain.count("b"), unicode)
    return _LETTERS[letter] + _accidentals(shift, unicode)


def key_display(tonic: int | str | None, mode: str | None = "major") -> str:
    """The key as musicians write it: ("A#", "major") -> "B♭ major"; "" when the key is unknown."""
    if tonic is None or tonic == "":
        return ""
    mode = "minor" if str(mode or "major").lower().startswith("min") else "major"
    try:
        return f"{key_name(tonic, mode, unicode=True)} {mode}"
    except ValueError:
        return f"{tonic} {mode}"


def note_names(tonic: int | str = 0, mode: str = "major") -> tuple[str, ...]:
    """The twelve pitch classes (C first) named as they are spelled in this key."""
    return tuple(spell(pc, tonic, mode, unicode=True) for pc in range(12))
