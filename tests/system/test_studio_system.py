"""The studio as it really runs: `manage.py studio` (as `make run` starts it) on a free
port, as real processes (web, worker, embedded Redis), driven by several clients at once
and a CLI beside it, with its worker and its Redis killed mid-job.

At the end no process may have died by a signal we did not send, every job must have
ended with a reason a person can read, every library item must still have its audio,
other users' things answer 404, and /health answers 200.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import SR, encode, tone
from tests.studio import ROOT, Studio

pytestmark = pytest.mark.system

PASSWORD = "listen-to-this-42"
TERMINAL = {"completed", "failed", "cancelled"}


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def parent_of(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def descendants(pid: int) -> dict[int, str]:
    found, todo = {}, [pid]
    while todo:
        for child in children_of(todo.pop()):
            try:
                found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            todo.append(child)
    return found


class Client:
    def __init__(self, studio: Studio, name: str):
        self.base, self.s = studio.url, requests.Session()
        self.name = f"{name}-{uuid.uuid4().hex[:6]}"
        res = self.s.post(f"{self.base}/api/v1/auth/register",
                          json={"username": self.name, "email": f"{self.name}@example.com", "password": PASSWORD})
        assert res.status_code == 201, res.text
        res = self.s.post(f"{self.base}/api/v1/auth/login", json={"username": self.name, "password": PASSWORD})
        self.s.headers["Authorization"] = f"Bearer {res.json()['access']}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.s.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, body: dict | None = None, **kw) -> requests.Response:
        return self.s.post(self.base + path, json=body, timeout=60, **kw)

    def upload(self, path: Path) -> dict:
        with path.open("rb") as fh:
            res = self.s.post(f"{self.base}/api/v1/audio/upload", files={"file": (path.name, fh)}, timeout=120)
        assert res.status_code == 201, res.text
        return res.json()

    def all(self, path: str) -> list[dict]:
        url, items = self.base + path, []
        while url:
            page = self.s.get(url, timeout=30).json()
            items, url = items + page["results"], page["next"]
        return items

    def job(self, job_id: str) -> dict:
        res = self.get(f"/api/v1/jobs/{job_id}")
        assert res.status_code == 200, res.text
        return res.json()

    def wait(self, job_id: str, until=lambda j: j["status"] in TERMINAL, timeout: float = 240) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if until(job):
                return job
            time.sleep(0.25)
        raise AssertionError(f"job {job_id} still {job['status']} ({job['progress']} %) after {timeout} s")


def started(res: requests.Response) -> str:
    assert res.status_code == 202, res.text
    return res.json()["job_id"]


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("songs")
    out = {}
    for name, seconds in (("short", 12.0), ("long", 60.0)):
        out[name] = folder / f"{name} song.wav"
        out[name].write_bytes(encode(tone(seconds, freqs=(220.0, 277.2)), SR, "wav"))
    return out


def test_the_running_studio_survives_users_a_cli_and_its_parts_dying(tmp_path, songs):
    with Studio(tmp_path) as studio:
        media, log = tmp_path / "media", Path(studio.log.name)
        alice, bob = Client(studio, "alice"), Client(studio, "bob")

        # Two users upload at once and read their results while the analysis runs.
        uploads: dict[str, dict] = {}
        threads = [threading.Thread(target=lambda c=c: uploads.__setitem__(c.name, c.upload(songs["short"])))
                   for c in (alice, bob)]
        cli = subprocess.Popen([sys.executable, "manage.py", "analyze", str(songs["short"]), "--json"], cwd=ROOT,
                               env=studio.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a_file, b_file = uploads[alice.name], uploads[bob.name]
        early = alice.get(f"/api/v1/audio/{a_file['id']}/features")
        assert early.status_code in (200, 202)
        if early.status_code == 202:
            assert early.json()["job_id"] == a_file["job_id"]
        for client, f in ((alice, a_file), (bob, b_file)):
            assert client.wait(f["job_id"])["status"] == "completed"
            features = client.get(f"/api/v1/audio/{f['id']}/features")
            assert features.status_code == 200 and features.json()["tempo_bpm"] > 0
        out, err = cli.communicate(timeout=300)
        assert cli.returncode == 0, err
        assert json.loads(out)["duration"] == pytest.approx(12.0, abs=0.1)

        # What the studio keeps is not readable by other accounts: the database holds every refresh token.
        for folder in (tmp_path / "var", media):
            assert folder.stat().st_mode & 0o007 == 0, oct(folder.stat().st_mode)
        stored = [p for p in media.rglob("*") if p.is_file()]
        assert stored and all(p.stat().st_mode & 0o007 == 0 for p in stored)

        # Another user's things are not there for bob.
        for path in (f"/api/v1/audio/{a_file['id']}", f"/api/v1/audio/{a_file['id']}/features",
                     f"/api/v1/audio/{a_file['id']}/download", f"/api/v1/jobs/{a_file['job_id']}"):
            assert bob.get(path).status_code == 404, path

        # Separation, remix, generation, and a cancel that lands near the end of a job.
        sep = started(alice.post("/api/v1/stems/separate", {"audio_file_id": a_file["id"]}))
        remix = started(alice.post("/api/v1/remix/tempo", {"audio_file_id": a_file["id"], "tempo_change": 10}))
        gen = started(bob.post("/api/v1/generate/text-to-music", {"prompt": "calm piano", "duration": 6, "seed": 3}))
        fx = started(bob.post("/api/v1/remix/effects", {"audio_file_id": b_file["id"],
                                                          "effects": [{"type": "reverb", "room_size": 0.5}]}))
        bob.wait(fx, until=lambda j: j["status"] in TERMINAL or j["progress"] >= 85)
        cancel = bob.s.delete(f"{studio.url}/api/v1/jobs/{fx}", timeout=30)
        assert cancel.status_code in (200, 409)  # 409: it completed first
        for client, job_id in ((alice, sep), (alice, remix), (bob, gen)):
            assert client.wait(job_id)["status"] == "completed", client.job(job_id)

        # The worker process dies mid-job: the job fails with a reason within 30 s and the
        # worker comes back to run the next one.
        long_file = alice.upload(songs["long"])
        alice.wait(long_file["job_id"])
        doomed = started(alice.post("/api/v1/stems/separate", {"audio_file_id": long_file["id"]}))
        alice.wait(doomed, until=lambda j: j["status"] == "processing")
        # Both of the worker's threads busy on ai_heavy jobs, and one more job taken from the default queue that
        # it never starts (a worker's prefetch limit is per queue, sonicai.broker.PrefetchNoMoreThanThreads): the
        # killed worker's broker still holds that job's message, which must come back to the restarted one.
        busy_too = started(alice.post("/api/v1/stems/separate", {"audio_file_id": long_file["id"]}))
        alice.wait(busy_too, until=lambda j: j["status"] == "processing")
        prefetched = started(alice.post("/api/v1/stems/separate", {"audio_file_id": a_file["id"], "engine": "hpss"}))
        time.sleep(3)
        assert alice.job(prefetched)["status"] == "pending"
        tree = descendants(studio.proc.pid)
        workers = [pid for pid, cmd in tree.items() if "sonicai.worker" in cmd and "sonicai.worker" in tree.get(
            parent_of(pid), "")]  # Dramatiq's worker processes, not its main process
        assert workers, tree
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        for job_id in (doomed, busy_too):
            dead = alice.wait(job_id, timeout=30)
            assert dead["status"] == "failed" and "worker" in dead["error_message"]
        assert time.monotonic() - killed_at < 30
        assert alice.wait(prefetched, timeout=180)["status"] == "completed"  # 60-s heartbeat timeout + a sweep
        print(f"prefetched job ran {time.monotonic() - killed_at:.1f} s after the kill")
        again = started(alice.post("/api/v1/stems/separate", {"audio_file_id": a_file["id"], "engine": "hpss"}))
        assert alice.wait(again)["status"] == "completed"
        # /health counts the restarted worker processes, not the killed ones nor the web processes.
        tree = descendants(studio.proc.pid)
        live = [pid for pid, cmd in tree.items() if "sonicai.worker" in cmd and
                "sonicai.worker" in tree.get(parent_of(pid), "")]
        assert live and not set(live) & set(workers)
        counted = requests.get(f"{studio.url}/health?require=workers", timeout=10)
        assert counted.status_code == 200, counted.text
        assert counted.json()["workers"] == {"default": len(live), "ai_heavy": len(live)}

        # Redis dies mid-job: reads keep working, new work is refused with 503 (never 500),
        # and the studio recovers by itself.
        busy = started(alice.post("/api/v1/stems/separate", {"audio_file_id": long_file["id"], "engine": "hpss"}))
        alice.wait(busy, until=lambda j: j["status"] == "processing")
        redis_pids = [pid for pid, cmd in descendants(studio.proc.pid).items() if "redis-server" in cmd]
        assert len(redis_pids) == 1
        os.kill(redis_pids[0], signal.SIGKILL)
        codes = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert alice.get(f"/api/v1/jobs/{busy}").status_code == 200
            codes.add(alice.post("/api/v1/mood/classify", {"audio_file_id": a_file["id"]}).status_code)
            if requests.get(f"{studio.url}/health", timeout=10).status_code == 200 and len(codes) and 202 in codes:
                break
            time.sleep(0.3)
        assert codes <= {202, 503}, codes
        assert requests.get(f"{studio.url}/health", timeout=10).status_code == 200
        assert alice.wait(busy)["status"] in TERMINAL
        after = started(alice.post("/api/v1/mood/classify", {"audio_file_id": a_file["id"]}))
        assert alice.wait(after)["status"] == "completed"

        # An upload over the limit is refused from its headers, and nothing is written.
        before = sorted(p for p in media.rglob("*") if p.is_file())
        big = tmp_path / "too big.wav"
        with big.open("wb") as fh:
            fh.truncate(120 * 1024 * 1024)
        with big.open("rb") as fh:
            res = alice.s.post(f"{studio.url}/api/v1/audio/upload", files={"file": (big.name, fh)}, timeout=120)
        assert res.status_code == 413 and "limit is 100 MB" in res.json()["detail"]
        assert sorted(p for p in media.rglob("*") if p.is_file()) == before

        # Every job ended, with a reason when it did not complete; every file has its audio.
        for client in (alice, bob):
            deadline = time.monotonic() + 120
            while True:
                jobs = client.all("/api/v1/jobs")
                if all(j["status"] in TERMINAL for j in jobs) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            for j in jobs:
                assert j["status"] in TERMINAL, j
                if j["status"] == "failed":
                    assert j["error_message"] and "Traceback" not in j["error_message"], j
                    assert str(ROOT) not in j["error_message"] and str(tmp_path) not in j["error_message"], j
            for f in client.all("/api/v1/audio"):
                link = client.get(f"/api/v1/audio/{f['id']}/download").json()["url"]
                audio = requests.get(link, timeout=30)
                assert audio.status_code == 200 and audio.content[:4] == b"RIFF", f
                assert link.rsplit("/d/", 1)[1] not in log.read_text()  # a link is a credential: not logged

        assert requests.get(f"{studio.url}/health", timeout=10).status_code == 200
        # No child died that we did not kill: the worker's main process exits after its
        # worker was killed, Redis was killed; web processes never went down.
        exits = [line for line in log.read_text().splitlines() if "[studio" in line and
                 (" was killed by " in line or " exited with code " in line)]
        expected = ("worker ", "redis was killed by SIGKILL")
        assert all(line.split("] ", 1)[1].startswith(expected) for line in exits), exits
    assert studio.proc.returncode == 0
    # Stopping the studio stops everything it started: nothing runs with its var/ folder.
    marker = f"SONICAI_VAR_DIR={tmp_path / 'var'}".encode()
    leftovers = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "environ").read_bytes().split(b"\0"):
                leftovers.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    assert not leftovers, leftovers
