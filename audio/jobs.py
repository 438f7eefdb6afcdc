"""The life of a ProcessingJob: created by a request, advanced only by a worker.

``start_job`` creates the row and enqueues its actor; ``run_job`` is what every
actor calls to do the work. It owns every status change a worker makes, so that
no job is ever left ``processing``: the work either completes, fails with a reason,
or stops because the user cancelled it. Files saved through the context are removed
again when the work does not complete.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from sonicai.broker import process_gone, process_identity
from sonicai.middleware import is_storage_outage
from sonicai.music.errors import MusicInputError
from sonicai.music.loaded import after_failure, is_out_of_memory, release_memory
from sonicai.music.progress import Progress, within
from sonicai.music.separation.stems import STEM_NAMES
from sonicai.realtime import broadcast_job

from .models import ProcessingJob
from .storage import delete_quietly

log = logging.getLogger(__name__)
#: A database that stopped answering or dropped the connection (not a query the database refused: that is a bug).
DATABASE_GONE = (OperationalError, InterfaceError)

Status = ProcessingJob.Status


class JobCancelled(Exception):
    """The user cancelled the job while it ran."""


class JobError(Exception):
    """A failure whose message is meant for the user (bad parameters, missing model)."""


class QueueUnavailable(Exception):
    """The broker could not take the job."""


#: The order a job's results are listed in, and so which one ``/jobs/{id}/download`` gives when no ``?name=`` is
#: asked for: the song itself, a mix, all parts at once, the stems in the studio's order, then MIDI and data. The
#: key order of ``result_s3_keys`` cannot say it: PostgreSQL's jsonb keeps keys shortest first ("midi" before
#: "audio", "bass" before "vocals"), SQLite as written.
RESULT_ORDER = ("audio", "mix", "multitrack", *STEM_NAMES, "midi", "notes")
_RESULT_RANK = {name: i for i, name in enumerate(RESULT_ORDER)}


#: What a request about the results of a deleted song's job is told.
SONG_DELETED = "The song this job worked on has been deleted, and the job's results with it."


def result_names(keys: dict[str, str] | None) -> list[str]:
    """The names of a job's stored results in ``RESULT_ORDER`` (names it does not list last, alphabetically)."""
    return sorted(keys or {}, key=lambda name: (_RESULT_RANK.get(name, len(_RESULT_RANK)), name))


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

    If the broker refuses the message the row is deleted again and
    :class:`QueueUnavailable` is raised (the API answers 503): the request was refused, so
    it leaves nothing behind, neither a pending job nor a failed one in the user's list.
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
        log.warning("could not enqueue job %s: %s", job.id, exc)
        job.delete()
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
    # Only a job still running ends here: never overwrite a cancellation that raced with the end of the work, nor
    # the failure the sweep wrote for a worker that stalled (stopped, swapped out) and came back after it.
    ProcessingJob.objects.filter(pk=job.pk, status=Status.PROCESSING).update(**fields)
    job.refresh_from_db()
    broadcast_job(job_payload(job))


