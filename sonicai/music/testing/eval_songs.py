"""Labelled synthetic songs for tempo, beat and key estimation (the tests' signals; ``bench/make_eval_set.py``
writes a whole set to disk).

No real music corpus is available offline, so we compose short multi-instrument
pieces from rules (drum patterns per style, diatonic chord progressions, a melody)
and render them with the General MIDI SoundFont that ships with pretty_midi through
tinysoundfont. Every piece knows its true tempo, beat times, tonic and mode.

Styles cover what makes tempo and key hard on real music: four-on-the-floor,
back-beat rock, swung 16th hip-hop at slow tempi (half/double ambiguity), syncopated
funk, weak kicks, waltzes (3:1 ambiguity), and drum-less piano or guitar pieces.

The set is deterministic for a given seed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from sonicai.music.notes import NOTE_NAMES

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
DRUM_CH = 9
#: CC7 volume per channel (0 chords, 1 bass, 2 melody, 9 drums).
MIX_VOLUME = {0: 80, 1: 90, 2: 95, DRUM_CH: 127}
KICK, SNARE, CLAP, HAT, OPEN_HAT, RIDE, CRASH, SIDESTICK = 36, 38, 39, 42, 46, 51, 49, 37

# Scale-degree progressions (0-based degrees). "V" in minor is raised to major when
# harmonic=True, as real minor-key music usually does at cadences.
PROGRESSIONS = {
    "major": [[0, 4, 5, 3], [0, 3, 4, 0], [1, 4, 0, 0], [0, 5, 3, 4], [0, 3, 0, 4]],
    "minor": [[0, 5, 2, 6], [0, 3, 4, 0], [0, 6, 5, 4], [0, 3, 6, 2], [0, 5, 3, 4]],
}

STYLES = ["rock", "edm", "hiphop", "funk", "piano", "guitar", "waltz", "weak_kick"]
TEMPO_RANGE = {
    "rock": (90, 150), "edm": (118, 150), "hiphop": (68, 98), "funk": (92, 125),
    "piano": (68, 130), "guitar": (75, 140), "waltz": (85, 150), "weak_kick": (70, 140),
}


def soundfont_path() -> str:
    import pretty_midi

    return os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")


@dataclass
class Note:
    start: float
    end: float
    chan: int
    pitch: int
    vel: int


@dataclass
class Piece:
    name: str
    style: str
    bpm: float
    tonic: str
    mode: str
    beats: list[float]
    notes: list[Note] = field(default_factory=list)
    programs: dict[int, int] = field(default_factory=dict)
    duration: float = 30.0
    volumes: dict[int, int] = field(default_factory=lambda: dict(MIX_VOLUME))


def render(notes: list[Note], programs: dict[int, int], duration: float, sr: int = 22050,
           volumes: dict[int, int] | None = None) -> np.ndarray:
    """Render notes to float32 stereo (2, n) through tinysoundfont, sample-accurately."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sr, gain=-6)
    sfid = synth.sfload(soundfont_path())
    for chan, prog in programs.items():
        if chan == DRUM_CH:
            synth.program_select(chan, sfid, 128, prog, is_drums=True)
        else:
            synth.program_select(chan, sfid, 0, prog)
        # Channel volume (CC7): produced music keeps drums in front of bass and harmony.
        synth.control_change(chan, 7, (volumes or MIX_VOLUME).get(chan, 90))
    events = []
    for n in notes:
        events.append((int(n.start * sr), 1, n.chan, n.pitch, n.vel))
        events.append((int(n.end * sr), 0, n.chan, n.pitch, 0))
    events.sort(key=lambda e: (e[0], e[1]))
    total = int(duration * sr)
    out = np.zeros((total, 2), dtype=np.float32)
    pos = 0
    for t, kind, chan, pitch, vel in events:
        t = min(t, total)
        if t > pos:
            out[pos:t] = np.frombuffer(synth.generate(t - pos), dtype=np.float32).reshape(-1, 2)
            pos = t
        if kind:
            synth.noteon(chan, pitch, vel)
        else:
            synth.noteoff(chan, pitch)
    if pos < total:
        out[pos:] = np.frombuffer(synth.generate(total - pos), dtype=np.float32).reshape(-1, 2)
    peak = float(np.abs(out).max()) or 1.0
    return (out.T / peak * 0.8).astype(np.float32)



