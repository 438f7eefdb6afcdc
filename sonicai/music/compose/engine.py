"""compose(): prompt -> PromptSpec -> progression + form -> arrangement -> render ->
production -> master. Deterministic for a prompt and seed; exact duration."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from sonicai.music.audio_io import fit_length
from sonicai.music.master import master
from sonicai.music.notes import NOTE_NAMES
from sonicai.music.progress import Progress, report
from sonicai.music.synth import render_tracks

from .arranger import BEATS_PER_BAR, arrange, default_sections, progression_for
from .production import produce
from .prompt import PromptSpec, parse_prompt

MIN_DURATION, MAX_DURATION = 5.0, 300.0
FADE_SECONDS = 1.5


@dataclass
class CompositionResult:
    audio: np.ndarray
    sr: int
    midi: pretty_midi.PrettyMIDI
    spec: PromptSpec
    summary: dict


def compose(prompt: str, duration: float, seed: int, soundfont: Path | None = None, sr: int = 44100,
            progress: Progress | None = None) -> CompositionResult:
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ValueError(f"duration must be between {MIN_DURATION:.0f} and {MAX_DURATION:.0f} seconds")
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    report(progress, 0.02, "reading the prompt")
    spec = parse_prompt(prompt, default_duration=duration, seed=seed)
    timings["parse"] = time.perf_counter() - t0

    t = time.perf_counter()
    report(progress, 0.10, "arranging")
    beat_seconds = 60.0 / spec.tempo_bpm
    # whole bars that cover the duration; the last chord rings into the fade
    bars = max(2, int(np.ceil(duration / beat_seconds / BEATS_PER_BAR)))
    total_beats = bars * BEATS_PER_BAR
    chords_per_bar = 2 if spec.genre in ("jazz",) and spec.tempo_bpm < 150 else 1
    # When the end cuts the last bar to under half, the cadence lands a bar early: a 20-s funk piece ended 0.36 s
    # into its final tonic, on what was heard as an unresolved E7.
    heard = duration / beat_seconds - (bars - 1) * BEATS_PER_BAR
    chords = progression_for(spec.genre, spec.mode, spec.mood, spec.key_tonic, bars, seed, chords_per_bar,
                             hold_last_bar=heard < BEATS_PER_BAR / 2)
    sections = default_sections(total_beats)
    midi = arrange(spec.genre, chords, spec.tempo_bpm, spec.key_tonic, spec.mode, total_beats, seed,
                   energy=spec.energy, melody=True, sections=sections, instruments=spec.programs)
    timings["arrange"] = time.perf_counter() - t

    t = time.perf_counter()
    report(progress, 0.30, "rendering instruments")
    tracks = render_tracks(midi, sr, soundfont, duration=duration)
    timings["render"] = time.perf_counter() - t

    t = time.perf_counter()
    report(progress, 0.65, "mixing")
    mix = produce(spec.genre, tracks, sr, spec.tempo_bpm, seed, mood=spec.mood)
    n = int(round(duration * sr))
    mix = fit_length(mix, n)
    fade = min(int(FADE_SECONDS * sr), n // 4)
    mix[:, n - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32) ** 2
    timings["produce"] = time.perf_counter() - t

    t = time.perf_counter()
    report(progress, 0.80, "mastering")
    audio = master(mix, sr, target_lufs=-14.0)
    timings["master"] = time.perf_counter() - t
    report(progress, 1.0, "done")

    summary = {
        "engine": "composer", "genre": spec.genre, "mood": spec.mood, "tempo_bpm": spec.tempo_bpm,
        "key": NOTE_NAMES[spec.key_tonic], "mode": spec.mode, "instruments": spec.instruments,
        "energy": spec.energy, "duration": n / sr, "seed": seed, "matched_by": spec.matched_by, "notes": spec.notes,
        "sections": [{"name": s.name, "start": s.start_beat * beat_seconds, "bars": int(s.beats // BEATS_PER_BAR)}
                     for s in sections if s.start_beat * beat_seconds < duration],
        "chords": [f"{NOTE_NAMES[c.root]}:{c.quality}" for c in chords[: 2 * len(sections) + 8]],
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    return CompositionResult(audio=audio, sr=sr, midi=midi, spec=spec, summary=summary)
