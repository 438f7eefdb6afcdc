"""Writing an arrangement: drums, bass, harmony, pad and melody over a chord progression.

All times are in beats on a fixed grid (beat ``b`` sounds at ``b * 60 / tempo``
seconds), so another engine (the genre remix) can lay audio on the same grid.
Randomness comes only from a seeded numpy Generator: the same inputs give the same
notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from .styles import CRASH, KICK, SNARE, STYLES, Style
from .theory import QUALITIES, chord_pitches, degree_chord, scale_pcs

BEATS_PER_BAR = 4


@dataclass(frozen=True)
class ChordEvent:
    start_beat: float
    beats: float
    root: int  # pitch class 0-11
    quality: str  # maj, min, 7, maj7, min7, dim, sus4, ...


@dataclass(frozen=True)
class Section:
    name: str  # intro | verse | chorus | bridge | outro
    start_beat: float
    beats: float
    intensity: float  # 0..1


def default_sections(total_beats: float) -> list[Section]:
    """Intro / verse / chorus / (verse / chorus / bridge) / outro, in whole bars, scaled to the length."""
    bars = max(1, int(np.ceil(total_beats / BEATS_PER_BAR)))
    if bars < 6:
        plan = [("verse", bars)]
    else:
        intro = outro = 1 if bars < 16 else 2
        body = bars - intro - outro
        if body <= 8:
            parts = [("verse", body // 2), ("chorus", body - body // 2)]
        else:
            unit = max(2, body // 5)
            parts = [("verse", unit), ("chorus", unit), ("verse", unit), ("chorus", unit)]
            rest = body - 4 * unit
            if rest >= 2:
                parts.insert(3, ("bridge", rest))
            else:
                parts[-1] = ("chorus", unit + rest)
        plan = [("intro", intro), *parts, ("outro", outro)]
    level = {"intro": 0.35, "verse": 0.5, "chorus": 0.85, "bridge": 0.6, "outro": 0.3}
    sections, beat = [], 0.0
    for name, n in plan:
        if n <= 0:
            continue
        sections.append(Section(name, beat, n * BEATS_PER_BAR, level[name]))
        beat += n * BEATS_PER_BAR
    return sections


def progression_for(style: str, mode: str, mood: str | None, key_tonic: int, bars: int, seed: int,
                    chords_per_bar: int = 1, hold_last_bar: bool = False) -> list[ChordEvent]:
    """A diatonic progression for the style and mood, starting and ending on the tonic. ``hold_last_bar``: the
    cadence lands a bar early and the tonic holds through the last bar (a bar the piece's end cuts short)."""
    st = STYLES[style]
    rng = np.random.default_rng(seed)
    options = st.progressions.get(mode) or st.progressions.get("major") or [[1, 4, 5, 1]]
    if mood in ("sad", "melancholic") and mode == "minor":
        options = [[1, 6, 3, 7], [1, 4, 6, 5], [1, 6, 4, 5]]
    prog = options[int(rng.integers(len(options)))]
    beats = BEATS_PER_BAR / chords_per_bar
    events = []
    total = bars * chords_per_bar
    end = total - chords_per_bar if hold_last_bar and bars > 2 else total  # the slots up to the final tonic
    for i in range(total):
        degree = prog[i % len(prog)]
        if i == 0:
            degree = 1  # open on the tonic: the key is heard at once
        elif i >= end - 1:
            degree = 1
        elif i == end - 2 and end > 2:
            degree = 5  # a cadence into the final tonic
        root, quality = degree_chord(key_tonic, mode, degree, seventh=st.sevenths)
        events.append(ChordEvent(i * beats, beats, root, quality))
    return events


class _Writer:
    def __init__(self, tempo: float, rng: np.random.Generator):
        self.tempo = tempo
        self.spb = 60.0 / tempo
        self.rng = rng

    def note(self, inst: pretty_midi.Instrument, pitch: int, start_beat: float, beats: float, velocity: int,
             human: float = 0.0) -> None:
        if not 0 <= pitch <= 127 or beats <= 0:
            return
        jitter = float(self.rng.normal(0, human)) if human else 0.0
        start = max(0.0, (start_beat + jitter) * self.spb)
        vel = int(np.clip(velocity + (self.rng.integers(-6, 7) if human else 0), 1, 127))
        inst.notes.append(pretty_midi.Note(vel, int(pitch), start, start + beats * self.spb))


def _section_at(sections: list[Section], beat: float) -> Section:
    for s in sections:
        if s.start_beat <= beat < s.start_beat + s.beats:
            return s
    return sections[-1]


def _swung(step: int, swing: float) -> float:
    """Beat offset of a sixteenth step with swing on the off-beat eighths and sixteenths."""
    pos = step / 4.0
    if step % 4 == 2:
        pos += swing * 0.5 * 0.5
    elif step % 2 == 1:
        pos += swing * 0.25 * 0.5
    return pos


def _drums(w: _Writer, st: Style, sections: list[Section], total_beats: float, energy: float):
    inst = pretty_midi.Instrument(0, is_drum=True, name="drums")
    bars = int(np.ceil(total_beats / BEATS_PER_BAR))
    for bar in range(bars):
        start = bar * BEATS_PER_BAR
        sec = _section_at(sections, start)
        level = sec.intensity * (0.6 + 0.8 * energy)
        if sec.name in ("intro", "outro") and level < 0.4 and bar != bars - 1:
            grid = {KICK: st.drums.get("low", {}).get(KICK, "x.......x.......")}
        else:
            grid = st.drums["high" if level > 0.6 else "low"]
        if w.tempo < 92 and not grid.get(SNARE) and not grid.get(KICK, "").startswith("x...x"):
            # Slow, drumless styles still get a soft pulse on every beat, so the tempo
            # is heard (and measured) at the written speed rather than double.
            grid = {**grid, KICK: "x...x...x...x..."}
        last_of_section = start + BEATS_PER_BAR >= sec.start_beat + sec.beats
        for note, pattern in grid.items():
            for step, ch in enumerate(pattern):
                if ch == ".":
                    continue
                beat = start + _swung(step, st.swing)
                if beat >= total_beats:
                    continue
                vel = (112 if ch == "X" or step % 4 == 0 else 84) + (8 if note in (KICK, SNARE) else -10)
                if w.tempo < 80 and step % 4 and note not in (KICK, SNARE):
                    # Below 80 BPM loud off-beat cymbals make the eighths the felt pulse
                    # (a 72 BPM groove reads as 144); keep them as ghost notes.
                    vel = int(vel * 0.55)
                w.note(inst, note, beat, 0.2, int(vel * (0.75 + 0.3 * level)), human=0.006)
        if last_of_section and level > 0.45 and sec.name != "outro":
            for k in range(4):  # a short snare fill into the next section
                w.note(inst, SNARE, start + 3 + k * 0.25, 0.2, 70 + 12 * k, human=0.004)
        if bar > 0 and start == sec.start_beat and sec.intensity > 0.6:
            w.note(inst, CRASH, start, 1.5, 100)
    return inst


def _bass(w: _Writer, st: Style, chords: list[ChordEvent], sections, key_tonic: int, mode: str):
    inst = pretty_midi.Instrument(st.bass_program, name="bass")
    for i, ch in enumerate(chords):
        root = 36 + (ch.root - 36) % 12  # C2..B2
        fifth = root + 7
        sec = _section_at(sections, ch.start_beat)
        vel = int(80 + 30 * sec.intensity)
        b0, n = ch.start_beat, ch.beats
        nxt = chords[i + 1].root if i + 1 < len(chords) else ch.root
        if st.bass == "sustain" or i == len(chords) - 1:
            w.note(inst, root, b0, n * 0.98, vel)
        elif st.bass == "root8":
            for k in range(int(n * 2)):
                w.note(inst, root if k % 8 != 7 else fifth, b0 + k * 0.5, 0.45, vel - (0 if k % 2 == 0 else 12))
        elif st.bass == "root4":
            for k in range(int(n)):
                w.note(inst, root, b0 + k, 0.9, vel)
        elif st.bass == "octave":
            for k in range(int(n)):
                w.note(inst, root, b0 + k + 0.5, 0.4, vel)
                if sec.intensity > 0.6:
                    w.note(inst, root + 12, b0 + k + 0.75, 0.2, vel - 15)
        elif st.bass == "walking":
            tones = [root, root + QUALITIES.get(ch.quality, [0, 4, 7])[1], fifth]
            target = 36 + (nxt - 36) % 12
            approach = target - 1 if w.rng.random() < 0.5 else target + 1
            line = [tones[0], tones[1], tones[2], approach]
            for k in range(int(n)):
                w.note(inst, line[k % 4], b0 + k + _swung(0, st.swing), 0.9, vel - (0 if k % 2 == 0 else 8),
                       human=0.005)
        elif st.bass == "reggae":
            w.note(inst, root, b0 + 0.0, 1.4, vel)
            w.note(inst, fifth if ch.quality != "dim" else root, b0 + 2.0, 0.9, vel - 10)
            w.note(inst, root + 12 if root + 12 < 60 else root, b0 + 3.5, 0.4, vel - 15)
        else:  # syncopated
            pattern = [(0.0, 0.7, root), (0.75, 0.25, root), (1.5, 0.45, fifth), (2.5, 0.45, root),
                       (3.0, 0.4, root + 12), (3.5, 0.45, 36 + (nxt - 36) % 12)]  # anticipates the next chord
            if w.tempo < 82:
                # The tempo is felt mostly in the low end: below ~80 BPM, off-beat bass notes
                # turn the groove into a double-time pulse, so the slow line keeps to the beats.
                pattern = [(0.0, 1.4, root), (1.5, 0.45, root), (2.0, 0.9, fifth), (3.0, 0.9, root + 12)]
            for off, dur, pitch in pattern:
                if off < n:
                    w.note(inst, pitch, b0 + off + (st.swing * 0.125 if off % 0.5 else 0), dur, vel, human=0.004)
    return inst


def _voicing(ch: ChordEvent, low: int, prev: list[int] | None) -> list[int]:
    """Chord tones in a register near ``low``, choosing the inversion closest to ``prev``."""
    pcs = [p % 12 for p in chord_pitches(ch.root, ch.quality)][:4]
    best, best_cost = None, None
    for inv in range(len(pcs)):
        order = pcs[inv:] + pcs[:inv]
        notes, cur = [], low - 1
        for pc in order:
            cur = cur + 1 + (pc - cur - 1) % 12
            notes.append(cur)
        cost = abs(np.mean(notes) - (np.mean(prev) if prev else low + 6))
        if best_cost is None or cost < best_cost:
            best, best_cost = notes, cost
    return best


def _harmony(w: _Writer, st: Style, chords, sections, total_beats):
    inst = pretty_midi.Instrument(st.harmony_program, name="harmony")
    prev = None
    for ch in chords:
        sec = _section_at(sections, ch.start_beat)
        vel = int(58 + 30 * sec.intensity)
        b0, n = ch.start_beat, ch.beats
        if st.voicing == "power":
            root = 40 + (ch.root - 40) % 12
            for k in range(int(n * 2)):
                for p in (root, root + 7, root + 12):
                    w.note(inst, p, b0 + k * 0.5, 0.45, vel + (10 if k % 2 == 0 else 0))
            continue
        voiced = _voicing(ch, 55 if st.voicing != "shell" else 52, prev)
        prev = voiced
        if st.voicing in ("block", "pad"):
            for p in voiced:
                w.note(inst, p, b0, n * 0.98, vel - (15 if st.voicing == "pad" else 0))
        elif st.voicing == "shell":
            # a shell voicing leaves out the fifth; the third and seventh define the chord (and, on the
            # tonic, the mode: dropping the lowest voice instead lost the minor third in first inversion)
            shell = [p for p in voiced if (p - ch.root) % 12 != 7] if len(voiced) > 3 else voiced
            hits = [(0.0, 1.4), (1.5, 0.4), (2.5, 1.3)] if sec.intensity > 0.5 else [(0.0, n * 0.95)]
            for off, dur in hits:
                if off < n:
                    for p in shell:
                        w.note(inst, p, b0 + off + (st.swing * 0.25 if off % 1 else 0), dur, vel, human=0.008)
        elif st.voicing == "arpeggio":
            tones = voiced + [p + 12 for p in voiced]
            step = 1.0 if w.tempo < 92 else (0.5 if sec.intensity < 0.7 else 0.25)
            for k in range(int(n / step)):
                idx = k % (2 * len(tones) - 2) if len(tones) > 1 else 0
                idx = idx if idx < len(tones) else 2 * len(tones) - 2 - idx
                w.note(inst, tones[idx], b0 + k * step, step * 1.8, vel - 5)
        elif st.voicing == "stab":
            for k in range(int(n)):
                for p in voiced:
                    w.note(inst, p + 12, b0 + k + 0.5, 0.25, vel)
        elif st.voicing == "skank":
            for k in (1, 3):
                if k < n:
                    for p in voiced:
                        w.note(inst, p + 12, b0 + k + 0.5 * 0, 0.2, vel)
                        w.note(inst, p + 12, b0 + k - 0.5, 0.15, vel - 20)
    return inst


def _pad(w: _Writer, st: Style, chords, sections):
    inst = pretty_midi.Instrument(st.pad_program or 89, name="pad")
    prev = None
    for ch in chords:
        sec = _section_at(sections, ch.start_beat)
        if sec.intensity < 0.5 and st.voicing != "pad":
            continue
        voiced = _voicing(ch, 60, prev)
        prev = voiced
        for p in voiced:
            w.note(inst, p, ch.start_beat, ch.beats, int(40 + 25 * sec.intensity))
    return inst


def _pool_for(pool: list[int], tones: set[int]) -> list[int]:
    """The melody's scale with chromatic chord tones swapped in for the scale note a
    semitone away (the leading tone over a minor key's major V), so the tune never
    sounds a natural 7th against the chord's raised one."""
    pcs = {p % 12 for p in pool}
    swap = {}
    for t in tones - pcs:
        for d in (-1, 1):
            if (t + d) % 12 in pcs and (t + d) % 12 not in tones:
                swap[(t + d) % 12] = d
                break
    return sorted({p - swap.get(p % 12, 0) for p in pool})


def _melody(w: _Writer, st: Style, chords, sections, key_tonic: int, mode: str, energy: float, program: int):
    inst = pretty_midi.Instrument(program, name="melody")
    scale = scale_pcs(key_tonic, mode)
    pool = [p for p in range(57, 86) if p % 12 in scale]
    density = 0.35 + 0.45 * energy
    if w.tempo < 80:
        # Slow pieces move on the beat: off-beat eighths at 60 BPM would be heard (and
        # measured) as a 120 BPM pulse.
        choices = [1.0, 1.0, 2.0]
    else:
        choices = [0.5, 1.0, 1.5, 0.5, 1.0] if density < 0.6 else [0.25, 0.5, 0.5, 1.0]
    motifs: dict[str, list[tuple[float, float, int]]] = {}
    tonic_centre = min((p for p in pool if p % 12 == key_tonic % 12), key=lambda p: abs(p - 69))
    for i in range(0, len(chords), 2):
        pair = chords[i:i + 2]
        sec = _section_at(sections, pair[0].start_beat)
        if sec.name in ("intro", "outro") and i + 2 < len(chords):
            continue
        key = f"{sec.name}-{(i // 2) % 2}"
        if key not in motifs:
            rhythm, t = [], 0.0
            span = sum(c.beats for c in pair)
            while t < span - 0.25:
                dur = float(w.rng.choice(choices))
                if w.rng.random() < density or t == 0.0:
                    rhythm.append((t, min(dur, span - t), int(w.rng.integers(-2, 3))))
                t += dur
            motifs[key] = rhythm
        # the tune gravitates around the tonic (the chorus a third higher): a fixed centre pitch put
        # some keys' melodies on the dominant, and the analysis then heard the dominant's key
        center = tonic_centre + (0 if sec.name != "chorus" else (3 if mode == "minor" else 4))
        current = min(pool, key=lambda p: abs(p - center))
        for off, dur, move in motifs[key]:
            beat = pair[0].start_beat + off
            chord = pair[0] if off < pair[0].beats or len(pair) == 1 else pair[1]
            tones = {p % 12 for p in chord_pitches(chord.root, chord.quality)}
            local = _pool_for(pool, tones)
            idx = int(np.argmin([abs(p - current) for p in local])) + move
            current = local[int(np.clip(idx, 0, len(local) - 1))]
            if off % 1 == 0:  # strong beats land on chord tones
                current = min((p for p in local if p % 12 in tones), key=lambda p: abs(p - current))
            w.note(inst, current, beat, dur * 0.95, int(72 + 30 * sec.intensity), human=0.005)
    last = chords[-1]
    tonic = min((p for p in pool if p % 12 == key_tonic % 12), key=lambda p: abs(p - 72))
    w.note(inst, tonic, last.start_beat, last.beats, 85)
    return inst


def arrange(style: str, chords: list[ChordEvent], tempo_bpm: float, key_tonic: int, mode: str, total_beats: float,
            seed: int, energy: float = 0.5, melody: bool = True, sections: list[Section] | None = None,
            instruments: dict | None = None) -> pretty_midi.PrettyMIDI:
    """The arrangement as named instruments: drums, bass, harmony, pad (if the style has
    one), melody (if asked). ``instruments`` may override GM programs by part name."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    st = STYLES[style]
    programs = instruments or {}
    rng = np.random.default_rng(seed)
    w = _Writer(tempo_bpm, rng)
    sections = sections or default_sections(total_beats)
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo_bpm))
    # The key and meter it is written in, for a notation program or a DAW opening the MIDI file.
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_tonic % 12 + (12 if mode == "minor" else 0), 0.0))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(BEATS_PER_BAR, 4, 0.0))
    parts = [
        _drums(w, st, sections, total_beats, energy),
        _bass(w, st, chords, sections, key_tonic, mode),
        _harmony(w, st, chords, sections, total_beats),
    ]
    if st.pad_program is not None or "pad" in programs:
        parts.append(_pad(w, st, chords, sections))
    if melody:
        parts.append(_melody(w, st, chords, sections, key_tonic, mode, energy,
                             programs.get("melody", st.melody_program)))
    end = total_beats * 60.0 / tempo_bpm
    for inst in parts:
        # motifs reused over a shorter closing phrase must not run past the piece
        inst.notes = [n for n in inst.notes if n.start < end - 1e-6]
        for note in inst.notes:
            note.end = min(note.end, end)
        if inst.name in programs and not inst.is_drum:
            inst.program = int(programs[inst.name])
        if inst.notes:
            pm.instruments.append(inst)
    return pm
