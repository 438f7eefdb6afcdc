"""A deterministic evaluation set for stem separation: band recordings with a voice.

Each song has a random (seeded) tempo, key, drum pattern, bass and chord instruments,
and a sung melody. Drums, bass and other (piano / guitar / organ / strings chords and
an arpeggio) are rendered from pretty_midi's General MIDI SoundFont (TimGM6mb.sf2)
with TinySoundFont through ``sonicai.music.synth.render_midi``. The *vocals* stem is
a formant-synthesised sung vowel line (harmonics of a fundamental with vibrato and
jitter, shaped by /a/, /o/, /i/, /e/ formants, with breath noise) doubled quietly by
the GM "Choir Aahs" patch. Stems are levelled to typical pop mix ratios, so
vocals + drums + bass + other is the mix.

``python -m bench.make_stem_set`` writes a set of them to disk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi

from sonicai.music.separation.stems import FOUR_STEMS
from sonicai.music.synth import render_midi

SR = 44100
# (centre Hz, bandwidth Hz) of the first three formants of sung /a/, /o/, /i/, /e/
VOWELS = [[(700, 110), (1220, 120), (2600, 160)], [(500, 90), (900, 100), (2400, 150)],
          [(300, 70), (2300, 150), (3000, 200)], [(450, 80), (1900, 130), (2600, 170)]]
LEVELS_DB = {"vocals": -23.0, "drums": -25.0, "bass": -26.0, "other": -28.0}  # RMS; mix peaks near -3 dBFS
PROGRESSIONS = [[[0, 4, 7], [9, 0, 4], [5, 9, 0], [7, 11, 2]], [[0, 4, 7], [7, 11, 2], [9, 0, 4], [5, 9, 0]],
                [[9, 0, 4], [5, 9, 0], [0, 4, 7], [7, 11, 2]], [[0, 4, 7], [5, 9, 0], [7, 11, 2], [0, 4, 7]]]


def sung_line(notes: list[tuple[float, float, int]], n: int, rng: np.random.Generator) -> np.ndarray:
    """A mono sung melody: one vowel per note, vibrato, pitch jitter, soft onsets, breath."""
    y = np.zeros(n)
    for start, dur, pitch in notes:
        a, b = int(start * SR), min(n, int((start + dur) * SR))
        if b <= a:
            continue
        t = np.arange(b - a) / SR
        jitter = np.cumsum(rng.normal(0, 1, t.size)) / np.sqrt(SR) * 0.02
        vibrato = 0.015 * np.sin(2 * np.pi * rng.uniform(5.0, 6.5) * t + rng.random() * 6) * np.minimum(1, t / 0.3)
        f0 = 440 * 2 ** ((pitch - 69) / 12) * (1 + vibrato + jitter)
        phase = 2 * np.pi * np.cumsum(f0) / SR
        formants = VOWELS[int(rng.integers(len(VOWELS)))]
        note = np.zeros_like(t)
        for h in range(1, 40):
            fh = h * f0
            if np.max(fh) > SR / 2 - 500:
                break
            gain = sum(np.exp(-0.5 * ((fh - fc) / bw) ** 2) for fc, bw in formants) + 0.03 / h
            note += gain * np.sin(h * phase)
        breath = np.convolve(rng.normal(0, 1, t.size), np.ones(8) / 8, mode="same")[: t.size] * 0.02
        env = np.minimum(1, np.minimum(t / 0.04, (dur - t) / 0.08).clip(0))
        y[a:b] += (note + breath) * env
    return y / (np.max(np.abs(y)) + 1e-9)


def bundled_soundfont() -> Path:
    """pretty_midi's TimGM6mb.sf2: the evaluation set is rendered with it whatever the machine has
    installed, so the benchmark's numbers do not depend on system SoundFonts."""
    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def make_song(seed: int, seconds: float = 30.0, soundfont: Path | None = None,
              level_jitter_db: float = 0.0) -> dict[str, np.ndarray]:
    """The four stems (2, n) float32 of song ``seed``; their sum is the mix. ``soundfont`` defaults to
    TimGM6mb; ``level_jitter_db`` varies each stem's level by up to that much (training data)."""
    rng = np.random.default_rng(seed)
    soundfont = soundfont or bundled_soundfont()
    tempo = float(rng.integers(78, 146))
    beat = 60 / tempo
    tonic = int(rng.integers(0, 12))
    progression = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    drums = pretty_midi.Instrument(0, is_drum=True)
    bass = pretty_midi.Instrument(int(rng.choice([32, 33, 34, 38])))
    chords = pretty_midi.Instrument(int(rng.choice([0, 4, 16, 25, 48])))
    arp = pretty_midi.Instrument(int(rng.choice([1, 11, 24, 46])))
    choir = pretty_midi.Instrument(52)  # GM Choir Aahs, doubling the sung line
    lead_notes: list[tuple[float, float, int]] = []
    swing = rng.uniform(0, 0.06)
    bars = int(seconds / (4 * beat)) + 1
    for bar in range(bars):
        t0 = bar * 4 * beat
        chord = progression[bar % 4]
        for k in range(8):
            onset = t0 + k * beat / 2 + (swing * beat if k % 2 else 0)
            drums.notes.append(pretty_midi.Note(int(rng.integers(80, 105)), 42 if k != 7 else 46, onset, onset + 0.05))
        kicks = (0, 2.5) if bar % 2 else (0, 1.5, 2.5)
        for k in kicks:
            drums.notes.append(pretty_midi.Note(115, 36, t0 + k * beat, t0 + k * beat + 0.1))
        for k in (1, 3):
            drums.notes.append(pretty_midi.Note(105, 38, t0 + k * beat, t0 + k * beat + 0.1))
        if bar % 4 == 3:
            drums.notes.append(pretty_midi.Note(100, 49, t0 + 3.5 * beat, t0 + 3.9 * beat))
        root = 36 + (tonic + chord[0]) % 12
        for k in range(4):
            pitch = root + (12 if (k == 3 and rng.random() < 0.4) else 0)
            bass.notes.append(pretty_midi.Note(95, pitch, t0 + k * beat, t0 + (k + 0.9) * beat))
        for pc in chord:
            chords.notes.append(pretty_midi.Note(70, 60 + (tonic + pc) % 12, t0, t0 + 3.9 * beat))
        for k in range(8):
            pc = chord[k % 3]
            arp.notes.append(pretty_midi.Note(60, 72 + (tonic + pc) % 12, t0 + k * beat / 2, t0 + (k + 0.9) * beat / 2))
        if bar % 8 < 6:  # the singer breathes every few bars
            k = 0.0
            while k < 4:
                dur = float(rng.choice([0.5, 1.0, 1.0, 2.0]))
                pitch = 60 + (tonic + int(rng.choice(chord + [2, 9]))) % 12 + int(rng.choice([0, 0, 12]))
                lead_notes.append((t0 + k * beat, 0.95 * dur * beat, pitch))
                choir.notes.append(pretty_midi.Note(50, pitch, t0 + k * beat, t0 + (k + 0.95 * dur) * beat))
                k += dur
    n = int(seconds * SR)
    stems: dict[str, np.ndarray] = {}
    for name, instruments in {"drums": [drums], "bass": [bass], "other": [chords, arp], "choir": [choir]}.items():
        pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
        pm.instruments.extend(instruments)
        audio = render_midi(pm, SR, soundfont=soundfont, duration=seconds)[:, :n]
        stems[name] = np.pad(audio, ((0, 0), (0, n - audio.shape[1])))
    v = sung_line(lead_notes, n, rng)
    pan = rng.uniform(0.85, 1.0)
    choir_audio = stems.pop("choir")
    choir_audio = choir_audio / (np.sqrt(np.mean(choir_audio**2)) + 1e-9) * np.sqrt(np.mean(v**2)) * 0.35
    stems["vocals"] = np.stack([v * pan, v * (1.85 - pan)]) + choir_audio
    for name, level in LEVELS_DB.items():
        level += float(rng.uniform(-level_jitter_db, level_jitter_db)) if level_jitter_db else 0.0
        rms = np.sqrt(np.mean(stems[name] ** 2)) + 1e-9
        stems[name] = (stems[name] / rms * 10 ** (level / 20)).astype(np.float32)
    return {name: stems[name] for name in FOUR_STEMS}
