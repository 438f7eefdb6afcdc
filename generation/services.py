"""Text-to-music for the studio and the CLI: one entry point over every engine."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from audio import services as audio_services
from audio.jobs import JobError
from audio.models import AudioFile
from audio.validation import typed_title
from sonicai.music.generate.base import EngineUnavailable
from sonicai.music.generate.registry import DEFAULT_MODEL, get_engine, max_duration
from sonicai.music.generate.registry import default_model as registry_default
from sonicai.music.generate.registry import list_models as registry_models
from sonicai.music.progress import Progress

DURATION_RANGE = (5.0, 300.0)
TITLE_CHARS = 60


@dataclass
class Generated:
    audio: np.ndarray
    sr: int
    summary: dict
    midi_bytes: bytes | None = None
    params: dict = field(default_factory=dict)


def list_models() -> list[dict]:
    return registry_models(settings.MODELS_DIR)


def default_model() -> str:
    """The best installed model: what a request that names none gets."""
    return registry_default(settings.MODELS_DIR)


def validate_request(prompt: str, duration: float, model: str) -> None:
    if not prompt or not prompt.strip():
        raise ValueError("Describe the music you want in the prompt.")
    if len(prompt) > 1000:
        raise ValueError("The prompt is limited to 1000 characters.")
    if not DURATION_RANGE[0] <= duration <= DURATION_RANGE[1]:
        raise ValueError(f"The duration must be between {DURATION_RANGE[0]:.0f} and {DURATION_RANGE[1]:.0f} s.")
    models = {m["model"]: m for m in list_models()}
    if model not in models:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(models)}.")
    if not models[model]["installed"]:
        raise ValueError(models[model]["message"])
    limit = max_duration(model)
    if limit is not None and duration > limit:  # refused here so the request fails before a job is queued
        raise ValueError(f"{model} makes at most {limit:.0f} s in one piece.")


def generate(prompt: str, duration: float, seed: int, model: str | None = None, guidance_scale: float = 3.0,
             temperature: float = 1.0, progress: Progress | None = None) -> Generated:
    """Music for ``prompt`` from any engine of the registry (the composer also writes its MIDI); ``model`` None:
    the best installed one."""
    model = model or default_model()
    validate_request(prompt, duration, model)
    params = {"guidance_scale": guidance_scale, "temperature": temperature}
    try:
        engine = get_engine(model, settings.MODELS_DIR, device=settings.TORCH_DEVICE)
        out = engine.generate(prompt, duration, seed, guidance_scale=guidance_scale, temperature=temperature,
                              progress=progress)
    except EngineUnavailable as exc:
        raise JobError(str(exc)) from None
    midi = None
    if out.midi is not None:
        buf = io.BytesIO()
        out.midi.write(buf)
        midi = buf.getvalue()
    return Generated(out.audio, out.sr, dict(out.summary), midi, params)


def track_title(prompt: str, limit: int = TITLE_CHARS) -> str:
    """The start of a prompt as a track's title: cut between words (a word cut in half reads as a typo), with
    "…" when something was left out."""
    words = typed_title(prompt)
    if len(words) <= limit:
        return words
    cut = words[:limit - 1]
    if words[limit - 1] != " " and " " in cut:  # mid-word: drop the partial word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


def track_file_name(user, prompt: str) -> str:
    """The library name of a new generated track: its title, with " (2)", " (3)"… when the user already has a
    generated track of that name, so the same prompt twice gives two files that can be told apart."""
    title = track_title(prompt) or "generated"
    taken = set(AudioFile.objects.filter(user=user, source=AudioFile.Source.GENERATED,
                                         original_name__startswith=title).values_list("original_name", flat=True))
    name, n = f"{title}.wav", 1
    while name in taken:
        n += 1
        name = f"{title} ({n}).wav"
    return name


def generate_for_job(ctx) -> dict:
    from audio import storage

    from .models import GeneratedTrack

    p = ctx.params
    try:
        result = generate(p["prompt"], float(p["duration"]), int(p["seed"]), p.get("model", DEFAULT_MODEL),
                          float(p.get("guidance_scale", 3.0)), float(p.get("temperature", 1.0)),
                          progress=ctx.scaled(0.0, 0.90))
    except ValueError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(0.92, "saving")
    # The composer knows the key and tempo it wrote in; an estimate read an A minor ballad as C major and a 150-BPM
    # jazz waltz at 75.
    written = (result.summary.get("key"), result.summary.get("mode"))
    af = audio_services.save_job_result(ctx, result.audio, result.sr, track_file_name(ctx.job.user, p["prompt"]),
                                        source=AudioFile.Source.GENERATED, known_key=written if all(written) else None,
                                        known_tempo=result.summary.get("tempo_bpm"))
    keys = {"audio": af.s3_key}
    if result.midi_bytes:
        keys["midi"] = storage.save_bytes(storage.new_key(ctx.job.user_id, "midi", "mid"), result.midi_bytes)
    ctx.record_results(keys)
    track = ctx.track_row(GeneratedTrack.objects.create(
        user=ctx.job.user, job=ctx.job, prompt=p["prompt"], duration=af.duration or float(p["duration"]),
        model_used=p.get("model", DEFAULT_MODEL), result_s3_key=af.s3_key, result_file=af, seed=int(p["seed"]),
        model_params={**result.params, "summary": result.summary, "midi_key": keys.get("midi")}))
    return {"track_id": str(track.id), "result_file_id": str(af.id), "has_midi": "midi" in keys, **result.summary}