def chord_loop(tonic: int, chords: list[list[int]], seconds_per_chord: float, loops: int, sr: int = 22050,
               velocities: tuple[int, int] = (90, 80), programs: tuple[int, int] = (0, 33)) -> np.ndarray:
    """Mono render of ``chords`` (semitones above the pitch class ``tonic``) played ``loops`` times: each chord
    on channel 0 with its root an octave or two below in a bass on channel 1 (``velocities`` and GM
    ``programs`` for the two), the key tests' material."""
    notes, start = [], 0.1
    for _ in range(loops):
        for ch in chords:
            end = start + seconds_per_chord * 0.95
            notes += [Note(start, end, 0, 60 + (tonic + p) % 24, velocities[0]) for p in ch]
            notes.append(Note(start, end, 1, 36 + (tonic + ch[0]) % 12, velocities[1]))
            start += seconds_per_chord
    return render(notes, {0: programs[0], 1: programs[1]}, start + 0.5, sr).mean(axis=0)

def _chord(tonic: int, scale: list[int], degree: int, mode: str, harmonic: bool, seventh: bool) -> list[int]:
    """Pitch classes (as semitone offsets from C) of the diatonic chord on ``degree``."""
    idx = [degree, degree + 2, degree + 4] + ([degree + 6] if seventh else [])
    pcs = [scale[i % 7] + 12 * (i // 7) for i in idx]
    if mode == "minor" and harmonic and degree == 4:
        pcs[1] += 1  # raised leading tone makes V major
    return [tonic + p for p in pcs]


def compose(idx: int, style: str, tonic: int, mode: str, rng: np.random.Generator, duration: float) -> Piece:
    lo, hi = TEMPO_RANGE[style]
    bpm = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    bpm = round(bpm, 1)
    spb = 60.0 / bpm
    meter = 3 if style == "waltz" else 4
    start = float(rng.uniform(0.2, 0.8))
    n_beats = int((duration - start - 0.5) / spb)
    n_bars = n_beats // meter
    beats = [start + i * spb for i in range(n_bars * meter)]
    swing = float(rng.choice([0.0, 0.0, 0.12, 0.2])) if style in ("hiphop", "funk", "rock") else 0.0
    scale = MAJOR if mode == "major" else MINOR
    prog = PROGRESSIONS[mode][int(rng.integers(len(PROGRESSIONS[mode])))]
    harmonic = bool(rng.random() < 0.6)
    seventh = style in ("hiphop", "funk") or bool(rng.random() < 0.2)
    jitter = 0.008 if style in ("piano", "guitar", "waltz") else 0.003
    notes: list[Note] = []

    def at(bar: int, beat_pos: float) -> float:
        """Time of a position in beats within a bar, with swing on off-16ths/8ths."""
        frac = beat_pos % 0.5
        if swing and abs(frac - 0.25) < 1e-6:
            beat_pos += swing * 0.25 * 2
        return start + (bar * meter + beat_pos) * spb + float(rng.normal(0, jitter))

    def add(t: float, length: float, chan: int, pitch: int, vel: float) -> None:
        t = max(t, 0.0)
        notes.append(Note(t, t + max(length, 0.05), chan, int(pitch), int(np.clip(vel + rng.normal(0, 6), 10, 127))))

    programs: dict[int, int] = {}
    drums = style not in ("piano", "guitar", "waltz")
    if drums:
        programs[DRUM_CH] = 0
    # Instruments per style: (chord program, bass program, melody program or None).
    inst = {
        "rock": (int(rng.choice([29, 25, 0])), 33, int(rng.choice([30, 65, 73]))),
        "edm": (int(rng.choice([89, 90, 81])), 38, int(rng.choice([80, 81]))),
        "hiphop": (int(rng.choice([4, 0, 5])), int(rng.choice([33, 38])), int(rng.choice([11, 73, 80]))),
        "funk": (int(rng.choice([7, 4, 27])), int(rng.choice([36, 37])), int(rng.choice([61, 65]))),
        "piano": (0, 0, 0),
        "guitar": (int(rng.choice([24, 25])), int(rng.choice([24, 25])), 24),
        "waltz": (int(rng.choice([0, 48, 24])), int(rng.choice([0, 42, 32])), int(rng.choice([0, 73, 40]))),
        "weak_kick": (int(rng.choice([0, 4, 25])), int(rng.choice([33, 32])), int(rng.choice([73, 11]))),
    }[style]
    programs[0], programs[1] = inst[0], inst[1]
    use_melody = bool(rng.random() < 0.7)
    if use_melody:
        programs[2] = inst[2]
    base = 48 + tonic if tonic < 7 else 36 + tonic

    for bar in range(n_bars):
        degree = prog[bar % len(prog)]
        # A closing cadence on the tonic, as most real pieces end there.
        if bar == n_bars - 1:
            degree = 0
        chord = _chord(base, scale, degree, mode, harmonic, seventh)
        root = chord[0] - 12
        bar_len = meter * spb
        # Harmony.
        if style in ("rock", "weak_kick"):
            for b in range(meter):
                for p in chord[:3]:
                    add(at(bar, b), spb * 0.9, 0, p + 12, 70)
        elif style == "edm":
            for p in chord:
                add(at(bar, 0), bar_len * 0.98, 0, p + 12, 60)
        elif style in ("hiphop", "funk"):
            hits = [0, 1.5, 2.75] if style == "hiphop" else [0.5, 1.25, 2.5, 3.25, 3.75]
            for h in hits:
                for p in chord:
                    add(at(bar, h), spb * 0.6, 0, p + 12, 68)
        elif style == "piano":
            pattern = [0, 2, 1, 2] if rng.random() < 0.5 else [0, 1, 2, 1]
            for i in range(meter * 2):
                p = chord[pattern[i % 4] % len(chord)] + 12
                add(at(bar, i * 0.5), spb * 0.9, 0, p, 72 if i % 2 == 0 else 60)
        elif style == "guitar":
            strum = [(0, 85), (1, 70), (1.5, 60), (2.5, 62), (3, 72), (3.5, 60)]
            for pos, v in strum:
                for k, p in enumerate(chord[:3]):
                    add(at(bar, pos) + 0.012 * k, spb * 0.8, 0, p + 12, v)
        elif style == "waltz":
            for b in (1, 2):
                for p in chord[:3]:
                    add(at(bar, b), spb * 0.7, 0, p + 12, 62)
        # Bass.
        if style == "edm":
            for i in range(meter):
                add(at(bar, i + 0.5), spb * 0.4, 1, root, 95)
        elif style == "funk":
            for pos in (0, 0.75, 1.5, 2.0, 2.75, 3.5):
                add(at(bar, pos), spb * 0.3, 1, root + (12 if pos in (0.75, 2.75) else 0), 95)
        elif style == "hiphop":
            for pos in (0, 1.75, 2.5):
                add(at(bar, pos), spb * 0.7, 1, root, 100)
        elif style == "waltz":
            add(at(bar, 0), spb * 0.9, 1, root, 90)
        elif style in ("piano", "guitar"):
            add(at(bar, 0), spb * 1.8, 1, root, 85)
            add(at(bar, 2), spb * 1.8, 1, root + 7 if rng.random() < 0.5 else root, 75)
        else:
            for i in range(meter * 2):
                add(at(bar, i * 0.5), spb * 0.45, 1, root, 92)
        # Melody: chord tones on strong positions, scale notes elsewhere, tonic at the end.
        if use_melody:
            n_mel = int(rng.integers(2, meter + 2))
            positions = sorted(rng.choice(np.arange(meter * 2) * 0.5, size=n_mel, replace=False))
            for pos in positions:
                if bar == n_bars - 1:
                    pc = tonic
                elif pos == int(pos):
                    pc = chord[int(rng.integers(3))]
                else:
                    pc = tonic + scale[int(rng.integers(7))]
                add(at(bar, float(pos)), spb * 0.45, 2, 72 + (pc - 72) % 12, 80)
        # Drums.
        if drums:
            if style == "edm":
                for b in range(meter):
                    add(at(bar, b), 0.1, DRUM_CH, KICK, 120)
                    add(at(bar, b + 0.5), 0.1, DRUM_CH, OPEN_HAT, 75)
                for b in (1, 3):
                    add(at(bar, b), 0.1, DRUM_CH, CLAP, 100)
            elif style == "rock":
                for pos in (0, 2, 2.5) if rng.random() < 0.5 else (0, 2):
                    add(at(bar, pos), 0.1, DRUM_CH, KICK, 115)
                for b in (1, 3):
                    add(at(bar, b), 0.1, DRUM_CH, SNARE, 110)
                for i in range(meter * 2):
                    add(at(bar, i * 0.5), 0.05, DRUM_CH, HAT, 70 if i % 2 == 0 else 55)
            elif style == "hiphop":
                for pos in (0, 0.75, 2.5):
                    add(at(bar, pos), 0.1, DRUM_CH, KICK, 118)
                for b in (1, 3):
                    add(at(bar, b), 0.1, DRUM_CH, SNARE, 112)
                for i in range(meter * 4):
                    add(at(bar, i * 0.25), 0.05, DRUM_CH, HAT, 62 if i % 2 == 0 else 45)
            elif style == "funk":
                for pos in (0, 0.75, 2.25, 2.5):
                    add(at(bar, pos), 0.1, DRUM_CH, KICK, 110)
                for b in (1, 3):
                    add(at(bar, b), 0.1, DRUM_CH, SNARE, 108)
                add(at(bar, 3.75), 0.1, DRUM_CH, SNARE, 55)
                for i in range(meter * 4):
                    add(at(bar, i * 0.25), 0.05, DRUM_CH, HAT, 60 if i % 2 == 0 else 42)
            elif style == "weak_kick":
                add(at(bar, 0), 0.1, DRUM_CH, KICK, 35)
                add(at(bar, 2), 0.1, DRUM_CH, SIDESTICK, 45)
                for i in range(meter * 4):
                    add(at(bar, i * 0.25), 0.05, DRUM_CH, RIDE if i % 4 == 0 else HAT, 70 if i % 2 == 0 else 50)
            if bar % 8 == 0:
                add(at(bar, 0), 0.5, DRUM_CH, CRASH, 85)
    name = f"{idx:03d}_{style}_{NOTE_NAMES[tonic]}{'m' if mode == 'minor' else ''}_{bpm:g}"
    return Piece(name, style, bpm, NOTE_NAMES[tonic], mode, beats, notes, programs, duration)


def make_set(n: int = 48, seed: int = 7, duration: float = 30.0, random_mix: bool = False) -> list[Piece]:
    """Compose ``n`` pieces: every tonic and mode, every style, log-uniform tempi.

    ``random_mix`` draws each channel's volume per piece (drums 70-127, bass 60-120,
    harmony 50-110, melody 60-120): a harder set where drums may sit behind the bass.
    """
    rng = np.random.default_rng(seed)
    pieces = []
    for i in range(n):
        tonic = i % 12
        mode = "major" if (i // 12) % 2 == 0 else "minor"
        style = STYLES[(i * 5 + i // 8) % len(STYLES)]
        piece = compose(i, style, tonic, mode, rng, duration)
        if random_mix:
            piece.volumes = {0: int(rng.integers(50, 111)), 1: int(rng.integers(60, 121)),
                             2: int(rng.integers(60, 121)), DRUM_CH: int(rng.integers(70, 128))}
        pieces.append(piece)
    return pieces
