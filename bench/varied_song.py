"""Songs with more variety than bench/make_stem_set.py's one band: for training the split network and
for a second, harder evaluation set.

Per song (all drawn from the seed): 4/4 or 3/4, 60-180 BPM, a major or minor diatonic progression, one of
seven drum styles on one of seven GM kits with fills and crashes, a bass line in one of seven patterns on
any GM bass, one to three accompaniment parts (sustained chords, comping, arpeggios, a low piano left hand
that sits in the bass's register, an instrumental counter-melody) on pianos, organs, guitars, strings,
brass, reeds and synths, panned; a sung line in a low or high register, sometimes with a harmony a third
above; and per-stem effects (reverb, compression, drive, EQ shelves, chorus) from pedalboard. Effects
are applied per stem, so the stems still sum to the mix.

Used by ``bench/train_split_net.py data DIR --varied`` (training, other SoundFonts) and
``bench/bench_separation.py --varied`` (evaluation, TimGM6mb).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pretty_midi

from sonicai.music.separation.stems import FOUR_STEMS
from sonicai.music.synth import render_midi
from sonicai.music.testing.stem_songs import LEVELS_DB, SR, bundled_soundfont, sung_line

KITS = [0, 8, 16, 24, 25, 32, 40]  # GM standard, room, power, electronic, TR-808, jazz, brush
BASS_PROGRAMS = [32, 33, 34, 35, 36, 37, 38, 39]
CHORD_PROGRAMS = [0, 1, 2, 4, 5, 6, 16, 17, 18, 19, 24, 25, 26, 27, 29, 30, 48, 49, 50, 61, 62, 88, 89, 90, 91,
                  94, 95]
ARP_PROGRAMS = [0, 1, 4, 6, 8, 11, 12, 24, 25, 27, 45, 46, 81, 98]
LEAD_PROGRAMS = [22, 40, 56, 57, 65, 66, 71, 73, 80, 81]
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]


def _note(inst: pretty_midi.Instrument, pitch: int, start: float, end: float, velocity: float) -> None:
    inst.notes.append(pretty_midi.Note(int(np.clip(velocity, 20, 127)), int(np.clip(pitch, 0, 127)),
                                       max(0.0, start), max(start + 0.02, end)))


def _pan(inst: pretty_midi.Instrument, value: float) -> pretty_midi.Instrument:
    inst.control_changes.append(pretty_midi.ControlChange(10, int(np.clip(value, 0, 127)), 0.0))
    return inst


def _chord(scale: list[int], degree: int, seventh: bool) -> list[int]:
    """Pitch classes (relative to the tonic) of the diatonic triad or seventh on ``degree``."""
    steps = (0, 2, 4, 6) if seventh else (0, 2, 4)
    return [scale[(degree + s) % 7] + 12 * ((degree + s) // 7) for s in steps]


def _drums(rng: np.random.Generator, bars: int, beats: int, beat: float) -> pretty_midi.Instrument:
    kit = pretty_midi.Instrument(int(rng.choice(KITS)), is_drum=True)
    style = str(rng.choice(["rock8", "rock16", "ride", "four", "half", "shuffle", "sparse"]))
    hat = int(rng.choice([42, 42, 44, 51])) if style != "ride" else 51
    human = rng.uniform(0.0, 0.012)

    def hit(pitch: int, at: float, vel: float, length: float = 0.08) -> None:
        _note(kit, pitch, at + rng.normal(0, human), at + length, vel + rng.normal(0, 8))

    for bar in range(bars):
        t0 = bar * beats * beat
        fill = bar % 4 == 3 and rng.random() < 0.6
        if bar % 4 == 0 and rng.random() < 0.7:
            hit(int(rng.choice([49, 57])), t0, 105, 1.0)
        for b in range(beats):
            t = t0 + b * beat
            if fill and b >= beats - 1:
                toms = rng.choice([50, 48, 47, 45, 43, 41], size=4)
                for k, tom in enumerate(toms):
                    hit(int(tom), t + k * beat / 4, 100)
                continue
            if style in ("rock8", "half", "sparse"):
                for k in range(2):
                    hit(hat, t + k * beat / 2, 85 if k == 0 else 65)
            elif style == "rock16":
                for k in range(4):
                    hit(hat, t + k * beat / 4, 80 if k % 2 == 0 else 55)
            elif style == "ride":
                hit(51, t, 80)
                hit(51, t + 2 * beat / 3, 60)
            elif style == "four":
                hit(36, t, 115)
                hit(46, t + beat / 2, 75, 0.15)
            elif style == "shuffle":
                hit(hat, t, 85)
                hit(hat, t + 2 * beat / 3, 65)
            backbeat = (b == 2) if style == "half" else (b % 2 == 1 if beats == 4 else b > 0)
            if backbeat and style != "sparse":
                hit(int(rng.choice([38, 38, 40, 39])), t, 105)
            if style not in ("four",) and (b == 0 or (b == 2 and beats == 4 and rng.random() < 0.6)):
                hit(36, t, 112)
            if style not in ("four", "half") and rng.random() < 0.25:
                hit(36, t + beat / 2 + (beat / 4 if rng.random() < 0.5 else 0), 100)
    return kit


def _bass(rng: np.random.Generator, roots: list[int], bars: int, beats: int, beat: float,
          fifths: list[int]) -> pretty_midi.Instrument:
    bass = pretty_midi.Instrument(int(rng.choice(BASS_PROGRAMS)))
    pattern = str(rng.choice(["quarters", "eighths", "root5", "octaves", "synco", "walk", "whole"]))
    legato = rng.uniform(0.5, 0.95)
    base = int(rng.integers(28, 41))
    for bar in range(bars):
        t0 = bar * beats * beat
        root = base + (roots[bar % len(roots)] - base) % 12
        fifth = root + fifths[bar % len(fifths)]
        if pattern == "whole":
            hits = [(0.0, beats, root)]
        elif pattern == "quarters":
            hits = [(b, 1, root) for b in range(beats)]
        elif pattern == "eighths":
            hits = [(k / 2, 0.5, root) for k in range(2 * beats)]
        elif pattern == "root5":
            hits = [(b, 1, root if b % 2 == 0 else fifth) for b in range(beats)]
        elif pattern == "octaves":
            hits = [(k / 2, 0.5, root + 12 * (k % 2)) for k in range(2 * beats)]
        elif pattern == "synco":
            hits = [(0.0, 0.75, root), (0.75, 0.75, root), (1.5, 1.0, fifth)] + (
                [(2.5, 0.5, root + 12), (3.0, 1.0, root)] if beats == 4 else [(2.5, 0.5, root)])
        else:  # walking: chord tones with a chromatic approach to the next root
            nxt = base + (roots[(bar + 1) % len(roots)] - base) % 12
            walk = [root, root + int(rng.choice([3, 4])), fifth, nxt + int(rng.choice([-1, 1]))]
            hits = [(b, 1, walk[b % 4]) for b in range(beats)]
        for start, dur, pitch in hits:
            _note(bass, pitch, t0 + start * beat, t0 + (start + dur * legato) * beat, rng.uniform(80, 115))
    return _pan(bass, 64 + rng.normal(0, 4))


def _accompaniment(rng: np.random.Generator, chords: list[list[int]], tonic: int, bars: int, beats: int,
                   beat: float, scale: list[int]) -> list[pretty_midi.Instrument]:
    parts = []
    kinds = list(rng.choice(["pad", "comp", "arp", "lefthand", "lead"], size=int(rng.integers(1, 4)), replace=False))
    if not {"pad", "comp", "lefthand"} & set(kinds):
        kinds.append(str(rng.choice(["pad", "comp"])))
    for kind in kinds:
        program = int(rng.choice({"pad": CHORD_PROGRAMS, "comp": CHORD_PROGRAMS, "arp": ARP_PROGRAMS,
                                  "lefthand": [0, 1, 2, 4, 5], "lead": LEAD_PROGRAMS}[kind]))
        inst = pretty_midi.Instrument(program)
        low = int(rng.integers(52, 62)) if kind != "lead" else int(rng.integers(62, 74))
        step = float(rng.choice([0.5, 0.25]))  # arpeggio note length in beats
        for bar in range(bars):
            t0 = bar * beats * beat
            pcs = chords[bar % len(chords)]
            voiced = [low + (tonic + pc - low) % 12 for pc in pcs]
            if kind == "pad":
                for p in voiced:
                    _note(inst, p, t0, t0 + (beats - 0.1) * beat, 70)
            elif kind == "comp":
                offs = [0.0, 1.5, 2.5] if beats == 4 else [0.0, 1.0, 2.0]
                if rng.random() < 0.5:
                    offs = [k / 2 for k in range(2 * beats)]
                for off in offs:
                    for p in voiced:
                        _note(inst, p, t0 + off * beat, t0 + (off + 0.45) * beat, rng.uniform(60, 95))
            elif kind == "arp":
                tones = voiced + [voiced[0] + 12]
                for k in range(int(beats / step)):
                    _note(inst, tones[k % len(tones)] + 12, t0 + k * step * beat, t0 + (k + 0.9) * step * beat, 65)
            elif kind == "lefthand":
                root = 36 + (tonic + pcs[0] - 36) % 12
                for b in range(0, beats, 2 if beats == 4 else 3):
                    _note(inst, root, t0 + b * beat, t0 + (b + 1.8) * beat, 75)
                    _note(inst, root + 7, t0 + (b + 1) * beat, t0 + (b + 1.8) * beat, 60)
                for p in voiced:
                    _note(inst, p, t0, t0 + (beats - 0.2) * beat, 65)
            else:  # an instrumental line answering the singer, in the bars the singer rests
                if bar % 4 >= 2:
                    t = 0.0
                    while t < beats:
                        dur = float(rng.choice([0.5, 1.0, 1.5]))
                        pitch = low + (tonic + scale[int(rng.integers(7))] - low) % 12
                        _note(inst, pitch, t0 + t * beat, t0 + (t + 0.9 * dur) * beat, rng.uniform(70, 100))
                        t += dur
        parts.append(_pan(inst, rng.uniform(20, 108)))
    return parts


def _melody(rng: np.random.Generator, chords: list[list[int]], tonic: int, scale: list[int], bars: int,
            beats: int, beat: float) -> list[tuple[float, float, int]]:
    """(start, duration, pitch) of a stepwise sung line; the singer rests in bars 3 and 4 of 4 half the time."""
    centre = int(rng.choice([52, 57, 62, 67]))
    rests = rng.random() < 0.5
    degree = 0
    notes = []
    for bar in range(bars):
        if rests and bar % 4 >= 2 or rng.random() < 0.1:
            continue
        t = float(rng.choice([0.0, 0.5]))
        while t < beats - 0.25:
            dur = float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5, 2.0]))
            if rng.random() < 0.4:  # land on a chord tone
                degree = int(rng.choice([scale.index(pc % 12) for pc in chords[bar % len(chords)] if pc % 12 in scale]))
            else:
                degree += int(rng.choice([-2, -1, -1, 1, 1, 2]))
            pitch = centre + tonic % 12 + scale[degree % 7] + 12 * (degree // 7)
            while pitch > centre + 14:
                pitch -= 12
                degree -= 7
            while pitch < centre - 5:
                pitch += 12
                degree += 7
            notes.append((t * beat + bar * beats * beat, 0.92 * min(dur, beats - t) * beat, pitch))
            t += dur
    return notes


def _effects(rng: np.random.Generator, name: str) -> pedalboard.Pedalboard:
    chain = []
    if rng.random() < 0.5:
        chain.append(pedalboard.LowShelfFilter(cutoff_frequency_hz=float(rng.uniform(100, 300)),
                                               gain_db=float(rng.uniform(-5, 5))))
    if rng.random() < 0.5:
        chain.append(pedalboard.HighShelfFilter(cutoff_frequency_hz=float(rng.uniform(2000, 8000)),
                                                gain_db=float(rng.uniform(-6, 5))))
    if name == "bass" and rng.random() < 0.25:
        chain.append(pedalboard.Distortion(drive_db=float(rng.uniform(4, 16))))
    if name == "other" and rng.random() < 0.25:
        chain.append(pedalboard.Chorus(mix=float(rng.uniform(0.2, 0.5))))
    if rng.random() < 0.5:
        chain.append(pedalboard.Compressor(threshold_db=float(rng.uniform(-24, -10)), ratio=float(rng.uniform(2, 6))))
    if name in ("vocals", "other") and rng.random() < 0.7 or name == "drums" and rng.random() < 0.3:
        chain.append(pedalboard.Reverb(room_size=float(rng.uniform(0.2, 0.8)), wet_level=float(rng.uniform(0.08, 0.3)),
                                       dry_level=1.0))
    return pedalboard.Pedalboard(chain)


def make_varied_song(seed: int, seconds: float = 20.0, soundfont: Path | None = None,
                     level_jitter_db: float = 4.0) -> dict[str, np.ndarray]:
    """The four stems (2, n) float32 of varied song ``seed``; their sum is the mix."""
    rng = np.random.default_rng(seed)
    soundfont = soundfont or bundled_soundfont()
    beats = 3 if rng.random() < 0.2 else 4
    tempo = float(rng.uniform(60, 180))
    beat = 60 / tempo
    tonic = int(rng.integers(0, 12))
    scale = MINOR if rng.random() < 0.4 else MAJOR
    degrees = [0] + [int(d) for d in rng.choice([1, 2, 3, 4, 5, 6], size=int(rng.choice([1, 3, 3, 7])))]
    sevenths = rng.random() < 0.3
    chords = [_chord(scale, d, sevenths) for d in degrees]
    bars = int(seconds / (beats * beat)) + 1
    roots = [tonic + c[0] for c in chords]
    fifths = [c[2] - c[0] for c in chords]
    drums = _drums(rng, bars, beats, beat)
    bass = _bass(rng, roots, bars, beats, beat, fifths)
    others = _accompaniment(rng, chords, tonic, bars, beats, beat, scale)
    lead = _melody(rng, chords, tonic, scale, bars, beats, beat)
    n = int(seconds * SR)
    stems: dict[str, np.ndarray] = {}
    for name, instruments in {"drums": [drums], "bass": [bass], "other": others}.items():
        pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
        pm.instruments.extend(instruments)
        audio = render_midi(pm, SR, soundfont=soundfont, duration=seconds)[:, :n]
        stems[name] = np.pad(audio, ((0, 0), (0, n - audio.shape[1])))
    v = sung_line(lead, n, rng)
    if rng.random() < 0.3:  # a harmony a diatonic third above, quieter
        harmony = [(s, d, p + (3 if (p - tonic + 3) % 12 in scale else 4)) for s, d, p in lead]
        v = v + 0.5 * sung_line(harmony, n, rng)
    pan = rng.uniform(0.85, 1.0)
    stems["vocals"] = np.stack([v * pan, v * (1.85 - pan)])
    if rng.random() < 0.5:
        choir = pretty_midi.Instrument(int(rng.choice([52, 53, 54])))
        for s, d, p in lead:
            _note(choir, p, s, s + d, 50)
        pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
        pm.instruments.append(choir)
        c = render_midi(pm, SR, soundfont=soundfont, duration=seconds)[:, :n]
        c = np.pad(c, ((0, 0), (0, n - c.shape[1])))
        stems["vocals"] = stems["vocals"] + c / (np.sqrt(np.mean(c**2)) + 1e-9) * np.sqrt(np.mean(v**2)) * 0.3
    for name, level in LEVELS_DB.items():
        audio = _effects(rng, name)(stems[name].astype(np.float32), SR)
        level += float(rng.uniform(-level_jitter_db, level_jitter_db))
        rms = np.sqrt(np.mean(audio**2)) + 1e-9
        stems[name] = (audio / rms * 10 ** (level / 20)).astype(np.float32)
    return {name: stems[name] for name in FOUR_STEMS}
