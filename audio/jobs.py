"""The life of a ProcessingJob: created by a request, advanced only by a worker.

``start_job`` creates the row and enqueues its actor; ``run_job`` is what every
actor calls to do the work. It owns every status change a worker makes, so that
no job is ever left ``processing``: the work either completes, fails with a reason,
or stops because the user cancelled it. Files saved through the context are removed
again when the work does not complete.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from sonicai.music.progress import Progress, within
from sonicai.realtime import broadcast_job

from .models import ProcessingJob
from .storage import delete_quietly

log = logging.getLogger(__name__)

Status = ProcessingJob.Status


class JobCancelled(Exception):
    """The user cancelled the job while it ran."""


class JobError(Exception):
    """A failure whose message is meant for the user (bad parameters, missing model)."""


class QueueUnavailable(Exception):
    """The broker could not take the job."""


def job_payload(job: ProcessingJob) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "job_type": job.job_type,
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "error_message": job.error_message or None,
        "audio_file_id": str(job.audio_file_id) if job.audio_file_id else None,
        "result": job.result,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "completed_at": job.completed_at.isoformat() if job.completed_at else None,
    }


def start_job(user, job_type: str, actor, audio_file=None, params: dict | None = None) -> ProcessingJob:
    """Create a pending job and enqueue ``actor(job_id)``.

    If the broker refuses the message the job is marked failed at once and
    :class:`QueueUnavailable` is raised, so no pending row is left behind.
    """
    job = ProcessingJob.objects.create(
        user=user,
        job_type=job_type,
        audio_file=audio_file,
        input_params=params or {},
        queue=actor.queue_name,
    )
    try:
        message = actor.send(str(job.id))
    except Exception as exc:
        log.exception("could not enqueue job %s", job.id)
        _finish(job, Status.FAILED, error="The job queue is unavailable; try again shortly.")
        raise QueueUnavailable(str(exc)) from exc
    ProcessingJob.objects.filter(pk=job.pk).update(task_id=message.message_id)
    job.task_id = message.message_id
    return job


def cancel_job(job: ProcessingJob) -> bool:
    """Cancel a pending or running job. Returns False when it had already ended."""
    updated = ProcessingJob.objects.filter(pk=job.pk, status__in=ProcessingJob.ACTIVE).update(
        status=Status.CANCELLED, completed_at=timezone.now(), stage="cancelled"
    )
    job.refresh_from_db()
    if updated:
        broadcast_job(job_payload(job))
    return bool(updated)


def _finish(job: ProcessingJob, status: str, error: str = "", result: dict | None = None) -> None:
    fields = {"status": status, "completed_at": timezone.now(), "error_message": error[:4000]}
    if status == Status.COMPLETED:
        fields.update(progress=100, stage="done", result=result)
    # Never overwrite a cancellation that raced with the end of the work.
    ProcessingJob.objects.filter(pk=job.pk).exclude(status=Status.CANCELLED).update(**fields)
    job.refresh_from_db()
    broadcast_job(job_payload(job))


class JobContext:
    """Handed to the work function: progress reporting, cancellation, file tracking."""

    #: Minimum seconds between progress writes; the last update of a stage always goes through.
    MIN_INTERVAL = 0.5

    def __init__(self, job: ProcessingJob):
        self.job = job
        self.saved_keys: list[str] = []
        self._last_write = 0.0
        self._last_percent = -1

    @property
    def params(self) -> dict:
        return self.job.input_params or {}

    def check_cancelled(self) -> None:
        status = ProcessingJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
        if status == Status.CANCELLED:
            raise JobCancelled()

    def progress(self, fraction: float, stage: str | None = None) -> None:
        """Record progress (a fraction 0..1, shown as a percent) and push it to listeners; raises JobCancelled
        if cancelled. This is a :data:`sonicai.music.progress.Progress`: engines report to it directly."""
        percent = int(max(0, min(99, round(100 * fraction))))
        now = time.monotonic()
        stage_changed = stage is not None and stage != self.job.stage
        if not stage_changed and (percent <= self._last_percent or now - self._last_write < self.MIN_INTERVAL):
            return
        self._last_write, self._last_percent = now, percent
        fields = {"progress": percent, "heartbeat_at": timezone.now()}
        if stage is not None:
            fields["stage"] = stage[:200]
        updated = ProcessingJob.objects.filter(pk=self.job.pk, status=Status.PROCESSING).update(**fields)
        if not updated:
            self.check_cancelled()
            return
        for key, value in fields.items():
            setattr(self.job, key, value)
        broadcast_job(job_payload(self.job))

    def scaled(self, start: float, end: float) -> Progress:
        """The callback for one stretch of the job: the part's own 0..1 lands on ``start..end`` of the job."""
        return within(self.progress, start, end)

    def track(self, key: str) -> str:
        """Remember a stored object so it is deleted if the job does not complete."""
        self.saved_keys.append(key)
        return key


