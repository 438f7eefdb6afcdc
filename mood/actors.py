import dramatiq

from audio.jobs import JobContext, register_actor, run_job
from audio.models import AudioFile, ProcessingJob
from sonicai.broker import ACTOR_OPTIONS, AI_HEAVY_QUEUE

from . import services


def _classify(ctx: JobContext) -> dict:
    return services.classify_audio_file(ctx, AudioFile.objects.get(pk=ctx.job.audio_file_id))


@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **ACTOR_OPTIONS)
def classify_mood(job_id: str) -> None:
    run_job(job_id, _classify)


register_actor(ProcessingJob.Type.MOOD_CLASSIFY, classify_mood)
