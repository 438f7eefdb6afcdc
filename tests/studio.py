"""Start the whole studio (``manage.py studio``) in a subprocess for end-to-end tests:
its own SQLite file, media folder and embedded Redis, on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Studio:
    def __init__(self, workdir: Path, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        var = workdir / "var"
        var.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DJANGO_SETTINGS"))}
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "sonicai.settings",
            "SONICAI_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'studio.sqlite3'}",
            "MEDIA_ROOT": str(workdir / "media"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        })
        # tests/settings.py exports the in-process broker and channel layer of the test run; the studio must
        # choose its own (embedded Redis for both) or the worker's progress never reaches the web process.
        for key in ("REDIS_URL", "DRAMATIQ_BROKER", "CHANNEL_LAYER", "CACHE_USE_REDIS"):
            self.env.pop(key, None)
        self.log = open(workdir / "studio.log", "w")
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Studio:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True, timeout=300)
        self.proc = subprocess.Popen([sys.executable, "manage.py", "studio", "--port", str(self.port)], cwd=ROOT,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as res:
                    if res.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
            if self.proc.poll() is not None:
                break
        self.__exit__(None, None, None)
        raise RuntimeError(f"studio did not become healthy; log: {self.log.name}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def register_in_browser(page, studio: Studio, username: str, password: str = "listen-to-this-42") -> None:
    """Create an account through the studio's register page; the browser ends up logged in on the library."""
    page.goto(f"{studio.url}/accounts/register/")
    for field, value in (("username", username), ("email", f"{username}@example.com"),
                         ("password1", password), ("password2", password)):
        page.fill(f"input[name={field}]", value)
    page.click("button[type=submit]")
