"""A web process lists engines, renders every page and answers every read API without importing the ML stack:
torch and librosa cost hundreds of MB and seconds of start-up per web process, and only workers run them
(issue #17). Run in a fresh interpreter, since the test process itself has imported them long ago."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "librosa", "numba", "transformers", "diffusers")

SCRIPT = r'''
import io, json, sys, wave
import numpy as np
import django
django.setup()
from django.db import connection
from django.test.utils import setup_test_environment
setup_test_environment()
connection.creation.create_test_db(verbosity=0)
from django.contrib.auth import get_user_model
from django.test import Client

user = get_user_model().objects.create_user("light", password="a-long-enough-password-1")
client = Client()
client.force_login(user)
buf = io.BytesIO()
with wave.open(buf, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
    t = np.arange(22050 * 2) / 22050
    w.writeframes((0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes())
buf.seek(0); buf.name = "tone.wav"
upload = client.post("/api/v1/audio/upload", {"file": buf})
pk = upload.json()["id"]
schema = client.get("/api/schema/?format=json").json()
urls = ["/", "/library/", "/jobs/", "/mood/", "/generate/", "/docs", "/redoc",
        f"/files/{pk}/", f"/stems/{pk}/", f"/remix/{pk}/", f"/practice/{pk}/", f"/mood/{pk}/"]
urls += [path.replace("{id}", str(pk)) for path, ops in schema["paths"].items()
         if "get" in ops and (path.count("{") == 0 or path.count("{") == 1 and "{id}" in path)]
answers = {}
for url in urls:
    status = client.get(url).status_code
    answers[url] = [status, [m for m in HEAVY if m in sys.modules]]
print("RESULT" + json.dumps({"upload": upload.status_code, "answers": answers}))
'''


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX subprocess environment")
def test_pages_and_listing_apis_do_not_import_the_ml_stack():
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{SCRIPT}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, out.stderr[-3000:]
    result = json.loads(line[len("RESULT"):])
    assert result["upload"] == 201
    answers = result["answers"]
    assert len(answers) > 25
    errors = {url: a for url, a in answers.items() if a[0] >= 500}
    assert not errors
    heavy = {url: a[1] for url, a in answers.items() if a[1]}
    assert not heavy, f"imported by the web process: {heavy}"
