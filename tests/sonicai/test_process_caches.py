"""numba's on-disk cache is never written by two processes at once.

Several real processes start together from an empty cache, as the web process, a
worker and a CLI command did on first use, and compile librosa's cached functions
(the peak picker and local-maximum gufuncs that segfaulted); then a fresh process
must load what they compiled and get the same answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys, time
import sonicai  # claims this process's numba cache folder
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
import numpy as np
import librosa
x = np.abs(np.sin(np.linspace(0, 60, 3000))) * np.linspace(1, 2, 3000)
out = {}
for dtype in ("float32", "float64"):
    y = x.astype(dtype)
    peaks = librosa.util.peak_pick(y, pre_max=3, post_max=3, pre_avg=3, post_avg=5, delta=0.05, wait=10)
    out[dtype] = [peaks.tolist(), np.flatnonzero(librosa.util.localmax(y)).tolist()]
print(json.dumps({"cache": os.environ["NUMBA_CACHE_DIR"], "results": out}))
"""


def _spawn(cache_root: Path, start: float) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "SONICAI_NUMBA"))}
    env["SONICAI_CACHE_DIR"] = str(cache_root)
    return subprocess.Popen([sys.executable, "-c", CHILD, str(start)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode} (negative: killed by a signal)\n{err[-2000:]}"
    return json.loads(out.strip().splitlines()[-1])


def _cache_files(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in folder.rglob("*.nb[ic]")}


def test_concurrent_processes_compile_into_private_caches_that_a_fresh_process_loads(tmp_path):
    start = time.time() + 5  # all three begin importing librosa at the same moment
    procs = [_spawn(tmp_path, start) for _ in range(3)]
    runs = [_finish(p) for p in procs]

    folders = {r["cache"] for r in runs}
    assert len(folders) == 3, f"processes running at the same time shared a numba cache: {folders}"
    assert all(r["results"] == runs[0]["results"] for r in runs)
    assert runs[0]["results"]["float64"][0], "the test signal has peaks"

    # The next process reuses a slot that is now free, finds the functions compiled
    # and loads them instead of writing the cache again.
    fresh_slot = tmp_path / "numba" / "slot-0"
    before = _cache_files(fresh_slot)
    assert before, "the first processes left compiled functions in their slots"
    fresh = _finish(_spawn(tmp_path, 0))
    assert fresh["cache"] == str(fresh_slot)
    assert fresh["results"] == runs[0]["results"]
    assert _cache_files(fresh_slot) == before, "the fresh process recompiled instead of loading the cache"


def test_a_child_started_with_a_copy_of_the_environment_claims_its_own_slot(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "SONICAI_NUMBA"))}
    env["SONICAI_CACHE_DIR"] = str(tmp_path)
    show = "import os, sonicai; print(os.environ['NUMBA_CACHE_DIR'])"
    code = ("import os, subprocess, sys, sonicai\n"
            f"child = subprocess.run([sys.executable, '-c', {show!r}],"
            " capture_output=True, text=True, env=dict(os.environ)).stdout.strip()\n"
            "print(os.environ['NUMBA_CACHE_DIR']); print(child)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    parent, child = out.stdout.split()
    assert parent != child and Path(parent).parent == Path(child).parent == tmp_path / "numba"
