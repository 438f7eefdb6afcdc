"""The chord track the analysis stores: chords on the beats, spelled in the song's key."""

import numpy as np
import pytest

from sonicai.music.analysis.chords import chord_symbol, chord_track, spelled_label
from sonicai.music.notes import key_name, spell
from sonicai.music.testing.signals import chord_progression

SR = 44100


@pytest.mark.parametrize("pc, key, mode, name", [
    (10, "F", "major", "Bb"),   # the subdominant of F is B-flat, never A#
    (6, "D", "major", "F#"),
    (3, "C", "major", "Eb"),    # the borrowed flat third
    (8, "A", "minor", "G#"),    # the leading tone of A minor
    (10, "G", "major", "Bb"),   # flat III in G
    (1, "A", "minor", "C#"),    # the major third of the A major chord in A minor
    (11, "F", "major", "B"),    # sharp four, not C-flat
    (0, "F#", "major", "C"),    # not B-sharp outside the scale
    (5, "F#", "major", "E#"),   # but the leading tone of F# major is E#
])
def test_notes_are_spelled_by_their_degree_in_the_key(pc, key, mode, name):
    assert spell(pc, key, mode) == name


def test_key_names_and_chord_symbols_read_as_musicians_write_them():
    assert key_name("A#", "major") == "Bb" and key_name(10, "major", unicode=True) == "B♭"
    assert key_name("D#", "minor") == "Eb" and key_name("G#", "minor") == "G#"
    assert chord_symbol(10, "min7", "F", "major") == "B♭m7"
    assert chord_symbol(10, "maj", "F", "major", unicode=False) == "Bb"
    assert chord_symbol(-1, "N", "F", "major") == "N.C."
    assert spelled_label(10, "maj", 5, "major") == "Bb:maj"


def test_chord_track_follows_the_beats_and_spells_in_the_key():
    # I - IV - V - I in F major, two beats per chord at 100 BPM.
    audio, reference = chord_progression([(5, "maj"), (10, "maj"), (0, "maj"), (5, "maj")], bpm=100, sr=SR,
                                         beats_per_chord=2)
    beats = np.arange(0.6, audio.shape[1] / SR, 0.6)
    track = chord_track(audio.mean(axis=0), SR, beats, "F", "major")
    grid = set(np.round(np.concatenate([[0.0], beats, [audio.shape[1] / SR]]), 3))
    assert all(round(c["start"], 3) in grid and round(c["end"], 3) in grid for c in track)
    assert track[0]["start"] == 0.0 and track[-1]["end"] == pytest.approx(audio.shape[1] / SR, abs=1e-3)
    # The B-flat chord (1.2 s to 2.4 s) comes out spelled as B-flat, in both forms.
    middle = next(c for c in track if c["start"] <= 1.8 < c["end"])
    assert (middle["root"], middle["label"], middle["symbol"]) == (10, "Bb:maj", "B♭")
    assert {"start", "end", "root", "quality", "label", "symbol"} <= set(track[0])


def test_too_short_audio_has_no_chords():
    assert chord_track(np.zeros(1000, dtype=np.float32), SR, None, "C", "major") == []


def test_beats_in_the_last_hop_do_not_break_the_track():
    # A pure tone: beats right up to the end (inside the final constant-Q hop) still give finite chords.
    t = np.arange(int(3.0 * SR)) / SR
    y = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    track = chord_track(y, SR, np.array([0.5, 1.0, 1.5, 2.0, 2.5, 2.98, 2.995]), "A", "major")
    assert track and track[-1]["end"] == pytest.approx(3.0)
