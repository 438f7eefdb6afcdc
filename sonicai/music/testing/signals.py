"""Reproducible musical test signals (drum loops, chord progressions) for tests, benchmarks and demos.

Rendered with the General MIDI soundfont bundled with pretty_midi (TimGM6mb.sf2) through tinysoundfont,
so the material has real instrument timbres and known ground truth (tempo, chords, key).
"""

from __future__ import annotations

import os

import numpy as np

from sonicai.music.analysis.chords import QUALITIES, chord_label


def soundfont_path() -> str:
    import pretty_midi

    path = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
    if not os.path.exists(path):
        raise FileNotFoundError(f"General MIDI soundfont not found at {path} (ships with pretty_midi)")
    return path


def render_notes(notes: list[tuple[float, float, int, int, int, bool]], seconds: float, sr: int = 44100,
                 programs: dict[int, int] | None = None) -> np.ndarray:
    """Render ``(start, end, pitch, velocity, channel, is_drum)`` notes to float32 (2, n) audio."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sr, gain=-6.0)
    sfid = synth.sfload(soundfont_path())
    for chan in {n[4] for n in notes}:
        is_drum = any(n[5] for n in notes if n[4] == chan)
        synth.program_select(chan, sfid, 128 if is_drum else 0, 0 if is_drum else (programs or {}).get(chan, 0),
                             is_drums=is_drum)
    events = sorted([(s, 1, p, v, c) for s, e, p, v, c, _ in notes] + [(e, 0, p, 0, c) for s, e, p, v, c, _ in notes])
    total = int(round(seconds * sr))
    out = np.zeros((total, 2), dtype=np.float32)
    pos = 0
    for t, on, pitch, vel, chan in events + [(seconds, -1, 0, 0, 0)]:
        at = min(total, int(round(t * sr)))
        if at > pos:
            out[pos:at] = np.frombuffer(synth.generate(at - pos), dtype=np.float32).reshape(-1, 2)
            pos = at
        if on == 1:
            synth.noteon(chan, pitch, vel)
        elif on == 0:
            synth.noteoff(chan, pitch)
    return np.ascontiguousarray(out.T)


def drum_loop(bpm: float, seconds: float, sr: int = 44100) -> np.ndarray:
    """A rock beat (kick on 1 and 3, snare on 2 and 4, eighth-note hats) at ``bpm``."""
    beat = 60.0 / bpm
    notes = []
    for i in range(int(seconds / beat * 2) + 1):
        t = i * beat / 2
        if t >= seconds:
            break
        notes.append((t, t + 0.1, 42, 80, 9, True))
        if i % 4 == 0:
            notes.append((t, t + 0.1, 36, 120, 9, True))
        if i % 4 == 2:
            notes.append((t, t + 0.1, 38, 110, 9, True))
    return render_notes(notes, seconds, sr)


def chord_progression(
    chords: list[tuple[int, str]], bpm: float = 100.0, beats_per_chord: int = 4, sr: int = 44100,
    drums: bool = True, bass: bool = True, program: int = 0, repeat: int = 1,
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Render ``[(root pitch class, quality), ...]`` as piano (or ``program``) chords with bass and drums.

    Returns the audio and the reference annotation ``[(start, end, 'C:maj'), ...]``.
    """
    beat = 60.0 / bpm
    notes = []
    ref = []
    t = 0.0
    for root, quality in chords * repeat:
        dur = beats_per_chord * beat
        base = 48 + root  # chord voiced from C3 upward
        for iv in QUALITIES[quality]:
            notes.append((t, t + dur - 0.02, base + iv, 85, 0, False))
        if bass:
            for b in range(beats_per_chord):
                notes.append((t + b * beat, t + (b + 0.9) * beat, 36 + root, 100, 1, False))
        ref.append((t, t + dur, chord_label(root, quality)))
        t += dur
    seconds = t + 0.5
    if drums:
        for i in range(int(t / beat)):
            notes.append((i * beat, i * beat + 0.1, 36 if i % 2 == 0 else 38, 100, 9, True))
            notes.append((i * beat + beat / 2, i * beat + beat / 2 + 0.05, 42, 70, 9, True))
    return render_notes(notes, seconds, sr, programs={0: program, 1: 33}), ref
