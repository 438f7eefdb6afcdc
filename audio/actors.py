"""Background work on audio files (Dramatiq actors: thin wrappers over services)."""

import dramatiq

from sonicai.broker import ACTOR_OPTIONS, DEFAULT_QUEUE

from . import services
from .jobs import JobContext, register_actor, run_job
from .models import AudioFile, ProcessingJob


def _analyse_upload(ctx: JobContext) -> dict:
    af = AudioFile.objects.get(pk=ctx.job.audio_file_id)
    ctx.progress(0.05, "waveform")
    services.ensure_waveform(af)
    ctx.progress(0.15, "spectrogram")
    services.ensure_spectrogram(af, ctx=ctx)
    ctx.progress(0.30, "analysis")
    known = ctx.params.get("known_key")
    analysis = services.ensure_analysis(af, progress=ctx.scaled(0.30, 0.99), known_key=tuple(known) if known else None,
                                        known_tempo=ctx.params.get("known_tempo"))
    return {
        "tempo_bpm": analysis.get("tempo_bpm"),
        "key": analysis.get("key"),
        "mode": analysis.get("mode"),
        "loudness_lufs": analysis.get("loudness_lufs"),
    }


@dramatiq.actor(queue_name=DEFAULT_QUEUE, **ACTOR_OPTIONS)
def analyse_upload(job_id: str) -> None:
    run_job(job_id, _analyse_upload)


register_actor(ProcessingJob.Type.ANALYSIS, analyse_upload)