class _Heartbeat(threading.Thread):
    """Touches the row while a long, silent computation runs, so the reaper can tell
    a slow job from a dead worker."""

    def __init__(self, job_id, interval: float):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id, self.interval = job_id, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                ProcessingJob.objects.filter(pk=self.job_id, status=Status.PROCESSING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            close_old_connections()


def _claim(job_id) -> ProcessingJob | None:
    """Move a pending job to processing. A job found already processing was being run
    by a worker that died (the broker redelivered it): that is reported, not rerun."""
    with transaction.atomic():
        job = ProcessingJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in ProcessingJob.ACTIVE:
            return None
        if job.status == Status.PROCESSING:
            reason = "The worker running this job stopped (crash or out of memory)."
            job.status, job.error_message, job.completed_at = Status.FAILED, reason, timezone.now()
            job.save(update_fields=["status", "error_message", "completed_at"])
            broadcast_job(job_payload(job))
            return None
        now = timezone.now()
        job.status, job.started_at, job.heartbeat_at = Status.PROCESSING, now, now
        job.attempts += 1
        job.progress, job.stage = 1, "starting"
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "progress", "stage"])
    broadcast_job(job_payload(job))
    return job


def run_job(job_id, work: Callable[[JobContext], dict | None]) -> None:
    """Run ``work`` for the job, owning every status change; see the module docstring."""
    from dramatiq.middleware.time_limit import TimeLimitExceeded

    close_old_connections()
    job = _claim(job_id)
    if job is None:
        return
    ctx = JobContext(job)
    heartbeat = _Heartbeat(job.pk, settings.JOB_HEARTBEAT_SECONDS)
    heartbeat.start()
    status, error, result = Status.FAILED, "", None
    try:
        result = work(ctx)
        status = Status.COMPLETED
    except JobCancelled:
        status = Status.CANCELLED
    except TimeLimitExceeded:
        error = f"The job took longer than its time limit of {settings.JOB_TIMEOUT_SECONDS} s."
    except JobError as exc:
        error = str(exc)
    except Exception as exc:
        log.exception("job %s failed", job_id)
        error = f"Internal error: {type(exc).__name__}: {exc}"
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
    if status != Status.COMPLETED:
        for key in ctx.saved_keys:
            delete_quietly(key)
    if status == Status.CANCELLED:
        job.refresh_from_db()
        broadcast_job(job_payload(job))
    else:
        _finish(job, status, error=error, result=result)
        if job.status == Status.CANCELLED:  # cancelled at the very end: drop its results
            for key in ctx.saved_keys:
                delete_quietly(key)
    close_old_connections()


def reap_stale_jobs(now=None) -> int:
    """Fail jobs whose worker went silent: no heartbeat for three intervals (plus slack).
    Returns how many were failed."""
    now = now or timezone.now()
    silence = timedelta(seconds=3 * settings.JOB_HEARTBEAT_SECONDS + 30)
    stale = ProcessingJob.objects.filter(status=Status.PROCESSING, heartbeat_at__lt=now - silence)
    count = 0
    for job in stale:
        reason = "The worker running this job stopped responding (crash, restart or out of memory)."
        if ProcessingJob.objects.filter(pk=job.pk, status=Status.PROCESSING).update(
            status=Status.FAILED, error_message=reason, completed_at=now
        ):
            job.refresh_from_db()
            broadcast_job(job_payload(job))
            count += 1
    return count


#: job_type -> actor, filled in by each app's actors module (for retries).
ACTORS: dict[str, Any] = {}


def register_actor(job_type: str, actor) -> Any:
    ACTORS[job_type] = actor
    return actor


def retry_job(job: ProcessingJob) -> ProcessingJob:
    """Start a fresh job with the same type, file and parameters as an ended one."""
    from sonicai.broker import import_actor_modules

    import_actor_modules()
    actor = ACTORS.get(job.job_type)
    if actor is None:
        raise JobError(f"No worker handles {job.job_type} jobs.")
    return start_job(job.user, job.job_type, actor, audio_file=job.audio_file, params=job.input_params)
