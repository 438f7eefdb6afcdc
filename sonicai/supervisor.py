"""Keeping a set of child processes running: the engine of ``manage.py studio``.

Each child runs in a process group of its own, so that stopping it also stops what it
started (Dramatiq's worker processes, which used to be left running as orphans), and
is asked to die with the supervisor if the supervisor itself is killed. A child that
exits is started again after a delay that doubles with each quick failure (0.5 s up
to 30 s) and resets once it has run for a while; every exit and restart is logged.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FIRST_DELAY = 0.5
MAX_DELAY = 30.0
#: A child that ran this long before exiting is restarted without delay growth.
STABLE_AFTER = 30.0

_PR_SET_PDEATHSIG = 1


def _prepare_child(nice: int) -> Callable[[], None]:
    def prepare() -> None:
        try:  # Linux: the child gets SIGTERM if the supervisor dies without stopping it
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
        if nice:
            os.nice(nice)

    return prepare


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    cwd: str | None = None
    pass_fds: tuple[int, ...] = ()
    #: Niceness added to the child: workers yield the CPU to the web process.
    nice: int = 0
    #: Called before each start (e.g. to remove a stale socket file).
    before_start: Callable[[], None] | None = None
    #: Stopped after the others, e.g. the Redis that workers need to hand back their messages.
    stop_last: bool = False
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = FIRST_DELAY
    restart_at: float | None = field(default=None)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


class Supervisor:
    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.children: list[Child] = []

    def add(self, child: Child) -> Child:
        self.children.append(child)
        self.start(child)
        return child

    def start(self, child: Child) -> None:
        if child.before_start is not None:
            child.before_start()
        child.proc = subprocess.Popen(child.argv, env=child.env, cwd=child.cwd, pass_fds=child.pass_fds,
                                      start_new_session=True, preexec_fn=_prepare_child(child.nice),
                                      stdin=subprocess.DEVNULL)
        child.started_at, child.restart_at = time.monotonic(), None

    def poll(self) -> list[Child]:
        """Restart children whose delay is over; returns those that exited since the last call."""
        now = time.monotonic()
        exited = []
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self.log(f"{child.name}: starting again (restart {child.restarts})")
                    self.start(child)
                continue
            if child.proc is None or child.proc.poll() is None:
                continue
            ran = now - child.started_at
            child.delay = FIRST_DELAY if ran >= STABLE_AFTER else min(MAX_DELAY, child.delay * 2)
            self._kill_group(child, signal.SIGKILL)  # whatever it started goes with it
            child.restart_at = now + child.delay
            self.log(f"{child.name} {describe_exit(child.proc.returncode)} after {ran:.1f} s; "
                     f"restarting in {child.delay:.1f} s")
            exited.append(child)
        return exited

    def stop(self, grace: float = 10.0) -> None:
        """Stop the children, those marked ``stop_last`` after the others: SIGTERM each
        (Dramatiq passes it on to its workers), then SIGKILL each child's whole process group
        once it has exited or ``grace`` s have passed."""
        for last in (False, True):
            wave = [c for c in self.children if c.stop_last == last and c.proc is not None]
            for child in wave:
                if child.proc.poll() is None:
                    child.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for child in wave:
                try:
                    child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.log(f"{child.name} did not stop within {grace:.0f} s; killing it")
                self._kill_group(child, signal.SIGKILL)
                child.proc.wait()

    def kill(self, child: Child) -> None:
        """Kill a child that is alive but no use (hung): its exit is then seen, and it is restarted, as any."""
        self._kill_group(child, signal.SIGKILL)

    @staticmethod
    def _kill_group(child: Child, sig: int) -> None:
        try:
            os.killpg(child.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
