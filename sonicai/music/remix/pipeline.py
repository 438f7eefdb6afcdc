"""One remix = region -> genre transformation -> tempo -> pitch -> effects, in that
order, on numpy arrays. Used by the studio's jobs and by ``manage.py remix``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TEMPO_PERCENT_RANGE = (-50.0, 100.0)
PITCH_RANGE = (-12.0, 12.0)


@dataclass
class RemixParams:
    genre: str | None = None
    tempo_change: float | None = None  # percent
    target_bpm: float | None = None
    pitch: float = 0.0  # semitones
    preserve_formants: bool = False
    effects: list | str | None = None
    start: float | None = None
    end: float | None = None
    seed: int = 0
    genre_engine: str = "arranger"  # or "musicgen-melody" when its weights are installed

    def validate(self) -> RemixParams:
        from remix.dsp.effects import validate_chain
        from remix.dsp.genre import GENRES
        from remix.musicgen_genre import GENRE_ENGINES

        if self.genre is not None and self.genre not in GENRES:
            raise ValueError(f"Unknown genre {self.genre!r}; choose one of {', '.join(GENRES)}.")
        if self.genre_engine not in GENRE_ENGINES:
            raise ValueError(f"Unknown genre engine {self.genre_engine!r}; choose one of {', '.join(GENRE_ENGINES)}.")
        if self.tempo_change is not None and self.target_bpm is not None:
            raise ValueError("Give either a tempo change in percent or a target BPM, not both.")
        if self.tempo_change is not None and not TEMPO_PERCENT_RANGE[0] <= self.tempo_change <= TEMPO_PERCENT_RANGE[1]:
            raise ValueError("The tempo change must be between -50 and +100 percent.")
        if self.target_bpm is not None and not 20 <= self.target_bpm <= 300:
            raise ValueError("The target tempo must be between 20 and 300 BPM.")
        if not PITCH_RANGE[0] <= self.pitch <= PITCH_RANGE[1]:
            raise ValueError("The pitch shift must be between -12 and +12 semitones.")
        if self.effects:
            self.effects = validate_chain(self.effects)
        return self


@dataclass
class RemixOutput:
    audio: np.ndarray
    sr: int
    summary: dict = field(default_factory=dict)


def run_remix(audio: np.ndarray, sr: int, params: RemixParams, source_bpm: float | None = None,
              stems: dict | None = None, analysis: dict | None = None,
              progress: Callable[[int, str], None] | None = None,
              models_dir: Path | str | None = None) -> RemixOutput:
    """Apply ``params`` to ``audio`` (channels, samples). ``source_bpm`` is the song's
    detected tempo (measured here if a target BPM needs it and none is given); ``models_dir`` holds the
    MusicGen weights for the musicgen-melody genre engine."""
    from remix.dsp.effects import apply_chain
    from remix.dsp.pitch import pitch_shift
    from remix.dsp.region import cut_region
    from remix.dsp.stretch import tempo_ratio, time_stretch

    def report(pct: float, stage: str) -> None:
        if progress:
            progress(int(pct), stage)

    params.validate()
    summary: dict = {"source_duration": audio.shape[1] / sr}
    if params.start is not None or params.end is not None:
        audio = cut_region(audio, sr, params.start, params.end)
        summary["region"] = {"start": params.start, "end": params.end}
        stems = None  # stems of the whole song do not line up with a region
    if params.genre:
        from remix.dsp.genre import genre_remix
        from remix.musicgen_genre import musicgen_genre_remix

        common = {"seed": params.seed, "stems": stems, "analysis": analysis, "target_bpm": params.target_bpm,
                  "progress": lambda p, s: report(0.7 * p, s)}
        if params.genre_engine == "arranger":
            result = genre_remix(audio, sr, params.genre, **common)
        else:
            result = musicgen_genre_remix(audio, sr, params.genre, models_dir=models_dir, **common)
        audio, sr = result.audio, result.sr
        summary.update(result.summary)
        source_bpm = result.tempo_bpm
    elif params.tempo_change is not None or params.target_bpm is not None:
        if params.target_bpm is not None and source_bpm is None:
            from mood.analysis.tempo import estimate_tempo

            report(5, "detecting tempo")
            source_bpm = estimate_tempo(audio.mean(axis=0), sr).bpm
        rate = tempo_ratio(percent=params.tempo_change, target_bpm=params.target_bpm, source_bpm=source_bpm)
        report(20, "time-stretching")
        audio = time_stretch(audio, sr, rate, preserve_formants=params.preserve_formants)
        summary.update(tempo_ratio=rate, source_bpm=source_bpm,
                       target_bpm=source_bpm * rate if source_bpm else None)
    if params.pitch:
        report(75, "shifting pitch")
        audio = pitch_shift(audio, sr, params.pitch, preserve_formants=params.preserve_formants)
        summary["pitch"] = params.pitch
    if params.effects:
        report(88, "effects")
        audio = apply_chain(audio, sr, params.effects)
        summary["effects"] = params.effects
    summary["duration"] = audio.shape[1] / sr
    return RemixOutput(audio=audio.astype(np.float32, copy=False), sr=sr, summary=summary)