class JobContext:
    """Handed to the work function: progress reporting, cancellation, and the job's
    results (stored objects and rows), which are removed again unless the job completes."""

    #: Minimum seconds between progress writes; the last update of a stage always goes through.
    MIN_INTERVAL = 0.5

    def __init__(self, job: ProcessingJob):
        self.job = job
        self.saved_keys: list[str] = []
        self.saved_rows: list[Any] = []
        self.on_completed: list[Callable[[], Any]] = []
        self._last_write = 0.0
        self._last_percent = -1

    @property
    def params(self) -> dict:
        return self.job.input_params or {}

    def check_cancelled(self) -> None:
        try:
            status = ProcessingJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
        except DATABASE_GONE as exc:  # cannot tell now; the next look will (see progress)
            self._database_away(exc)
            return
        if status == Status.CANCELLED:
            raise JobCancelled()

    def _database_away(self, exc: Exception) -> None:
        # A dropped connection (a failover, a restarted pooler) cost the whole job: minutes of separation failed
        # on a progress line. Progress is not worth a job; reconnect at the next write.
        if connection.in_atomic_block:  # a transaction cannot go on without its connection: end the work
            raise exc
        log.warning("job %s: progress not recorded, the database did not answer (%s)", self.job.pk, exc)
        connection.close()

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
        try:
            updated = ProcessingJob.objects.filter(pk=self.job.pk, status=Status.PROCESSING).update(**fields)
        except DATABASE_GONE as exc:
            self._database_away(exc)
            return
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
        self._write_stored()
        return key

    def track_row(self, row):
        """Remember a database row the job created, deleted if the job does not complete
        (a cancel that lands while results are being saved leaves nothing half made)."""
        self.saved_rows.append(row)
        self._write_stored()
        return row

    def _write_stored(self) -> None:
        # On the row as well as here: a worker killed mid-job cannot clean up, the studio's sweep does it then.
        stored = {"keys": list(self.saved_keys), "rows": [[row._meta.label, str(row.pk)] for row in self.saved_rows]}
        _with_database_retries(lambda: ProcessingJob.objects.filter(pk=self.job.pk).update(stored=stored),
                               f"recording what job {self.job.pk} stored", give_up=True)

    def record_results(self, keys: dict[str, str]) -> None:
        """The stored objects a user can download from this job (``/jobs/{id}/download?name=``)."""
        for key in keys.values():
            if key not in self.saved_keys:
                self.track(key)
        self.job.result_s3_keys = dict(keys)
        ProcessingJob.objects.filter(pk=self.job.pk).update(result_s3_keys=self.job.result_s3_keys)

    def discard_results(self) -> None:
        _discard(self.job.pk, [(type(row), row.pk) for row in self.saved_rows], self.saved_keys)


def discard_stored(job_id) -> None:
    """Remove what a job stored before its worker died (the rows, then the files), as its context would have."""
    from django.apps import apps

    job = ProcessingJob.objects.filter(pk=job_id).only("pk", "stored").first()
    stored = (job.stored if job else None) or {}
    rows = []
    for label, pk in stored.get("rows", []):
        try:
            rows.append((apps.get_model(label), pk))
        except LookupError:
            log.warning("job %s stored a row of an unknown model %s", job_id, label)
    _discard(job_id, rows, stored.get("keys", []))


def _discard(job_id, rows: list[tuple[Any, Any]], keys: list[str]) -> None:
    """Delete a job's rows (newest first) and stored objects, and forget them on the job."""
    for model, pk in reversed(rows):
        model.objects.filter(pk=pk).delete()
    for key in keys:
        delete_quietly(key)
    if rows or keys:
        ProcessingJob.objects.filter(pk=job_id).update(result_s3_keys=None, stored={})


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
                try:
                    ProcessingJob.objects.filter(pk=self.job_id, status=Status.PROCESSING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:
                    # A dropped connection must not end the heartbeat of a job that is still working: the
                    # sweep would then fail it. Reconnect at the next beat.
                    log.warning("heartbeat of job %s: %s", self.job_id, exc)
                    connection.close()
        finally:
            close_old_connections()


def _superseded(job: ProcessingJob) -> bool:
    """Whether this worker runs an old copy of the job's message: the job was sent again as lost
    (``requeue_lost_jobs``) while the first message still sat in some worker's prefetch."""
    from dramatiq.middleware import CurrentMessage

    message = CurrentMessage.get_current_message()
    return bool(message is not None and job.task_id and message.message_id != job.task_id)


def _claim(job_id) -> ProcessingJob | None:
    """Move a pending job to processing. A job found already processing was being run
    by a worker that died (the broker redelivered it): that is reported, not rerun."""
    with transaction.atomic():
        job = ProcessingJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in ProcessingJob.ACTIVE:
            return None
        if _superseded(job):
            log.info("job %s: an old copy of its message, sent again since; skipped", job_id)
            return None
        if job.status == Status.PROCESSING:
            reason = "The worker running this job stopped (crash or out of memory)."
            job.status, job.error_message, job.completed_at = Status.FAILED, reason, timezone.now()
            job.save(update_fields=["status", "error_message", "completed_at"])
            transaction.on_commit(lambda: discard_stored(job.pk))
            broadcast_job(job_payload(job))
            return None
        now = timezone.now()
        job.status, job.started_at, job.heartbeat_at = Status.PROCESSING, now, now
        job.attempts += 1
        # Which process runs it (host:pid), so a sweep on the same host can tell at once that it is gone.
        job.progress, job.stage, job.worker = 1, "starting", process_identity()
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "progress", "stage", "worker"])
    broadcast_job(job_payload(job))
    return job


