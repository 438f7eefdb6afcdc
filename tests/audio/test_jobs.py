"""The job life cycle through a real Dramatiq worker: progress, failure with a reason,
cancellation, time limits, and dead workers."""

import threading
import time
from datetime import timedelta

import dramatiq
import pytest
from django.utils import timezone

from audio.jobs import JobError, reap_stale_jobs, run_job, start_job
from audio.models import ProcessingJob
from audio.services import save_job_result
from sonicai.broker import DEFAULT_QUEUE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
seen_progress: list[int] = []
started = threading.Event()


def _steps(ctx):
    for pct in (10, 40, 70, 90):
        ctx.progress(pct / 100, f"step {pct}")
        seen_progress.append(ctx.job.progress)
        time.sleep(0.6)  # longer than the progress write interval
    return {"answer": 42}


def _fails(ctx):
    ctx.progress(0.20, "about to fail")
    raise JobError("The model weights are missing: put them in models/x.")


def _crashes(ctx):
    return {}["missing"]


def _waits_for_cancel(ctx):
    started.set()
    for _ in range(200):
        ctx.progress(min(90, ctx.job.progress + 1) / 100, "working")
        ctx.check_cancelled()
        time.sleep(0.05)
    return {}


def _too_slow(ctx):
    for _ in range(100):
        time.sleep(0.05)
    return {}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_steps(job_id):
    run_job(job_id, _steps)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_fails(job_id):
    run_job(job_id, _fails)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_crashes(job_id):
    run_job(job_id, _crashes)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_waits(job_id):
    run_job(job_id, _waits_for_cancel)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0, time_limit=1000)
def t_slow(job_id):
    run_job(job_id, _too_slow)


def _loses_its_database(ctx):
    from django.db import connection

    with connection.cursor() as cursor:  # the server drops this worker's connection, as a failover does
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return {}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_loses_db(job_id):
    run_job(job_id, _loses_its_database)


def _stores_then_checks(ctx):
    from audio import storage

    key = ctx.track(storage.save_bytes(storage.new_key(ctx.job.user_id, "test", "bin"), b"partial"))
    # what is stored is on the job's row as soon as it is stored: the sweep can remove it if this process dies
    return {"on_row": ProcessingJob.objects.get(pk=ctx.job.pk).stored["keys"] == [key]}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_stores(job_id):
    run_job(job_id, _stores_then_checks)


def test_job_reports_progress_and_completes(user, api, run_jobs):
    seen_progress.clear()
    job = start_job(user, "analysis", t_steps, params={"x": 1})
    assert job.task_id
    run_jobs()
    job.refresh_from_db()
    assert job.status == "completed" and job.progress == 100 and job.result == {"answer": 42}
    assert seen_progress == [10, 40, 70, 90]
    assert job.started_at and job.completed_at and job.completed_at >= job.started_at
    body = api.get(f"/api/v1/jobs/{job.id}").json()
    assert {"id", "job_type", "status", "progress", "error_message"} <= set(body)
    assert body["status"] == "completed"


def test_failures_keep_a_reason(user, run_jobs):
    a = start_job(user, "analysis", t_fails)
    b = start_job(user, "analysis", t_crashes)
    run_jobs()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == "failed" and "weights are missing" in a.error_message
    assert b.status == "failed" and "KeyError" in b.error_message


def test_time_limit_fails_the_job(user, run_jobs):
    job = start_job(user, "analysis", t_slow)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "time limit" in job.error_message


def test_cancel_pending_job_via_api(user, api, run_jobs):
    job = start_job(user, "analysis", t_steps)
    res = api.delete(f"/api/v1/jobs/{job.id}")
    assert res.status_code == 200 and res.json()["status"] == "cancelled"
    run_jobs()
    job.refresh_from_db()
    assert job.status == "cancelled" and job.result is None
    assert api.delete(f"/api/v1/jobs/{job.id}").status_code == 409


def test_cancel_running_job(user, api, run_jobs):
    started.clear()
    job = start_job(user, "analysis", t_waits)
    runner = threading.Thread(target=run_jobs)
    runner.start()
    assert started.wait(30)
    assert api.delete(f"/api/v1/jobs/{job.id}").json()["status"] == "cancelled"
    runner.join(60)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert job.progress < 100


def _song_deleted_under_it(ctx):
    from audio.jobs import cancel_job
    from audio.models import AudioFile

    cancel_job(ctx.job)  # what deleting the song does to its jobs
    AudioFile.objects.get(pk="00000000-0000-0000-0000-000000000000")  # the work then finds its rows gone


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_song_deleted(job_id):
    run_job(job_id, _song_deleted_under_it)


