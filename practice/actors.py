"""Background work of the practice app (Dramatiq actors: thin wrappers over services)."""

import dramatiq

from audio.jobs import JobContext, register_actor, run_job
from audio.models import AudioFile, ProcessingJob
from sonicai.broker import ACTOR_OPTIONS, AI_HEAVY_QUEUE

from . import services


def _transcribe(ctx: JobContext) -> dict:
    return services.transcribe_audio_file(ctx, AudioFile.objects.get(pk=ctx.job.audio_file_id))


# basic-pitch is a neural network: the GPU queue.
@dramatiq.actor(queue_name=AI_HEAVY_QUEUE, **ACTOR_OPTIONS)
def transcribe_stems(job_id: str) -> None:
    run_job(job_id, _transcribe)


register_actor(ProcessingJob.Type.TRANSCRIPTION, transcribe_stems)
