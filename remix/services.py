"""Remix jobs: run the pipeline (sonicai.music.remix) on a stored file and save the result as a new file."""

from __future__ import annotations

from django.conf import settings

from audio import services as audio_services
from audio.describe import remix_name, song_title
from audio.models import AudioFile, ProcessingJob
from sonicai.music.remix.genres import ARRANGER
from sonicai.music.remix.pipeline import RemixParams, run_remix

from .models import Remix


def rendered_key_and_tempo(params: RemixParams, summary: dict, source_bpm: float | None
                           ) -> tuple[tuple[str, str] | None, float | None]:
    """What a render was set to, stated by its analysis instead of estimated again (a remix named "53 BPM" was
    analysed at 105, a 180-BPM one at 90): the arranger's key and tempo for a genre remix; for the others the
    source's tempo times the stretch (pitch and effects leave it as it was). A MusicGen render keeps neither."""
    if params.genre:
        if params.genre_engine != ARRANGER or not summary.get("tempo_bpm"):
            return None, None
        key = (summary["key"], summary["mode"]) if summary.get("key") and summary.get("mode") else None
        return key, float(summary["tempo_bpm"])
    if not source_bpm:
        return None, None
    return None, float(source_bpm) * float(summary.get("tempo_ratio") or 1.0)


def params_from(data: dict) -> RemixParams:
    return RemixParams(
        genre=data.get("genre") or None, tempo_change=data.get("tempo_change"), target_bpm=data.get("target_bpm"),
        pitch=float(data.get("pitch") or 0.0), preserve_formants=bool(data.get("preserve_formants")),
        effects=data.get("effects") or None, start=data.get("start"), end=data.get("end"),
        seed=int(data.get("seed") or 0), genre_engine=data.get("genre_engine") or ARRANGER,
    )


def _stems_of(af: AudioFile) -> dict | None:
    """Stems from the newest completed separation of the whole file, if there is one: read through the
    separation job's result keys, so the remix app needs nothing of the stems app."""
    from audio import storage
    from sonicai.music.audio_io import load_audio

    job = (ProcessingJob.objects.filter(audio_file=af, job_type=ProcessingJob.Type.STEM_SEPARATION,
                                        status=ProcessingJob.Status.COMPLETED, result_s3_keys__has_key="vocals")
           .order_by("-completed_at").first())
    if job is None or (job.input_params or {}).get("start") is not None:
        return None
    out = {}
    for name, key in job.result_s3_keys.items():
        with storage.local_copy(key) as path:
            out[name] = load_audio(path)[0]
    return out


def remix_audio_file(ctx, af: AudioFile) -> dict:
    params = params_from(ctx.params)
    ctx.progress(0.02, "loading audio")
    audio, sr = audio_services.load(af)
    stems = _stems_of(af) if params.genre and params.start is None and params.end is None else None
    analysis = af.analysis or None
    source_bpm = (analysis or {}).get("tempo_bpm")
    out = run_remix(audio, sr, params, source_bpm=source_bpm, stems=stems, analysis=analysis,
                    progress=ctx.scaled(0.05, 0.90), models_dir=settings.MODELS_DIR)
    ctx.progress(0.92, "saving")
    name = remix_name(song_title(af.original_name), ctx.job.job_type, ctx.params, _jsonable(out.summary))
    known_key, known_tempo = rendered_key_and_tempo(params, out.summary, source_bpm)
    result = audio_services.save_job_result(ctx, out.audio, out.sr, name, source=AudioFile.Source.REMIX, parent=af,
                                            known_key=known_key, known_tempo=known_tempo)
    remix = ctx.track_row(Remix.objects.create(
        user=ctx.job.user, job=ctx.job, original_file=af, result_file=result, genre=params.genre or "",
        tempo_change=_percent(out.summary), pitch_change=params.pitch, effects_applied=params.effects or None))
    return {"remix_id": str(remix.id), "result_file_id": str(result.id), **_jsonable(out.summary)}


def _percent(summary: dict) -> float:
    rate = summary.get("tempo_ratio")
    if rate is None and summary.get("source_bpm") and summary.get("tempo_bpm"):
        rate = summary["tempo_bpm"] / summary["source_bpm"]
    return round((rate - 1.0) * 100, 3) if rate else 0.0


def _jsonable(d):
    import json

    return json.loads(json.dumps(d, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
