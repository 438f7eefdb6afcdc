"""Stem separation and stem mixes for the studio."""

from __future__ import annotations

import math

import numpy as np
from django.conf import settings
from django.db import transaction

from audio import dsp, storage
from audio import services as audio_services
from audio.jobs import JobError
from sonicai.music.audio_io import write_audio
from sonicai.music.progress import Progress

from .models import Stem

#: Stored stems keep 24-bit precision: the mixer re-sums them.
STEM_FORMAT = "flac24"
EXPORT_FORMATS = ("wav", "flac", "mp3")


def engine(name: str | None):
    """The separation engine by name (default: the registry's default); JobError if unavailable."""
    from sonicai.music.separation.base import EngineUnavailable
    from sonicai.music.separation.registry import get_engine

    try:
        eng = get_engine(name or default_engine(), models_dir=settings.MODELS_DIR, device=settings.TORCH_DEVICE)
        ok, message = eng.available()
    except (EngineUnavailable, KeyError, ValueError) as exc:
        raise JobError(str(exc)) from None
    if not ok:
        raise JobError(message)
    return eng


def engines() -> list[dict]:
    from sonicai.music.separation.registry import list_engines

    return list_engines(models_dir=settings.MODELS_DIR)


def default_engine() -> str:
    from sonicai.music.separation.registry import DEFAULT_ENGINE

    return next((e["name"] for e in engines() if e.get("default")), DEFAULT_ENGINE)


def separate_array(audio: np.ndarray, sr: int, engine_name: str | None,
                   progress: Progress | None = None) -> dict[str, np.ndarray]:
    return engine(engine_name).separate(audio, sr, progress=progress)


def separate_audio_file(ctx, af) -> dict:
    """The separation job: stems of the file (or of a region) stored as Stem rows."""
    params = ctx.params
    eng = engine(params.get("engine"))
    ctx.progress(0.02, "loading audio")
    audio, sr = audio_services.load(af, start=params.get("start"), end=params.get("end"))
    ctx.progress(0.05, f"separating with {eng.name}")
    stems = eng.separate(audio, sr, progress=ctx.scaled(0.05, 0.85))
    ctx.progress(0.86, "saving stems")
    saved: list[tuple[str, str, dict]] = []
    with storage.scratch_dir("stems-") as tmpdir:
        for name, stem_audio in stems.items():
            path = write_audio(tmpdir / f"{name}.flac", stem_audio, sr, fmt=STEM_FORMAT)
            key = ctx.track(storage.save_path(storage.new_key(af.user_id, "stems", "flac"), path))
            saved.append((name, key, dsp.waveform_peaks(stem_audio, sr, n_peaks=1200)))
            ctx.progress(0.86 + 0.12 * len(saved) / len(stems), "saving stems")
    duration = audio.shape[1] / sr
    with transaction.atomic():
        rows = [ctx.track_row(Stem.objects.create(job=ctx.job, audio_file=af, stem_type=name, s3_key=key,
                                                  duration=duration, model_used=eng.name, waveform_data=peaks))
                for name, key, peaks in saved]
    ctx.record_results({row.stem_type: row.s3_key for row in rows})
    return {"engine": eng.name, "stems": [row.stem_type for row in rows], "duration": duration,
            "region": {"start": params.get("start"), "end": params.get("end")}}


def clamp_gains(gains: dict, stem_types: list[str]) -> dict[str, float]:
    """Linear gains per stem from {stem: dB or {"gain_db", "mute", "solo"}}; unknown stems refused."""
    unknown = set(gains) - set(stem_types)
    if unknown:
        raise ValueError(f"Unknown stems: {', '.join(sorted(unknown))}; this job has {', '.join(stem_types)}.")
    settings_by_stem = {}
    for name in stem_types:
        value = gains.get(name, 0.0)
        if isinstance(value, dict):
            db, mute, solo = value.get("gain_db", 0.0), value.get("mute", False), value.get("solo", False)
        else:
            db, mute, solo = value, False, False
        for what, flag in (("mute", mute), ("solo", solo)):
            if not isinstance(flag, bool):  # "false" is a true value to Python: it would have muted the stem
                raise ValueError(f"{what} of {name} must be true or false.")
        if isinstance(db, bool) or not isinstance(db, int | float | str):
            raise ValueError(f"Gain of {name} must be a number of dB.")
        try:
            db = float(db)
        except ValueError:
            raise ValueError(f"Gain of {name} must be a number of dB.") from None
        if not math.isfinite(db):
            raise ValueError(f"Gain of {name} must be a finite number of dB.")
        settings_by_stem[name] = (min(12.0, max(-60.0, db)), mute, solo)
    any_solo = any(solo for _, _, solo in settings_by_stem.values())
    gains = {name: 0.0 if mute or (any_solo and not solo) else float(10 ** (db / 20))
             for name, (db, mute, solo) in settings_by_stem.items()}
    if gains and not any(gains.values()):  # refused before a job is queued to fail on it
        raise ValueError("Every stem is muted: nothing to export. Unmute a stem, or solo one that is not muted.")
    return gains


def mix_stems(ctx, job_stems: list[Stem], gains: dict[str, float], fmt: str) -> dict:
    """Render the mixer's current mix (or one stem) on the server and store it for download."""
    from sonicai.music.audio_io import load_audio
    from sonicai.music.master import under_full_scale

    total, sr = None, None
    for i, stem in enumerate(job_stems):
        gain = gains.get(stem.stem_type, 0.0)
        if gain == 0.0:
            continue
        with storage.local_copy(stem.s3_key) as path:
            audio, sr = load_audio(path)
        total = audio * gain if total is None else total + audio * gain
        ctx.progress(0.10 + 0.70 * (i + 1) / len(job_stems), "mixing")
    if total is None:
        raise JobError("Every stem is muted: nothing to export.")
    total, turned_down_db = under_full_scale(total)
    with storage.scratch_dir("mix-") as tmpdir:
        path = write_audio(tmpdir / f"mix.{fmt}", total, sr, fmt=fmt)
        key = ctx.track(storage.save_path(storage.new_key(ctx.job.user_id, "mixes", fmt), path))
    ctx.record_results({"mix": key})
    return {"format": fmt, "gains": gains, "key": key, "normalised": turned_down_db < 0}
