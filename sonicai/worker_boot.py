"""What a worker process checks and says as it starts: the device its neural engines run on, refused when
``DEVICE=cuda`` asks for a GPU this machine cannot use, and the memory cap for the models it keeps loaded.

A GPU host whose torch is the CPU build (the default ``requirements.txt``) or whose driver is missing would
otherwise run every network on the CPU without a word; the peers' most common complaint.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings

from sonicai.broker import AI_HEAVY_QUEUE, QUEUES

log = logging.getLogger("sonicai.worker")


class WorkerRefused(ImportError):
    """The worker must not start. An ImportError, so Dramatiq reports it and stops every worker process with a
    non-zero exit status instead of restarting them."""


def check_database() -> None:
    """Refuse to start a worker process that cannot reach the database: it would take jobs off the queue only
    to fail them (claiming one needs the database) and count as a live worker in /health. Its supervisor
    (`manage.py studio`, systemd) starts it again later, when the database may answer."""
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        raise WorkerRefused(f"refusing to start a worker: the database does not answer "
                            f"({' '.join(str(exc).split())})") from None
    finally:
        connection.close()


#: A stop request repeated within this many seconds is the same request (see one_stop_per_request).
REPEATED_STOP_WINDOW = 5.0


def one_stop_per_request(window: float = REPEATED_STOP_WINDOW) -> None:
    """Take a SIGTERM that repeats within ``window`` seconds as the same stop request.

    Dramatiq's worker process stops gracefully on a first SIGTERM and exits at once on a second, failing its
    running jobs. systemd's default KillMode=control-group signals every process of the service together, and
    the Dramatiq main process forwards its own SIGTERM to its workers too: a worker got two at once and took
    the second as "kill now". A second request later than ``window`` still kills, as before."""
    import signal
    import time

    dramatiq_handler = signal.getsignal(signal.SIGTERM)
    if not callable(dramatiq_handler):
        return
    first: float | None = None

    def handler(signum, frame):
        nonlocal first
        now = time.monotonic()
        if first is not None and now - first < window:
            log.info("a repeated stop request: this worker still finishes its running jobs first")
            return
        first = first or now
        dramatiq_handler(signum, frame)

    signal.signal(signal.SIGTERM, handler)


def queues_from_argv(argv: Sequence[str]) -> set[str]:
    """The queues a ``dramatiq ... --queues a b`` / ``-Q a`` command line consumes (all of them when none)."""
    queues: set[str] = set()
    taking = False
    for arg in argv:
        if arg in ("--queues", "-Q"):
            taking = True
        elif arg.startswith("--queues="):
            queues.add(arg.split("=", 1)[1])
        elif arg.startswith("-"):
            taking = False
        elif taking:
            queues.add(arg)
    return queues or set(QUEUES)


def device_report(device: str) -> list[str]:
    """One line per task: which engine runs on which device (engines without a network run on the CPU)."""
    from sonicai.music.generate import registry as generation
    from sonicai.music.separation import registry as separation

    def grouped(placed: dict[str, str]) -> str:
        by_device: dict[str, list[str]] = {}
        for name, where in placed.items():
            by_device.setdefault(where, []).append(name)
        return "; ".join(f"{', '.join(names)} on {where}" for where, names in by_device.items())

    sep = {name: str(getattr(separation.get_engine(name, settings.MODELS_DIR, device), "device", "cpu"))
           for name in separation.ENGINE_NAMES}
    gen = {m["model"]: ("cpu" if m["model"] == generation.COMPOSER else device)
           for m in generation.list_models(settings.MODELS_DIR)}
    return [f"separation engines: {grouped(sep)}", f"generation engines: {grouped(gen)}"]


def boot(argv: Sequence[str]) -> list[str]:
    """Check the device and configure the model memory cap; returns the start-up lines (raises WorkerRefused)."""
    from sonicai.music.device import DeviceUnavailable, check_device, describe
    from sonicai.music.loaded import LOADED

    cap = settings.MODEL_MEMORY_GB
    LOADED.configure(int(cap * 1e9) if cap else None)
    queues = queues_from_argv(argv)
    if AI_HEAVY_QUEUE not in queues:
        return [f"worker for {', '.join(sorted(queues))}: analysis and DSP on the CPU"]
    try:
        device = check_device(settings.TORCH_DEVICE)
    except DeviceUnavailable as exc:
        raise WorkerRefused(f"refusing to start an {AI_HEAVY_QUEUE} worker: {exc}") from None
    kind = "cuda" if device.startswith("cuda") else "cpu"
    lines = [f"{AI_HEAVY_QUEUE} worker: DEVICE={settings.TORCH_DEVICE} -> {describe(device)}; models kept loaded up "
             f"to {LOADED.cap(kind) / 1e9:.1f} GB on {kind} (SONICAI_MODEL_MEMORY_GB)"]
    if device == "cpu" and settings.TORCH_DEVICE in ("", "auto"):
        lines[0] += " (no GPU found: the networks run on the CPU)"
    return lines + device_report(device)
