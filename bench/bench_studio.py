"""Load and fault benchmark of the running studio, on the embedded default and on
PostgreSQL + Redis, in one run.

For each set-up it starts `manage.py studio` as `make run` does (own database, media and
var folders, a free port), then measures:

* open-loop load: N clients each reading a job's status R times a second (and the
  library list), idle and while two analyses run (the report says how many were running
  when the window began and ended); req/s, p50, p99 and errors per endpoint, and the
  ratio of each figure to the same endpoint on the idle studio;
* the closed-loop maximum: clients reading job status with no pause;
* recovery: a worker process killed mid-job (seconds until the job is failed, and until
  a new job completes) and, on the embedded default, the Redis server killed (seconds
  until /health answers 200 again and a new job completes).

    .venv/bin/python -m bench.bench_studio [--clients 50] [--rate 2] [--seconds 20]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/13]
        [--busy-songs 6] [--only embedded|scaled] [--json FILE]

The scaled run creates (and drops) a database of its own on that server and flushes the
given Redis database.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import requests
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "listen-to-this-42"


# --- the studio, started as `make run` starts it ---------------------------------------------------------------

class Studio:
    def __init__(self, workdir: Path, env: dict[str, str]):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        var = workdir / "var"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DJANGO_SETTINGS"))}
        self.env.update({"DJANGO_SETTINGS_MODULE": "sonicai.settings", "SONICAI_VAR_DIR": str(var),
                         "MEDIA_ROOT": str(workdir / "media"), "PYTHONUNBUFFERED": "1",
                         "DATABASE_URL": f"sqlite:///{var / 'studio.sqlite3'}", **env})
        self.log = open(workdir / "studio.log", "w")
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True, timeout=600)
        self.proc = subprocess.Popen([sys.executable, "manage.py", "studio", "--port", str(self.port)], cwd=ROOT,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_healthy(120)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as res:
                return res.status == 200
        except OSError:
            return False

    def wait_healthy(self, seconds: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if self.healthy():
                return time.monotonic() - start
            if self.proc.poll() is not None:
                raise RuntimeError(f"the studio exited; see {self.log.name}")
            time.sleep(0.1)
        raise RuntimeError(f"the studio did not answer /health within {seconds} s; see {self.log.name}")

    def processes(self) -> dict[int, tuple[int, str]]:
        """pid -> (parent pid, command line) of every process below the studio command."""
        table = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    table[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
                except (OSError, IndexError, ValueError):
                    continue
        mine, todo = {}, [self.proc.pid]
        while todo:
            pid = todo.pop()
            for child, (parent, cmd) in table.items():
                if parent == pid:
                    mine[child] = (parent, cmd)
                    todo.append(child)
        return mine

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class User:
    def __init__(self, studio: Studio):
        self.base, self.s = studio.url, requests.Session()
        name = f"bench-{uuid.uuid4().hex[:8]}"
        self.s.post(f"{self.base}/api/v1/auth/register",
                    json={"username": name, "email": f"{name}@example.com", "password": PASSWORD}).raise_for_status()
        res = self.s.post(f"{self.base}/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        self.token = res.json()["access"]
        self.s.headers["Authorization"] = f"Bearer {self.token}"

    def upload(self, wav: bytes, name: str) -> dict:
        res = self.s.post(f"{self.base}/api/v1/audio/upload", files={"file": (name, wav)}, timeout=120)
        res.raise_for_status()
        return res.json()

    def start(self, path: str, body: dict) -> str:
        res = self.s.post(self.base + path, json=body, timeout=60)
        res.raise_for_status()
        return res.json()["job_id"]

    def job(self, job_id: str) -> dict:
        return self.s.get(f"{self.base}/api/v1/jobs/{job_id}", timeout=30).json()

    def wait(self, job_id: str, until=lambda j: j["status"] in ("completed", "failed", "cancelled"),
             seconds: float = 600) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                job = self.job(job_id)
                if until(job):
                    return job
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"job {job_id} did not finish in {seconds} s")


def song(seconds: float, seed: int) -> bytes:
    """A chord over a pulse: enough rhythm and harmony for a real analysis."""
    sr, rng = 44100, np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    pulse = (np.sin(2 * np.pi * 2.0 * t) > 0.7) * rng.normal(0, 0.3, t.size)
    audio = (0.4 * chord * (0.7 + 0.3 * np.sin(2 * np.pi * 0.5 * t)) + 0.2 * pulse).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, np.stack([audio, audio]).T, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


# --- load: a light asyncio HTTP/1.1 client, so the generator itself takes little CPU -----------------------------

async def _client(url: str, token: str, rate: float | None, until: float, start: float, lat: list, errors: list):
    u = urlsplit(url)
    request = (f"GET {u.path}{'?' + u.query if u.query else ''} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
               f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n").encode()
    reader = writer = None
    due = start
    while True:
        now = time.monotonic()
        if rate:
            if due > now:
                await asyncio.sleep(due - now)
            due += 1.0 / rate
        if time.monotonic() >= until:
            break
        t0 = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(u.hostname, u.port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            if status != 200:
                errors.append(status)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(type(exc).__name__)
            writer = None
        lat.append((time.monotonic() - t0) * 1000)
    if writer is not None:
        writer.close()


def load(url: str, token: str, clients: int, rate: float | None, seconds: float) -> dict:
    async def run():
        lat, errors = [], []
        start = time.monotonic() + 0.3
        spread = 1.0 / (clients * rate) if rate else 0.0
        await asyncio.gather(*[_client(url, token, rate, start + seconds, start + i * spread, lat, errors)
                               for i in range(clients)])
        return lat, errors

    lat, errors = asyncio.run(run())
    lat.sort()
    q = (lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1)) if lat else (lambda p: None)
    return {"requests": len(lat), "req_per_s": round(len(lat) / seconds, 1), "p50_ms": q(0.50), "p99_ms": q(0.99),
            "errors": len(errors), "error_kinds": sorted({str(e) for e in errors})[:5]}


# --- one set-up ---------------------------------------------------------------------------------------------------

def bench_setup(name: str, env: dict[str, str], args, kill_redis: bool) -> dict:
    out: dict = {"setup": name}
    with tempfile.TemporaryDirectory(prefix=f"bench-studio-{name}-") as tmp:
        studio = Studio(Path(tmp), env)
        try:
            user = User(studio)
            first = user.upload(song(15, 1), "warm-up.wav")  # also loads the analysis models once
            user.wait(first["job_id"])
            status_url = f"{studio.url}/api/v1/jobs/{first['job_id']}"
            endpoints = {"job status": status_url, "library": f"{studio.url}/api/v1/audio",
                         "health": f"{studio.url}/health"}
            idle = {k: load(u, user.token, args.clients, args.rate, args.seconds) for k, u in endpoints.items()}
            out["idle"] = idle
            # Two analyses of 3-minute songs run while the same load is offered; more are queued behind them so
            # that two are still running when the window ends on a fast machine (checked and reported).
            busy_jobs = [user.upload(song(180, 2 + i), f"busy-{i}.wav")["job_id"] for i in range(args.busy_songs)]
            user.wait(busy_jobs[1], until=lambda j: j["status"] == "processing")
            running_at_start = [user.job(j)["status"] for j in busy_jobs].count("processing")
            loaded = {"job status": load(status_url, user.token, args.clients, args.rate, args.seconds)}
            running = [user.job(j)["status"] for j in busy_jobs]
            loaded["job status"].update(analyses_running_at_start=running_at_start,
                                        analyses_running_at_end=running.count("processing"))
            out["during_two_analyses"] = loaded
            for j in busy_jobs:
                user.wait(j)
            out["closed_loop_max"] = load(status_url, user.token, args.closed_clients, None, args.seconds)

            # A worker process killed mid-job.
            long_file = user.upload(song(120, 9), "long.wav")
            user.wait(long_file["job_id"])
            doomed = user.start("/api/v1/stems/separate", {"audio_file_id": long_file["id"]})
            user.wait(doomed, until=lambda j: j["status"] == "processing" and j["progress"] >= 5)
            procs = studio.processes()
            workers = [pid for pid, (parent, cmd) in procs.items()
                       if "sonicai.worker" in cmd and "sonicai.worker" in procs.get(parent, (0, ""))[1]]
            t0 = time.monotonic()
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            failed = user.wait(doomed)
            out["worker_killed"] = {"job_failed_after_s": round(time.monotonic() - t0, 2),
                                    "job_status": failed["status"]}
            next_job = user.start("/api/v1/mood/classify", {"audio_file_id": first["id"]})
            user.wait(next_job)
            out["worker_killed"]["next_job_completed_after_s"] = round(time.monotonic() - t0, 2)

            if kill_redis:
                redis = [pid for pid, (_, cmd) in studio.processes().items() if "redis-server" in cmd]
                t0 = time.monotonic()
                for pid in redis:
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
                back = studio.wait_healthy(120)
                out["redis_killed"] = {"health_200_after_s": round(time.monotonic() - t0, 2)}
                codes = set()
                while True:
                    res = user.s.post(f"{studio.url}/api/v1/mood/classify", json={"audio_file_id": first["id"]})
                    codes.add(res.status_code)
                    if res.status_code == 202:
                        user.wait(res.json()["job_id"])
                        break
                    time.sleep(0.2)
                out["redis_killed"].update(next_job_completed_after_s=round(time.monotonic() - t0, 2),
                                           answers_seen=sorted(codes), health_wait_s=round(back, 2))
        finally:
            studio.stop()
    return out


def scaled_env(database_url: str, redis_url: str) -> tuple[dict[str, str], callable]:
    import psycopg
    import redis

    db = f"sonicai_bench_{os.getpid()}"
    admin = psycopg.connect(database_url, autocommit=True)
    admin.execute(f"CREATE DATABASE {db}")
    redis.Redis.from_url(redis_url).flushdb()
    base = database_url.rsplit("/", 1)[0]

    def drop() -> None:
        admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.close()

    return {"DATABASE_URL": f"{base}/{db}", "REDIS_URL": redis_url}, drop


def report(results: list[dict]) -> None:
    print(f"\n{'set-up':10} {'endpoint':26} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'p99 / idle':>10}")
    for r in results:
        idle = r["idle"]
        rows = [(f"{k} (idle)", v, None) for k, v in idle.items()]
        busy = r["during_two_analyses"]["job status"]
        rows.append((f"job status ({busy['analyses_running_at_start']}-{busy['analyses_running_at_end']} analyses)",
                     busy, idle["job status"]))
        rows.append(("job status (no pause)", r["closed_loop_max"], idle["job status"]))
        for label, v, base in rows:
            ratio = f"{v['p99_ms'] / base['p99_ms']:.2f}x" if base and base["p99_ms"] else ""
            print(f"{r['setup']:10} {label:26} {v['req_per_s']:7.1f} {v['p50_ms']:8.1f} {v['p99_ms']:8.1f} "
                  f"{v['errors']:6d} {ratio:>10}")
        print(f"{r['setup']:10} worker killed mid-job: job failed after {r['worker_killed']['job_failed_after_s']} s, "
              f"next job done after {r['worker_killed']['next_job_completed_after_s']} s")
        if "redis_killed" in r:
            rk = r["redis_killed"]
            print(f"{r['setup']:10} Redis killed: /health 200 after {rk['health_200_after_s']} s, next job done "
                  f"after {rk['next_job_completed_after_s']} s, answers seen {rk['answers_seen']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=2.0, help="requests per second per client")
    parser.add_argument("--closed-clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--busy-songs", type=int, default=6,
                        help="3-minute songs uploaded (and so analysed, two at a time) for the loaded window")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--only", choices=["embedded", "scaled"])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results = []
    if args.only != "scaled":
        results.append(bench_setup("embedded", {}, args, kill_redis=True))
    if args.only != "embedded":
        env, drop = scaled_env(args.database_url, args.redis_url)
        try:
            results.append(bench_setup("scaled", env, args, kill_redis=False))
        finally:
            drop()
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
