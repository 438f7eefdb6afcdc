"""Genre remix by MusicGen-melody: the second genre engine, offered when its weights are installed.

The song's vocals (from its stems, else separated here) are time-stretched to the genre's tempo and condition
MusicGen-melody through their chroma, so the new piece follows the song's melody; the text prompt names the
genre, its tempo and the song's key. Unlike the default ``arranger`` engine, the song's own voice is not kept:
the model re-performs the tune. Output: 44.1 kHz stereo mastered to -14 LUFS, like every genre remix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sonicai.music.audio_io import as_channels, fit_length
from sonicai.music.notes import NOTE_NAMES
from sonicai.music.progress import Progress, report, within

from .genre import (
    TARGET_LUFS,
    GenreError,
    GenreRemixResult,
    choose_tempo,
    stereo_source,
    tempo_and_key,
    vocals_and_backing,
)
from .genres import ENGINE_DESCRIPTIONS, GENRES, MUSICGEN_MELODY

OUT_SR = 44100
#: What each genre sounds like, in words MusicGen was trained on (its training captions are short tag lists).
GENRE_PROMPTS = {
    "edm": "energetic EDM, four-on-the-floor kick, sidechained synth chords, big drop",
    "jazz": "swinging jazz trio, upright bass, brushed drums, piano comping",
    "hiphop": "hip hop beat, boom bap drums, deep bass, dusty samples",
    "rock": "rock band, distorted electric guitars, live drums, bass guitar",
    "classical": "classical orchestra, strings, woodwinds, expressive dynamics",
    "lofi": "lofi hip hop, mellow rhodes, vinyl crackle, laid-back drums",
}


def genre_engine_state(models_dir: Path | str | None) -> dict:
    """Whether the MusicGen-melody genre engine can run here, and the message saying how to install it."""
    from sonicai.music.generate.musicgen import MusicGenEngine

    ok, message = MusicGenEngine(MUSICGEN_MELODY, models_dir).available()
    return {"engine": MUSICGEN_MELODY, "installed": ok, "message": message,
            "description": ENGINE_DESCRIPTIONS[MUSICGEN_MELODY]}


def musicgen_genre_remix(
    audio: np.ndarray, sr: int, genre: str, seed: int = 0, stems: dict[str, np.ndarray] | None = None,
    analysis: dict | None = None, target_bpm: float | None = None, models_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> GenreRemixResult:
    from sonicai.music.audio_io import resample
    from sonicai.music.compose.styles import STYLES
    from sonicai.music.generate.base import EngineUnavailable
    from sonicai.music.generate.musicgen import MusicGenEngine
    from sonicai.music.master import master
    from sonicai.music.separation.registry import DEFAULT_ENGINE
    from sonicai.music.transform.stretch import time_stretch

    if genre not in GENRES:
        raise GenreError(f"unknown genre {genre!r}; expected one of: {', '.join(GENRES)}")
    engine = MusicGenEngine(MUSICGEN_MELODY, models_dir)
    ok, message = engine.available()
    if not ok:
        raise EngineUnavailable(message)
    x = stereo_source(audio, sr)
    vocals, _ = vocals_and_backing(x, sr, stems, within(progress, 0.05, 0.20))
    report(progress, 0.20, "detecting tempo and key")
    source_bpm, _, key_tonic, mode = tempo_and_key(x.mean(axis=0), sr, analysis)
    tempo_bpm, per_beat = choose_tempo(source_bpm, tuple(STYLES[genre].tempo_range), target_bpm)
    # the melody keeps its beats: the song's beat period becomes per_beat grid beats at the new tempo
    rate = tempo_bpm / (source_bpm * per_beat)
    melody = time_stretch(vocals, sr, rate) if abs(rate - 1.0) > 1e-3 else vocals
    duration = melody.shape[1] / sr
    key_name = NOTE_NAMES[key_tonic]
    prompt = f"{GENRE_PROMPTS[genre]}, {tempo_bpm:.0f} bpm, {key_name} {mode}"
    report(progress, 0.30, f"generating {genre} with {MUSICGEN_MELODY}")
    out = engine.generate(prompt, duration, seed, melody=(melody, sr),
                          progress=within(progress, 0.30, 0.90))
    wave = as_channels(out.audio)[0]
    if wave.shape[0] == 1:
        wave = np.repeat(wave, 2, axis=0)
    if out.sr != OUT_SR:
        wave = resample(wave, out.sr, OUT_SR)
    n_out = int(round(duration * OUT_SR))
    wave = fit_length(wave, n_out)
    report(progress, 0.92, "mastering")
    mixed = np.ascontiguousarray(master(wave, OUT_SR, target_lufs=TARGET_LUFS), dtype=np.float32)
    summary = {
        "genre": genre, "genre_engine": MUSICGEN_MELODY, "prompt": prompt, "source_bpm": round(source_bpm, 2),
        "tempo_bpm": round(tempo_bpm, 2), "beats_per_source_beat": per_beat, "key": key_name, "mode": mode,
        "seed": seed, "duration_s": round(n_out / OUT_SR, 3), "target_lufs": TARGET_LUFS,
        "melody_from": "stems" if stems and "vocals" in stems else DEFAULT_ENGINE,
    }
    return GenreRemixResult(mixed, OUT_SR, tempo_bpm, source_bpm, key_name, mode, [], summary)
