"""Entry point of Dramatiq worker processes: ``dramatiq sonicai.worker``.

Sets Django up, then imports the ``actors`` module of every installed app (found from
INSTALLED_APPS, see ``sonicai.broker.import_actor_modules``) so the worker can run them,
and logs the device each engine runs on (``sonicai.worker_boot``): a worker for the
``ai_heavy`` queue with ``DEVICE=cuda`` and no usable GPU refuses to start.
A worker process whose Dramatiq main process is gone stops at once instead of finishing
its job as an orphan while the studio is down or restarting; every worker process sweeps
for jobs left by a dead worker and for lost queue messages (``audio.jobs.JobSweeper``), and records
in the broker that it is alive and which queues it takes, for ``/health``.
"""

import atexit
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonicai.settings")
django.setup()

from django.conf import settings  # noqa: E402

from audio import storage  # noqa: E402
from sonicai.broker import (  # noqa: E402  (needs the apps loaded)
    PRESENCE_EVERY,
    announce_worker,
    import_actor_modules,
    withdraw_worker,
)
from sonicai.worker_boot import (  # noqa: E402
    WorkerRefused,
    boot,
    check_database,
    one_stop_per_request,
    queues_from_argv,
)

ACTOR_MODULES = import_actor_modules()
log = logging.getLogger(__name__)

try:
    for _line in boot(sys.argv):
        log.info(_line)
    if multiprocessing.parent_process() is not None:  # a worker process, about to take jobs
        check_database()
        # What a killed worker was writing (half-saved stems) is older than any job may run: nobody owns it now.
        if _swept := storage.sweep_scratch(older_than_s=2 * settings.JOB_TIMEOUT_SECONDS + 60):
            log.info("removed %d file(s) and folder(s) that stopped jobs left in var/scratch", _swept)
except WorkerRefused as _exc:
    log.critical(str(_exc))
    raise


def _stop_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            log.error("the Dramatiq main process %s is gone; this worker stops (its job is failed by the studio)",
                      parent)
            os.kill(os.getpid(), signal.SIGKILL)


def _announce(queues: set[str]) -> None:
    said_down = False
    while True:
        try:
            announce_worker(queues)
            said_down = False
        except Exception as exc:  # the broker is restarting: /health counts this worker again once it is back
            if not said_down:
                log.warning("cannot record this worker as alive in the broker: %s", exc)
            said_down = True
        time.sleep(PRESENCE_EVERY)


def _withdraw() -> None:
    try:
        withdraw_worker()
    except Exception:  # stopping while the broker is down: the presence lapses on its own
        pass


if multiprocessing.parent_process() is not None:  # a worker process forked by the dramatiq command
    one_stop_per_request()
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True, name="orphan-watch").start()
    # /health says how many worker processes take each queue's jobs (sonicai.broker.live_workers).
    threading.Thread(target=_announce, args=(queues_from_argv(sys.argv),), daemon=True, name="presence").start()
    atexit.register(_withdraw)
    # Run from a Procfile, no `manage.py studio` supervises the workers: each sweeps for the jobs of a dead
    # worker and for lost queue messages itself (audio.jobs.JobSweeper).
    from audio.jobs import JobSweeper  # noqa: E402

    JobSweeper().start()
