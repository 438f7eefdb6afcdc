"""Scales and chords (pitch-class names are sonicai.music.notes)."""

from __future__ import annotations

SCALES = {"major": [0, 2, 4, 5, 7, 9, 11], "minor": [0, 2, 3, 5, 7, 8, 10]}
QUALITIES = {
    "maj": [0, 4, 7], "min": [0, 3, 7], "dim": [0, 3, 6], "aug": [0, 4, 8], "sus2": [0, 2, 7], "sus4": [0, 5, 7],
    "7": [0, 4, 7, 10], "maj7": [0, 4, 7, 11], "min7": [0, 3, 7, 10], "min7b5": [0, 3, 6, 10], "6": [0, 4, 7, 9],
    "min6": [0, 3, 7, 9], "9": [0, 4, 7, 10, 14], "maj9": [0, 4, 7, 11, 14], "min9": [0, 3, 7, 10, 14],
    "add9": [0, 4, 7, 14],
}


def chord_pitches(root: int, quality: str) -> list[int]:
    return [root + i for i in QUALITIES.get(quality, QUALITIES["maj"])]


def scale_pcs(tonic: int, mode: str) -> list[int]:
    return [(tonic + i) % 12 for i in SCALES["minor" if mode == "minor" else "major"]]


def degree_chord(tonic: int, mode: str, degree: int, seventh: bool = False) -> tuple[int, str]:
    """Diatonic chord on a scale degree (1-7): (root pitch class, quality).

    In minor the dominant (V) takes the raised leading tone, as in common practice: the
    leading tone is what tells a minor key from its relative major (A minor's G# is not in
    C major), so listeners and key detectors hear the stated tonic."""
    scale = SCALES["minor" if mode == "minor" else "major"]
    idx = (degree - 1) % 7
    root = scale[idx]
    third = (scale[(idx + 2) % 7] - root) % 12
    fifth = (scale[(idx + 4) % 7] - root) % 12
    quality = "min" if third == 3 else "maj"
    if fifth == 6:
        quality = "dim"
    if mode == "minor" and idx == 4:
        return (tonic + root) % 12, "7" if seventh else "maj"
    if seventh:
        sev = (scale[(idx + 6) % 7] - root) % 12
        quality = {("maj", 11): "maj7", ("maj", 10): "7", ("min", 10): "min7", ("dim", 10): "min7b5"}.get(
            (quality, sev), quality)
    return (tonic + root) % 12, quality
