"""Entry point of Dramatiq worker processes: ``dramatiq sonicai.worker``.

Sets Django up, then imports the ``actors`` module of every installed app (found from
INSTALLED_APPS, see ``sonicai.broker.import_actor_modules``) so the worker can run them,
and logs the device each engine runs on (``sonicai.worker_boot``): a worker for the
``ai_heavy`` queue with ``DEVICE=cuda`` and no usable GPU refuses to start.
A worker process whose Dramatiq main process is gone stops at once instead of finishing
its job as an orphan while the studio is down or restarting; every worker process sweeps
for jobs left by a dead worker and for lost queue messages (``audio.jobs.JobSweeper``).
"""

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

from sonicai.broker import import_actor_modules  # noqa: E402  (needs the apps loaded)
from sonicai.worker_boot import WorkerRefused, boot  # noqa: E402

ACTOR_MODULES = import_actor_modules()
log = logging.getLogger(__name__)

try:
    for _line in boot(sys.argv):
        log.info(_line)
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


if multiprocessing.parent_process() is not None:  # a worker process forked by the dramatiq command
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True, name="orphan-watch").start()
    # Run from a Procfile, no `manage.py studio` supervises the workers: each sweeps for the jobs of a dead
    # worker and for lost queue messages itself (audio.jobs.JobSweeper).
    from audio.jobs import JobSweeper  # noqa: E402

    JobSweeper().start()