_PATH = re.compile(r"(?:/[\w.+-]+)+/([\w.+-]+)")


def _without_paths(message: str) -> str:
    """The server's folders are none of the user's business: keep only file names."""
    return _PATH.sub(r"\1", message)


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
        result = _finite(work(ctx), f"job {job_id}")
        status = Status.COMPLETED
    except JobCancelled:
        status = Status.CANCELLED
    except TimeLimitExceeded:
        error = f"The job took longer than its time limit of {settings.JOB_TIMEOUT_SECONDS} s."
    except JobError as exc:
        error = str(exc)
    except MusicInputError as exc:  # this audio or these settings will not do: said as it is, no traceback
        if _cancelled_meanwhile(job.pk):
            status = Status.CANCELLED
        else:
            log.info("job %s: %s", job_id, exc)
            error = _without_paths(exc.sentence())
        after_failure(exc)
    except Exception as exc:
        if _cancelled_meanwhile(job.pk):
            # Cancelled under the work (the song deleted, its rows gone): the cancel, not a fault, ended it.
            log.info("job %s cancelled while it ran (%s)", job_id, type(exc).__name__)
            status = Status.CANCELLED
        elif isinstance(exc, FileNotFoundError):
            log.exception("job %s failed", job_id)
            error = ("A stored file this job needs is missing from the file storage (deleted while the job ran "
                     "or waited, or lost by the storage).")
        elif isinstance(exc, DATABASE_GONE):
            log.warning("job %s failed: the database did not answer (%s)", job_id, exc)
            error = DATABASE_AWAY
        elif is_storage_outage(exc):
            log.warning("job %s failed: the file storage did not answer (%s)", job_id, exc)
            error = "The file storage did not answer while this job ran; start it again once it is back."
        else:
            log.exception("job %s failed", job_id)
            error = _internal_error(exc)
        # the traceback holds the job's tensors: drop it, then give the memory back (the GPU's too)
        after_failure(exc)
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
    close_old_connections()  # a connection that broke under the work is not used to write how it ended
    _with_database_retries(lambda: _settle(job, ctx, status, error, result), f"ending job {job_id}")
    close_old_connections()


def _finite(value: Any, where: str) -> Any:
    """The result with NaN and infinities as null: JSON has no such numbers, and the database refuses the
    whole row for one, which would leave a finished job looking like a crashed worker's."""
    if isinstance(value, float) and not math.isfinite(value):
        log.warning("%s: a %s in its result is stored as null", where, value)
        return None
    if isinstance(value, dict):
        return {k: _finite(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v, where) for v in value]
    return value


#: Pauses between tries of a status write that met a dropped database connection (seconds).
DATABASE_RETRY_PAUSES = (1.0, 3.0, 10.0)


DATABASE_AWAY = "The studio's database did not answer while this job ran; start it again in a minute."


def _with_database_retries(write: Callable[[], Any], what: str, give_up: bool = False) -> None:
    """Run ``write``, reconnecting after a dropped connection: the work failed on the dead connection, and the
    write of that failure would fail on it again and leave the job "processing". If the database stays away,
    the job's heartbeat has stopped and the sweep fails it once the database is back. ``give_up``: raise the
    last error instead (a write the job cannot go on without)."""
    for pause in (*DATABASE_RETRY_PAUSES, None):
        try:
            write()
            return
        except DatabaseError as exc:
            if connection.in_atomic_block:  # a transaction cannot go on without its connection
                raise
            connection.close()
            if pause is None:
                if give_up:
                    raise
                log.error("%s: the database did not answer (%s); the sweep will end it", what, exc)
                return
            log.warning("%s: %s; reconnecting in %.0f s", what, exc, pause)
            time.sleep(pause)


def _cancelled_meanwhile(pk) -> bool:
    try:
        return ProcessingJob.objects.filter(pk=pk, status=Status.CANCELLED).exists()
    except DatabaseError:  # the database is the trouble: report the job's own error, as before
        return False


def _internal_error(exc: BaseException) -> str:
    if is_out_of_memory(exc):
        return ("The server ran out of memory for this job (on the GPU or in RAM): try a shorter file or region, "
                "or a smaller model.")
    return f"Internal error: {type(exc).__name__}: {_without_paths(str(exc))}"


