import dramatiq

from audio.jobs import JobContext, register_actor, run_job
from audio.models import ProcessingJob
from sonicai.broker import ACTOR_OPTIONS, AI_HEAVY_QUEUE

from . import services


def _generate(ctx: JobContext) -> dict:
    return services.generate_for_job(ctx)


@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **ACTOR_OPTIONS)
def generate_music(job_id: str) -> None:
    run_job(job_id, _generate)


register_actor(ProcessingJob.Type.GENERATE, generate_music)
