"""Run-time on-disk caches that no two processes share.

numba's ``cache=True`` (librosa's peak picker, beat tracker, onset and CQT helpers)
writes an index file and numbered data files per function, and the two are written
separately: two processes compiling the same functions from an empty cache can
leave an index that points one signature at the other process's machine code. Every
later process then loads that code and dies with a segfault at address 0, until
someone deletes the files. The studio runs a web process, workers and CLI commands
side by side, so this happened on first use.

Each process therefore compiles into a folder of its own: a numbered slot under
``SONICAI_CACHE_DIR/numba`` (default ``var/cache/numba``) that it holds an exclusive
lock on for as long as it lives. Slots are reused, so a restarted worker or the next
CLI command finds its functions already compiled, and a slot is never written by two
processes at once. The other run-time caches the engines could touch are safe to
share: Hugging Face and torch hub downloads take file locks, Python writes ``.pyc``
files atomically, and the studio installs no matplotlib.

This runs when the ``sonicai`` package is imported, before numba reads its settings.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

#: Marks NUMBA_CACHE_DIR as chosen by this module, and for which process: a child
#: started with a copy of the environment must claim a slot of its own.
OWNER_VARIABLE = "SONICAI_NUMBA_CACHE_OWNER"
MAX_SLOTS = 64

_lock_fd: int | None = None


def cache_root() -> Path:
    if os.environ.get("SONICAI_CACHE_DIR"):
        return Path(os.environ["SONICAI_CACHE_DIR"])
    var = os.environ.get("SONICAI_VAR_DIR") or Path(__file__).resolve().parent.parent / "var"
    return Path(var) / "cache"


def _try_slot(path: Path) -> int | None:
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def claim_numba_cache() -> Path:
    """Point numba at a cache folder that only this process writes; returns it."""
    global _lock_fd
    if os.environ.get(OWNER_VARIABLE) == str(os.getpid()) and os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    if _lock_fd is not None:  # a forked child must not keep its parent's lock
        os.close(_lock_fd)
        _lock_fd = None
    chosen: Path | None = None
    try:
        root = cache_root() / "numba"
        for slot in range(MAX_SLOTS):
            fd = _try_slot(root / f"slot-{slot}")
            if fd is not None:
                _lock_fd, chosen = fd, root / f"slot-{slot}"
                break
    except OSError:  # a read-only or missing var/: compile into a private temporary folder
        chosen = None
    if chosen is None:
        chosen = Path(tempfile.mkdtemp(prefix="sonicai-numba-"))
    os.environ["NUMBA_CACHE_DIR"] = str(chosen)
    os.environ[OWNER_VARIABLE] = str(os.getpid())
    return chosen


def _after_fork_in_child() -> None:
    import sys

    # numba reads NUMBA_CACHE_DIR once, when it is first imported; after that the
    # parent's choice is fixed for this process too, and only a new process helps.
    if "numba" not in sys.modules:
        claim_numba_cache()


os.register_at_fork(after_in_child=_after_fork_in_child)