def _settle(job: ProcessingJob, ctx: JobContext, status: str, error: str, result: dict | None) -> None:
    """Write how the work ended (a cancellation is already written) and run the completed job's follow-ups."""
    if status != Status.COMPLETED:
        ctx.discard_results()
        release_memory()
    if status == Status.CANCELLED:
        job.refresh_from_db()
        broadcast_job(job_payload(job))
        return
    _finish(job, status, error=error, result=result)
    if job.status != status and status == Status.COMPLETED:  # cancelled at the very end, or failed meanwhile
        log.warning("job %s ended %s before its work did; its results are removed", job.pk, job.status)
        ctx.discard_results()
    elif job.status == Status.COMPLETED:
        for callback in ctx.on_completed:
            try:
                callback()
            except Exception:  # e.g. the queue is down: the result stays, its analysis starts on demand
                log.warning("follow-up of job %s failed", job.pk, exc_info=True)


WORKER_GONE = "The worker running this job stopped responding (crash, restart or out of memory); start it again."
STUDIO_STOPPED = "The studio was stopped while this job ran; start it again."


def reap_stale_jobs(now=None, reason: str = WORKER_GONE) -> int:
    """Fail jobs whose worker is gone: at once when it ran on this host and its process
    has exited, otherwise after three missed heartbeats (plus slack). Returns how many."""
    now = now or timezone.now()
    silence = timedelta(seconds=3 * settings.JOB_HEARTBEAT_SECONDS + 5)
    count = 0
    for job in ProcessingJob.objects.filter(status=Status.PROCESSING).only("pk", "worker", "heartbeat_at"):
        if job.heartbeat_at and job.heartbeat_at >= now - silence and not process_gone(job.worker):
            continue
        if ProcessingJob.objects.filter(pk=job.pk, status=Status.PROCESSING, worker=job.worker).update(
            status=Status.FAILED, error_message=reason, completed_at=now
        ):
            discard_stored(job.pk)
            job.refresh_from_db()
            broadcast_job(job_payload(job))
            count += 1
    return count


#: A pending job this old whose queue message is gone (a Redis that keeps nothing on disk restarted, or the
#: message was dead-lettered before the job was claimed) is sent again.
LOST_MESSAGE_AFTER = timedelta(seconds=60)


def requeue_lost_jobs(now=None) -> int:
    """Send again the pending jobs whose queue message the broker no longer holds; returns how many.
    Jobs whose message the broker cannot be asked about (the in-process test broker) are left alone."""
    from sonicai.broker import waiting_message_ids

    now = now or timezone.now()
    count = 0
    stale = ProcessingJob.objects.filter(status=Status.PENDING, created_at__lt=now - LOST_MESSAGE_AFTER)
    waiting: dict[str, set[str] | None] = {}
    for job in stale.exclude(task_id="").only("pk", "job_type", "queue", "task_id"):
        if job.queue not in waiting:
            waiting[job.queue] = waiting_message_ids(job.queue)
        if waiting[job.queue] is None or job.task_id in waiting[job.queue]:
            continue
        try:
            actor = actor_for(job.job_type)
        except JobError:
            continue
        message = actor.message(str(job.pk))
        # Conditional on the old message id: of several sweeping processes, one sends it.
        if ProcessingJob.objects.filter(pk=job.pk, status=Status.PENDING, task_id=job.task_id).update(
            task_id=message.message_id
        ):
            actor.broker.enqueue(message)
            log.warning("job %s had lost its queue message; sent it again", job.pk)
            count += 1
    return count


#: The stage of a pending job while no worker takes its queue's jobs (a Procfile's GPU worker is down, or none
#: was started): the user sees why the job does not start, instead of a job waiting without a word.
NO_WORKER_STAGE = "Waiting for a worker: none is taking this kind of job right now. It starts once one does."
NO_WORKER_AFTER = timedelta(seconds=10)


