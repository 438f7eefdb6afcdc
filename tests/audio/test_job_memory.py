"""A job that runs the device out of memory fails with a reason a musician understands, and the worker keeps no
model and no tensor of it (the GPU's memory is handed back; CUDA is monkeypatched, there is no GPU here)."""

import dramatiq
import pytest
import torch

from audio.jobs import run_job, start_job
from sonicai.broker import DEFAULT_QUEUE
from sonicai.music import loaded

pytestmark = [pytest.mark.django_db(transaction=True)]


def _runs_out_of_memory(ctx):
    ctx.progress(0.5, "separating")
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 6.00 GiB (GPU 0; 23.6 GiB total capacity)")


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_out_of_memory(job_id):
    run_job(job_id, _runs_out_of_memory)


def test_out_of_memory_fails_the_job_clearly_and_frees_the_gpu(user, run_jobs, monkeypatch):
    emptied = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))
    cache = loaded.LoadedModels(cap_bytes=10**9)
    monkeypatch.setattr(loaded, "LOADED", cache)
    cache.get(("htdemucs",), lambda: torch.nn.Linear(4, 4), "cuda")
    emptied.clear()
    job = start_job(user, "stem_separation", t_out_of_memory)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and job.error_message.startswith("The server ran out of memory for this job")
    assert "try a shorter file or region, or a smaller model" in job.error_message
    assert cache.keys() == [] and emptied
