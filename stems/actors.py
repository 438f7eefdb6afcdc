import dramatiq
from django.conf import settings

from audio.jobs import JobContext, register_actor, run_job
from audio.models import AudioFile, ProcessingJob
from sonicai.broker import AI_HEAVY_QUEUE, DEFAULT_QUEUE

from . import services
from .models import Stem

_LIMITS = {"max_retries": 0, "time_limit": settings.JOB_TIMEOUT_SECONDS * 1000}


def _separate(ctx: JobContext) -> dict:
    return services.separate_audio_file(ctx, AudioFile.objects.get(pk=ctx.job.audio_file_id))


def _mix(ctx: JobContext) -> dict:
    stems = list(Stem.objects.filter(job_id=ctx.params["stems_job_id"]).order_by("created_at"))
    return services.mix_stems(ctx, stems, ctx.params["gains"], ctx.params["format"])


@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **_LIMITS)
def separate_stems(job_id: str) -> None:
    run_job(job_id, _separate)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, **_LIMITS)
def mix_stems(job_id: str) -> None:
    run_job(job_id, _mix)


register_actor(ProcessingJob.Type.STEM_SEPARATION, separate_stems)
register_actor(ProcessingJob.Type.STEM_MIX, mix_stems)
