import dramatiq
from django.conf import settings

from audio.jobs import JobContext, register_actor, run_job
from audio.models import ProcessingJob
from sonicai.broker import AI_HEAVY_QUEUE

from . import services


def _generate(ctx: JobContext) -> dict:
    return services.generate_for_job(ctx)


@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, max_retries=0, time_limit=settings.JOB_TIMEOUT_SECONDS * 1000)
def generate_music(job_id: str) -> None:
    run_job(job_id, _generate)


register_actor(ProcessingJob.Type.GENERATE, generate_music)
