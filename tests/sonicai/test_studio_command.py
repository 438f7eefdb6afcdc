"""`manage.py studio` refuses settings it cannot run with in one line, before starting anything."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sonicai.management.commands.studio import listen


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


def test_the_worker_counts_do_not_matter_without_workers(monkeypatch):
    import sonicai.management.commands.studio as studio

    class Started(Exception):
        pass

    def listening(*args):
        raise Started

    monkeypatch.setattr(studio, "listen", listening)
    with pytest.raises(Started):  # got as far as opening its port
        call_command("studio", "--no-workers", "--threads", "0")


def test_an_impossible_port_or_host_is_named_as_such():
    with pytest.raises(CommandError, match="a port is a number from 1 to 65535"):
        listen("127.0.0.1", 99999)  # was a traceback ending in OverflowError
    with pytest.raises(CommandError, match="choose another HOST"):
        listen("256.1.1.1", 8000)  # was "...; choose another PORT"