def test_a_job_whose_song_is_deleted_under_it_ends_cancelled_not_failed(user, run_jobs, caplog):
    job = start_job(user, "analysis", t_song_deleted)
    with caplog.at_level("INFO", logger="audio.jobs"):
        run_jobs()
    job.refresh_from_db()
    assert job.status == "cancelled" and not job.error_message
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no "job failed" and traceback in the log


def test_dead_worker_leaves_failed_job(user):
    job = start_job(user, "analysis", t_steps)
    ProcessingJob.objects.filter(pk=job.pk).update(
        status="processing", heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert reap_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error_message


def test_jobs_stopped_with_the_studio_say_so_not_that_a_worker_crashed(user):
    """Ctrl-C on the studio failed its running jobs with "stopped responding (crash, restart or out of memory)"."""
    from audio.jobs import STUDIO_STOPPED

    job = start_job(user, "analysis", t_steps)
    ProcessingJob.objects.filter(pk=job.pk).update(
        status="processing", heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert reap_stale_jobs(reason=STUDIO_STOPPED) == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.error_message == "The studio was stopped while this job ran; start it again."


def test_a_dropped_database_connection_still_ends_the_job_failed(user, run_jobs, monkeypatch):
    from django.db import connection

    import audio.jobs

    if connection.vendor != "postgresql":
        pytest.skip("needs a database server that can drop a connection (the PostgreSQL pass runs it)")

    monkeypatch.setattr(audio.jobs, "DATABASE_RETRY_PAUSES", (0.1, 0.1, 0.1))
    job = start_job(user, "analysis", t_loses_db)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and job.error_message == audio.jobs.DATABASE_AWAY, job.error_message


def _drops_progress_once(ctx):
    ctx.progress(0.2, "first step")
    ctx.progress(0.6, "second step")  # meets the dropped connection
    ctx.progress(0.9, "third step")
    return {"done": True}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_drops_progress(job_id):
    run_job(job_id, _drops_progress_once)


def test_a_progress_line_that_meets_a_dropped_connection_does_not_fail_the_job(user, run_jobs, monkeypatch):
    """One dropped connection (a failover, a restarted pooler) failed a five-minute separation on a progress
    write, with "Internal error: OperationalError ..." (operator probe); progress is skipped and reconnected."""
    from django.db import OperationalError
    from django.db.models.query import QuerySet

    real_update, dropped = QuerySet.update, []

    def update(self, **fields):
        if fields.get("stage") == "second step" and not dropped:
            dropped.append(True)
            raise OperationalError("terminating connection due to administrator command")
        return real_update(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    job = start_job(user, "analysis", t_drops_progress)
    run_jobs()
    job.refresh_from_db()
    assert dropped and job.status == "completed" and job.result == {"done": True}, job.error_message


def test_what_a_dead_worker_stored_is_removed_with_its_job(user, run_jobs, media_root):
    from audio import storage

    job = start_job(user, "analysis", t_stores)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "completed" and job.result == {"on_row": True}
    dead = start_job(user, "analysis", t_steps)
    key = storage.save_bytes(storage.new_key(user.pk, "stems", "flac"), b"half a stem")
    ProcessingJob.objects.filter(pk=dead.pk).update(
        status="processing", heartbeat_at=timezone.now() - timedelta(minutes=10), stored={"keys": [key]})
    assert reap_stale_jobs() == 1
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.stored == {}
    assert not storage.exists(key)


def test_a_pending_job_whose_queue_message_is_lost_is_sent_again(user, run_jobs, monkeypatch):
    import sonicai.broker
    from audio.jobs import ACTORS, requeue_lost_jobs

    monkeypatch.setitem(ACTORS, "analysis", t_steps)
    job = start_job(user, "analysis", t_steps)
    first_message = job.task_id
    ProcessingJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    redis = sonicai.broker.waiting_message_ids(job.queue) is not None
    if redis:
        assert first_message in sonicai.broker.waiting_message_ids(job.queue)
        assert requeue_lost_jobs() == 0  # still queued: nothing to do
    sonicai.broker.broker.flush_all()  # a Redis that keeps nothing on disk restarted
    if not redis:  # the in-process broker cannot be asked; tell the sweep what Redis would
        monkeypatch.setattr(sonicai.broker, "waiting_message_ids", lambda queue: set())
    assert requeue_lost_jobs() == 1
    job.refresh_from_db()
    assert job.status == "pending" and job.task_id != first_message
    if redis:
        assert requeue_lost_jobs() == 0  # sent once, not at every sweep
    else:
        monkeypatch.undo()
    run_jobs()
    job.refresh_from_db()
    assert job.status == "completed" and job.result == {"answer": 42}


def _nan_result(ctx):
    return {"peak_db": float("nan"), "bands": [1.0, float("inf")], "ok": True}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_nan(job_id):
    run_job(job_id, _nan_result)


def _unusable_input(ctx):
    from sonicai.music.remix.genre import GenreError

    raise GenreError("a genre remix needs at least 3 s of audio")


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_unusable(job_id):
    run_job(job_id, _unusable_input)


def test_a_result_holding_nan_completes_and_input_errors_read_as_sentences(user, run_jobs):
    """A NaN in a result once made the database refuse the job's end, and the finished job read as a dead
    worker's; an error about the input is the musician's sentence, not an 'Internal error: GenreError'."""
    nan = start_job(user, "analysis", t_nan)
    unusable = start_job(user, "analysis", t_unusable)
    run_jobs()
    nan.refresh_from_db()
    unusable.refresh_from_db()
    assert nan.status == "completed" and nan.result == {"peak_db": None, "bands": [1.0, None], "ok": True}
    assert unusable.status == "failed" and unusable.error_message == "A genre remix needs at least 3 s of audio."


def _stalled_past_the_sweep(ctx):
    # The worker was stopped (SIGSTOP, swapped out) long enough for the sweep to fail its job, then resumed.
    ProcessingJob.objects.filter(pk=ctx.job.pk).update(status="failed", error_message="stopped responding")
    return {"late": True}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_stalled(job_id):
    run_job(job_id, _stalled_past_the_sweep)


def test_a_job_failed_while_its_worker_stalled_stays_failed(user, run_jobs):
    """A probe stopped a worker 45 s: the job was failed ("start it again"), then turned completed with its
    stems when the worker resumed, so a musician who started it again got everything twice."""
    job = start_job(user, "analysis", t_stalled)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and job.result in (None, {}) and job.error_message == "stopped responding"


def test_a_job_waiting_while_no_worker_takes_its_queue_says_so(user, run_jobs, monkeypatch):
    import sonicai.broker
    from audio.jobs import NO_WORKER_STAGE, mark_jobs_without_worker

    waiting = start_job(user, "analysis", t_steps)
    ProcessingJob.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    fresh = start_job(user, "analysis", t_steps)
    if sonicai.broker.live_workers() is None:  # the in-process broker cannot be asked: it says nothing
        assert mark_jobs_without_worker() == 0
        monkeypatch.setattr(sonicai.broker, "live_workers", lambda: {"default": 0, "ai_heavy": 1})
    assert mark_jobs_without_worker() == 1
    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert waiting.status == "pending" and waiting.stage == NO_WORKER_STAGE
    assert fresh.stage == ""  # just sent: a busy worker may take it any moment
    monkeypatch.undo()
    sonicai.broker.announce_worker({"default"})
    try:
        if sonicai.broker.live_workers() is None:
            monkeypatch.setattr(sonicai.broker, "live_workers", lambda: {"default": 1, "ai_heavy": 1})
        assert mark_jobs_without_worker() == 1
        waiting.refresh_from_db()
        assert waiting.stage == ""
    finally:
        sonicai.broker.withdraw_worker()
    run_jobs()
    waiting.refresh_from_db()
    assert waiting.status == "completed" and waiting.stage != NO_WORKER_STAGE


def test_an_old_copy_of_a_message_sent_again_does_not_fail_the_running_job(user, run_jobs):
    from sonicai.broker import process_identity

    seen_progress.clear()
    job = start_job(user, "analysis", t_steps)
    # The sweep sent the job again while its first message sat in a worker's prefetch; another worker took the
    # new copy and runs it now. Then the first worker gets to its old copy.
    again = t_steps.message(str(job.pk))
    ProcessingJob.objects.filter(pk=job.pk).update(task_id=again.message_id, status="processing",
                                                   heartbeat_at=timezone.now(), worker=process_identity())
    run_jobs()
    job.refresh_from_db()
    assert job.status == "processing" and not job.error_message  # not failed as "the worker stopped"
    assert seen_progress == []  # and not run a second time


def test_redelivered_job_is_failed_not_rerun(user, run_jobs):
    seen_progress.clear()
    job = start_job(user, "analysis", t_steps)
    # As if a worker had claimed it and died: the broker redelivers the message.
    ProcessingJob.objects.filter(pk=job.pk).update(status="processing", heartbeat_at=timezone.now())
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "stopped" in job.error_message
    assert seen_progress == []


def test_job_list_filters(user, api, other_user):
    start_job(user, "analysis", t_steps)
    start_job(user, "remix", t_steps)
    start_job(other_user, "remix", t_steps)
    assert api.get("/api/v1/jobs").json()["count"] == 2
    assert api.get("/api/v1/jobs?job_type=remix").json()["count"] == 1



@pytest.mark.parametrize(("keys", "default"), [
    ({"midi": "u/midi/a.mid", "audio": "u/audio/b.wav"}, "audio"),  # a generation, keys as jsonb returns them
    ({"bass": "u/s/1.flac", "other": "u/s/2.flac", "drums": "u/s/3.flac", "vocals": "u/s/4.flac"}, "vocals"),
])
def test_a_jobs_download_without_a_name_is_its_main_result_whatever_the_key_order(user, api, keys, default):
    # PostgreSQL's jsonb hands keys back shortest first, so the first key stored is not the first key read: the
    # generation's link was its MIDI file and a separation's its bass stem.
    job = ProcessingJob.objects.create(user=user, job_type="generate", status="completed", result_s3_keys=keys)
    res = api.get(f"/api/v1/jobs/{job.id}/download")
    assert res.status_code == 200 and res.json()["name"] == default
    missing = api.get(f"/api/v1/jobs/{job.id}/download?name=piano").json()["detail"]
    assert missing.endswith("results: " + ", ".join(n for n in ("audio", "vocals", "drums", "bass", "other", "midi")
                                                      if n in keys) + ".")

def _saves_a_result_then_is_cancelled(ctx):
    import numpy as np

    af = save_job_result(ctx, np.zeros((1, 44100), np.float32), 44100, "result.wav", source="remix")
    ctx.record_results({"audio": af.s3_key})
    # The user's DELETE lands while the worker is saving (progress >= 92 in the studio).
    ProcessingJob.objects.filter(pk=ctx.job.pk).update(status="cancelled")
    return {"result_file_id": str(af.id)}


def _saves_a_result(ctx):
    import numpy as np

    af = save_job_result(ctx, np.zeros((1, 44100), np.float32), 44100, "result.wav", source="remix")
    return {"result_file_id": str(af.id)}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_cancelled_while_saving(job_id):
    run_job(job_id, _saves_a_result_then_is_cancelled)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_saves(job_id):
    run_job(job_id, _saves_a_result)


def test_cancel_while_results_are_saved_leaves_no_library_item(user, run_jobs, media_root):
    from audio.models import AudioFile

    job = start_job(user, "remix", t_cancelled_while_saving)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "cancelled" and not job.result_s3_keys
    assert not AudioFile.objects.filter(user=user).exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]
    assert not ProcessingJob.objects.filter(job_type="analysis").exists()


def test_a_saved_result_is_analysed_only_once_its_job_completed(user, run_jobs):
    from audio.models import AudioFile

    job = start_job(user, "remix", t_saves)
    run_jobs()
    job.refresh_from_db()
    result = AudioFile.objects.get(pk=job.result["result_file_id"])
    assert job.status == "completed" and result.source == "remix"
    analysis = ProcessingJob.objects.get(job_type="analysis", audio_file=result)
    assert analysis.created_at >= job.completed_at


def test_a_job_whose_worker_process_is_gone_fails_at_once(user):
    import subprocess
    import sys

    from sonicai.broker import process_identity

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = process_identity().rsplit(":", 1)[0]
    job = start_job(user, "analysis", t_steps)
    ProcessingJob.objects.filter(pk=job.pk).update(status="processing", heartbeat_at=timezone.now(),
                                                   worker=f"{host}:{gone.stdout.strip()}")
    alive = start_job(user, "analysis", t_steps)
    ProcessingJob.objects.filter(pk=alive.pk).update(status="processing", heartbeat_at=timezone.now(),
                                                     worker=process_identity())
    assert reap_stale_jobs() == 1
    job.refresh_from_db()
    alive.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error_message
    assert alive.status == "processing"
    # Another container with the same hostname (one pod, --network host) has its own process ids: a process
    # there that this host cannot see is not taken for dead while its heartbeat is fresh.
    import socket

    assert process_identity().startswith(f"{socket.gethostname()}~")  # the pid namespace is part of the host
    elsewhere = start_job(user, "analysis", t_steps)
    ProcessingJob.objects.filter(pk=elsewhere.pk).update(
        status="processing", heartbeat_at=timezone.now(), worker=f"{socket.gethostname()}~1:{gone.stdout.strip()}")
    assert reap_stale_jobs() == 0


def _storage_away(ctx):
    from botocore.exceptions import EndpointConnectionError

    # What botocore raises with S3 gone: its message holds the storage's URL with an object's key in it.
    raise EndpointConnectionError(endpoint_url="http://10.0.0.5:9000/sonic/audio/1/c0ae68.flac")


@dramatiq.actor(queue_name=DEFAULT_QUEUE, max_retries=0)
def t_storage_away(job_id):
    run_job(job_id, _storage_away)


def test_a_job_that_meets_a_storage_outage_says_so(user, run_jobs):
    """A probe's job failed as 'Internal error: EndpointConnectionError: Could not connect to the endpoint URL:
    "http://127.0.0.1:5241c0ae68.flac"': the storage's address, mangled by the path filter."""
    job = start_job(user, "analysis", t_storage_away)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message == "The file storage did not answer while this job ran; start it again once it is back."
