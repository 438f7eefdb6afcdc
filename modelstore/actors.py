import dramatiq

from audio.jobs import JobContext, register_actor, run_job
from audio.models import ProcessingJob
from sonicai.broker import ACTOR_OPTIONS, AI_HEAVY_QUEUE

from . import services


def _install(ctx: JobContext) -> dict:
    return services.install_for_job(ctx)


# On the ai_heavy queue: the GPU hosts are the ones whose SONICAI_MODELS_DIR needs the weights.
@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **{**ACTOR_OPTIONS, "time_limit": 6 * 3600 * 1000})
def install_model(job_id: str) -> None:
    run_job(job_id, _install)


register_actor(ProcessingJob.Type.MODEL_INSTALL, install_model)
