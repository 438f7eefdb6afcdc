"""Background work on audio files (Dramatiq actors: thin wrappers over services)."""

import dramatiq
from django.conf import settings

from sonicai.broker import DEFAULT_QUEUE  # noqa: F401  (sets the broker before actors are declared)

from . import services
from .jobs import JobContext, register_actor, run_job
from .models import AudioFile, ProcessingJob

_LIMITS = {"max_retries": 0, "time_limit": settings.JOB_TIMEOUT_SECONDS * 1000}


def _analyse_upload(ctx: JobContext) -> dict:
    af = AudioFile.objects.get(pk=ctx.job.audio_file_id)
    ctx.progress(5, "waveform")
    services.ensure_waveform(af)
    ctx.progress(15, "spectrogram")
    services.ensure_spectrogram(af, ctx=ctx)
    ctx.progress(30, "analysis")
    analysis = services.ensure_analysis(af, progress=lambda pct, stage: ctx.progress(30 + 0.69 * pct, stage))
    return {
        "tempo_bpm": analysis.get("tempo_bpm"),
        "key": analysis.get("key"),
        "mode": analysis.get("mode"),
        "loudness_lufs": analysis.get("loudness_lufs"),
    }


@dramatiq.actor(queue_name=DEFAULT_QUEUE, **_LIMITS)
def analyse_upload(job_id: str) -> None:
    run_job(job_id, _analyse_upload)


register_actor(ProcessingJob.Type.ANALYSIS, analyse_upload)
