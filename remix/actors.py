import dramatiq

from audio.jobs import JobContext, register_actor, run_job
from audio.models import AudioFile, ProcessingJob
from sonicai.broker import ACTOR_OPTIONS, AI_HEAVY_QUEUE, DEFAULT_QUEUE

from . import services


def _remix(ctx: JobContext) -> dict:
    return services.remix_audio_file(ctx, AudioFile.objects.get(pk=ctx.job.audio_file_id))


# Genre remixes run the separation network and the arranger: the GPU queue.
@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **ACTOR_OPTIONS)
def genre_remix(job_id: str) -> None:
    run_job(job_id, _remix)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, **ACTOR_OPTIONS)
def dsp_remix(job_id: str) -> None:
    run_job(job_id, _remix)


register_actor(ProcessingJob.Type.REMIX, genre_remix)
for _type in (ProcessingJob.Type.TEMPO, ProcessingJob.Type.PITCH, ProcessingJob.Type.EFFECTS):
    register_actor(_type, dsp_remix)