def mark_jobs_without_worker(now=None) -> int:
    """Give the pending jobs of queues that no live worker takes the NO_WORKER_STAGE, and take it off again once
    a worker is back; returns how many jobs changed. Nothing changes where the broker cannot tell."""
    from sonicai.broker import live_workers

    pending = ProcessingJob.objects.filter(status=Status.PENDING)
    if not pending.exists():  # the usual sweep: nothing to say, no need to ask the broker
        return 0
    workers = live_workers()
    if workers is None:
        return 0
    now = now or timezone.now()
    unstaffed = [queue for queue, count in workers.items() if not count]
    waiting = pending.filter(queue__in=unstaffed, stage="", created_at__lt=now - NO_WORKER_AFTER)
    staffed_again = pending.filter(stage=NO_WORKER_STAGE).exclude(queue__in=unstaffed)
    changed = _restage(waiting, "", NO_WORKER_STAGE) + _restage(staffed_again, NO_WORKER_STAGE, "")
    for job in changed:
        broadcast_job(job_payload(job))
    return len(changed)


def _restage(jobs, old: str, new: str) -> list[ProcessingJob]:
    """Move these pending jobs from stage ``old`` to ``new``, each conditionally (another process sweeping,
    or a worker claiming the job, may get there first); returns those this call changed."""
    changed = []
    for job in jobs:
        if ProcessingJob.objects.filter(pk=job.pk, status=Status.PENDING, stage=old).update(stage=new):
            job.stage = new
            changed.append(job)
    return changed


def sweep_jobs() -> tuple[int, int]:
    """What every studio process does now and then: fail the jobs whose worker died, send again the jobs whose
    message was lost, say which jobs wait for a worker that is not there. Returns (failed, sent again)."""
    failed, resent = reap_stale_jobs(), requeue_lost_jobs()
    mark_jobs_without_worker()
    return failed, resent


#: Seconds between two sweeps of a web or worker process.
SWEEP_EVERY = 15.0


class JobSweeper(threading.Thread):
    """Sweeps in the background of a web or worker process, so that a studio run from a Procfile (no
    ``manage.py studio`` supervising it) never leaves a job processing or pending for good. Several
    processes sweeping at once is safe: each change is a conditional update."""

    def __init__(self, every: float = SWEEP_EVERY):
        super().__init__(daemon=True, name="job-sweeper")
        self.every = every

    def run(self) -> None:
        while True:  # a daemon thread: it ends with its process
            time.sleep(self.every)
            try:
                failed, resent = sweep_jobs()
                if failed or resent:
                    log.warning("job sweep: %d failed (worker gone), %d sent again (message lost)", failed, resent)
            except Exception as exc:  # the database or the broker may be restarting: the next sweep tries again
                log.warning("job sweep: %s", exc)
            finally:
                close_old_connections()


#: job_type -> actor, filled in by each app's actors module (for retries).
ACTORS: dict[str, Any] = {}


def register_actor(job_type: str, actor) -> Any:
    ACTORS[job_type] = actor
    return actor


def actor_for(job_type: str):
    """The actor that runs jobs of this type (every app's actors module registers its own)."""
    if job_type not in ACTORS:
        from sonicai.broker import import_actor_modules

        import_actor_modules()
    try:
        return ACTORS[job_type]
    except KeyError:
        raise JobError(f"No worker handles {job_type} jobs.") from None


def start_analysis(user, audio_file, known_key: tuple[str, str] | None = None,
                   known_tempo: float | None = None) -> ProcessingJob:
    """Queue the analysis (waveform, spectrogram, tempo/key/loudness) of a library file; ``known_key``
    (tonic, mode) and ``known_tempo`` (BPM) are stated instead of estimated (music generated in a known key and
    tempo)."""
    params = {**({"known_key": list(known_key)} if known_key else {}),
              **({"known_tempo": float(known_tempo)} if known_tempo else {})} or None
    return start_job(user, ProcessingJob.Type.ANALYSIS, actor_for(ProcessingJob.Type.ANALYSIS), audio_file=audio_file,
                     params=params)


def retry_job(job: ProcessingJob) -> ProcessingJob:
    """Start a fresh job with the same type, file and parameters as an ended one."""
    if job.song_deleted:  # it would fail at once in the worker, with "AudioFile matching query does not exist"
        raise JobError("Its song has been deleted, so there is nothing to run it on.")
    return start_job(job.user, job.job_type, actor_for(job.job_type), audio_file=job.audio_file,
                     params=job.input_params)
