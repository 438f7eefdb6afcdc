import dramatiq

from audio.jobs import JobContext, register_actor, run_job
from audio.models import AudioFile, ProcessingJob
from sonicai.broker import ACTOR_OPTIONS, AI_HEAVY_QUEUE, DEFAULT_QUEUE

from . import services
from .models import Stem


def _separate(ctx: JobContext) -> dict:
    return services.separate_audio_file(ctx, AudioFile.objects.get(pk=ctx.job.audio_file_id))


def _mix(ctx: JobContext) -> dict:
    stems = list(Stem.objects.filter(job_id=ctx.params["stems_job_id"]).order_by("created_at"))
    return services.mix_stems(ctx, stems, ctx.params["gains"], ctx.params["format"])


@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **ACTOR_OPTIONS)
def separate_stems(job_id: str) -> None:
    run_job(job_id, _separate)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, **ACTOR_OPTIONS)
def mix_stems(job_id: str) -> None:
    run_job(job_id, _mix)


register_actor(ProcessingJob.Type.STEM_SEPARATION, separate_stems)
register_actor(ProcessingJob.Type.STEM_MIX, mix_stems)
