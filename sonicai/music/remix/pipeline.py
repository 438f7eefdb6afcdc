"""One remix = region -> genre transformation -> tempo -> pitch -> effects, in that
order, on numpy arrays. Used by the studio's jobs and by ``manage.py remix``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sonicai.music.progress import Progress, report, within

from .genres import ARRANGER, ENGINE_DESCRIPTIONS, GENRE_ENGINES, GENRES

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
    genre_engine: str = ARRANGER  # or MUSICGEN_MELODY when its weights are installed

    def validate(self) -> RemixParams:
        from sonicai.music.transform.effects import validate_chain

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


def genre_engines(models_dir: Path | str | None) -> list[dict]:
    """Each genre engine with whether it can run here and a message (how to install it when it cannot)."""
    from .musicgen_genre import genre_engine_state

    arranger = {"engine": ARRANGER, "installed": True, "description": ENGINE_DESCRIPTIONS[ARRANGER],
                "message": "ready: keeps the song's vocals over a new soundfont arrangement"}
    return [arranger, genre_engine_state(models_dir)]


@dataclass
class RemixOutput:
    audio: np.ndarray
    sr: int
    summary: dict = field(default_factory=dict)


#: A genre remix of audio sampled below GENRE_MIN_RATE is made at GENRE_RATE: its drums, crackle and
#: filters reach above the source's Nyquist frequency (a 7 kHz low-pass is NaN at 8 kHz).
GENRE_MIN_RATE = 22050
GENRE_RATE = 44100


def run_remix(audio: np.ndarray, sr: int, params: RemixParams, source_bpm: float | None = None,
              stems: dict | None = None, analysis: dict | None = None,
              progress: Progress | None = None,
              models_dir: Path | str | None = None) -> RemixOutput:
    """Apply ``params`` to ``audio`` (channels, samples). ``source_bpm`` is the song's
    detected tempo (measured here if a target BPM needs it and none is given); ``models_dir`` holds the
    MusicGen weights for the musicgen-melody genre engine."""
    from sonicai.music.master import under_full_scale
    from sonicai.music.transform.effects import apply_chain
    from sonicai.music.transform.pitch import pitch_shift
    from sonicai.music.transform.region import cut_region
    from sonicai.music.transform.stretch import tempo_ratio, time_stretch

    params.validate()
    summary: dict = {"source_duration": audio.shape[1] / sr}
    if params.start is not None or params.end is not None:
        audio = cut_region(audio, sr, params.start, params.end)
        summary["region"] = {"start": params.start, "end": params.end}
        stems = None  # stems of the whole song do not line up with a region
    if params.genre:
        from .genre import genre_remix
        from .musicgen_genre import musicgen_genre_remix

        if sr < GENRE_MIN_RATE:  # a phone recording: the key finder and the new parts need the upper octaves
            from sonicai.music.audio_io import resample

            stems = {name: resample(stem, sr, GENRE_RATE) for name, stem in stems.items()} if stems else stems
            audio, sr = resample(audio, sr, GENRE_RATE), GENRE_RATE

        common = {"seed": params.seed, "stems": stems, "analysis": analysis, "target_bpm": params.target_bpm,
                  "progress": within(progress, 0.0, 0.70)}
        if params.genre_engine == ARRANGER:
            result = genre_remix(audio, sr, params.genre, **common)
        else:
            result = musicgen_genre_remix(audio, sr, params.genre, models_dir=models_dir, **common)
        audio, sr = result.audio, result.sr
        summary.update(result.summary)
        source_bpm = result.tempo_bpm
    elif params.tempo_change is not None or params.target_bpm is not None:
        if params.target_bpm is not None and source_bpm is None:
            from sonicai.music.analysis.tempo import estimate_tempo

            report(progress, 0.05, "detecting tempo")
            source_bpm = estimate_tempo(audio.mean(axis=0), sr).bpm
        rate = tempo_ratio(percent=params.tempo_change, target_bpm=params.target_bpm, source_bpm=source_bpm)
        report(progress, 0.20, "time-stretching")
        audio = time_stretch(audio, sr, rate, preserve_formants=params.preserve_formants)
        summary.update(tempo_ratio=rate, source_bpm=source_bpm,
                       target_bpm=source_bpm * rate if source_bpm else None)
    if params.pitch:
        report(progress, 0.75, "shifting pitch")
        audio = pitch_shift(audio, sr, params.pitch, preserve_formants=params.preserve_formants)
        summary["pitch"] = params.pitch
        _transpose_summary(summary, params.pitch)
        if params.genre and "target_lufs" in summary:  # the shift undid the genre render's master (-15 LUFS, 0 dBTP)
            from sonicai.music.master import master

            audio = master(audio, sr, target_lufs=summary["target_lufs"])
    if params.effects:
        report(progress, 0.88, "effects")
        audio = apply_chain(audio, sr, params.effects)
        summary["effects"] = params.effects
    audio, turned_down_db = under_full_scale(audio)
    if turned_down_db:
        summary["turned_down_db"] = turned_down_db  # the render went over full scale
    summary["duration"] = audio.shape[1] / sr
    return RemixOutput(audio=audio.astype(np.float32, copy=False), sr=sr, summary=summary)


def _transpose_summary(summary: dict, semitones: float) -> None:
    """A genre render's key and chords, moved by the pitch shift applied after it (they still named the key it was
    rendered in: a lo-fi remix shifted +2 from E minor said E minor and was in F♯ minor)."""
    from sonicai.music.notes import NOTE_NAMES, pitch_class

    steps = round(float(semitones))
    if not steps or steps != float(semitones):
        return  # a fraction of a semitone leaves no key to name
    def moved(name: str) -> str:
        return NOTE_NAMES[(pitch_class(name) + steps) % 12]

    if summary.get("key"):
        summary["key"] = moved(summary["key"])
    if "chords" in summary:  # Harte labels, "C:maj"; "N" (no chord) stays
        summary["chords"] = [label if ":" not in label else f"{moved(label.split(':')[0])}:{label.split(':', 1)[1]}"
                             for label in summary["chords"]]
