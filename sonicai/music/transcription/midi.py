"""Note events and drum hits -> Standard MIDI Files (pretty_midi), one track per stem.

Each stem gets a General MIDI program a musician would reach for when they open the file:

====================  ==========================================  =========
stem                  program (GM, 1-based name)                  0-based
====================  ==========================================  =========
vocals                Choir Aahs (53)                             52
bass                  Electric Bass (finger) (34)                 33
guitar                Electric Guitar (clean) (28)                27
piano, other, others  Acoustic Grand Piano (1)                    0
drums                 channel 10 percussion (kick 36, snare 38,   --
                      closed hi-hat 42, tom 47)
====================  ==========================================  =========

Pitch bends follow basic-pitch's ``note_events_to_midi``: a note's bend curve is written only if no
other note of the track overlaps it (MIDI bends act on the whole channel), in 1/3-semitone steps,
4096 units per semitone (the GM default bend range of +-2 semitones), clipped to that range. Unlike
the original we return the bend to 0 when such a note ends, so the next note is not detuned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pretty_midi

from .drums import HIT_SECONDS, DrumHit
from .notes import NoteEvent

__all__ = ["STEM_PROGRAMS", "program_for_stem", "notes_to_instrument", "drums_to_instrument",
           "stem_midi", "multitrack_midi", "write_midi", "grid_tempo", "FALLBACK_TEMPO"]

STEM_PROGRAMS = {
    "vocals": 52,  # Choir Aahs
    "bass": 33,  # Electric Bass (finger)
    "guitar": 27,  # Electric Guitar (clean)
    "piano": 0,  # Acoustic Grand Piano
    "other": 0,
    "others": 0,
}
_DEFAULT_PROGRAM = 0
_BEND_UNITS_PER_BIN = 4096 / 3  # contour bins are 1/3 semitone; 4096 units = 1 semitone at +-2 range


def program_for_stem(stem: str) -> int:
    return STEM_PROGRAMS.get(stem.lower(), _DEFAULT_PROGRAM)


def _keep_bends(notes: Sequence[NoteEvent]) -> list[bool]:
    """Whether each note (in the given order) may carry its bends: it overlaps no other note."""
    order = sorted(range(len(notes)), key=lambda i: (notes[i].start, notes[i].end))
    keep = [True] * len(notes)
    for a, i in enumerate(order):
        for j in order[a + 1:]:
            if notes[j].start >= notes[i].end:
                break
            keep[i] = keep[j] = False
    return keep


def notes_to_instrument(notes: Sequence[NoteEvent], stem: str = "other", *, program: int | None = None,
                        name: str | None = None, pitch_bends: bool = True) -> pretty_midi.Instrument:
    """One melodic track; notes in time order, velocity from each note's amplitude."""
    inst = pretty_midi.Instrument(program=program_for_stem(stem) if program is None else program,
                                  name=name or stem.capitalize())
    keep = _keep_bends(notes) if pitch_bends else [False] * len(notes)
    for note, bend_ok in sorted(zip(notes, keep, strict=True), key=lambda p: (p[0].start, p[0].pitch)):
        inst.notes.append(pretty_midi.Note(velocity=max(1, min(127, note.velocity)), pitch=note.pitch,
                                           start=note.start, end=note.end))
        if not bend_ok or not note.pitch_bends:
            continue
        values = np.clip(np.round(np.array(note.pitch_bends) * _BEND_UNITS_PER_BIN), -8192, 8191).astype(int)
        times = np.linspace(note.start, note.end, len(values))
        inst.pitch_bends.extend(pretty_midi.PitchBend(int(v), float(t)) for v, t in zip(values, times, strict=True))
        inst.pitch_bends.append(pretty_midi.PitchBend(0, note.end))
    return inst


def drums_to_instrument(hits: Sequence[DrumHit], name: str = "Drums") -> pretty_midi.Instrument:
    inst = pretty_midi.Instrument(program=0, is_drum=True, name=name)
    for hit in sorted(hits, key=lambda h: (h.time, h.note)):
        inst.notes.append(pretty_midi.Note(velocity=hit.velocity, pitch=hit.note, start=hit.time,
                                           end=hit.time + HIT_SECONDS))
    return inst


def _track(stem: str, events) -> pretty_midi.Instrument:
    if stem.lower() == "drums" or (events and isinstance(events[0], DrumHit)):
        return drums_to_instrument(events, name=stem.capitalize())
    return notes_to_instrument(events, stem)


#: The tempo map of a MIDI file for a song without a steady beat (silence, rubato, a tiny clip): the notes are
#: placed in seconds either way, the tempo only draws the DAW's bar lines.
FALLBACK_TEMPO = 120.0
#: The tempi a MIDI file of ours may carry (BPM).
TEMPO_RANGE = (20.0, 400.0)


def grid_tempo(bpm: float | None) -> float:
    """The tempo to write into a MIDI file: the song's, or FALLBACK_TEMPO when none was found."""
    return float(bpm) if bpm and TEMPO_RANGE[0] <= bpm <= TEMPO_RANGE[1] else FALLBACK_TEMPO


def stem_midi(stem: str, events: Sequence[NoteEvent] | Sequence[DrumHit],
              tempo: float = 120.0, beats_per_bar: int = 4) -> pretty_midi.PrettyMIDI:
    """A one-track MIDI file for one stem (drum hits for ``drums``, notes otherwise)."""
    return multitrack_midi({stem: events}, tempo=tempo, beats_per_bar=beats_per_bar)


def multitrack_midi(stems: Mapping[str, Sequence[NoteEvent] | Sequence[DrumHit]],
                    tempo: float = 120.0, beats_per_bar: int = 4) -> pretty_midi.PrettyMIDI:
    """One track per stem, in the order given. ``tempo`` and ``beats_per_bar`` only set the file's tempo map and
    time signature (the events are placed in seconds), so pass the song's to line bars up in a DAW."""
    if not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]:
        raise ValueError(f"tempo must be between {TEMPO_RANGE[0]:g} and {TEMPO_RANGE[1]:g} BPM, got {tempo}")
    melodic = [s for s in stems if s.lower() != "drums"]
    if len(melodic) > 15:
        raise ValueError(f"a MIDI file has 15 melodic channels; got {len(melodic)} stems")
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    # Written always: without one a DAW assumes 4/4, and a waltz's bar lines fall on every fourth beat.
    pm.time_signature_changes.append(pretty_midi.TimeSignature(int(beats_per_bar), 4, 0.0))
    pm.instruments.extend(_track(stem, list(events)) for stem, events in stems.items())
    return pm


def write_midi(pm: pretty_midi.PrettyMIDI, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(path))
    return path
