"""``manage.py models`` as operators run it (a real process for exit statuses and stderr), and the Spleeter
engines it installs used by ``manage.py separate``."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.management import CommandError, call_command

from sonicai.music.models import catalogue, download

from ..stems.test_spleeter_stems import random_checkpoint
from .mirror import Mirror, tarball

ROOT = Path(__file__).resolve().parents[2]
TARBALL_URL = catalogue.get("spleeter-4stems").files[0].url


@pytest.fixture
def mirror():
    with Mirror() as m:
        yield m


@pytest.fixture
def dirs(tmp_path, settings, monkeypatch):
    monkeypatch.setattr(download, "BACKOFF", 0.0)
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_STAGING_DIR = tmp_path / "staging"
    return settings.MODELS_DIR, settings.MODELS_STAGING_DIR


def manage(*args: str, models_dir: Path, staging: Path | None = None, mirror: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", SONICAI_MODELS_DIR=str(models_dir),
               SONICAI_MODELS_STAGING=str(staging or models_dir.parent / "staging"), SONICAI_MODELS_MIRROR=mirror,
               DEVICE="cpu")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


PROGRESS_BAR = re.compile(r"^\S+: +\d+%\|")  # tqdm's lines, before an error found after downloading


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not PROGRESS_BAR.match(line)]
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    return lines[0]


def test_list_json_has_what_an_operator_decides_on(dirs):
    out = io.StringIO()
    call_command("models", "list", "--json", stdout=out)
    rows = {r["name"]: r for r in json.loads(out.getvalue())}
    for row in rows.values():
        assert {"name", "task", "size", "licence", "installed", "state", "licence_url", "source",
                "free_for_any_use"} <= set(row)
    assert rows["spleeter-4stems"]["installed"] is False and rows["spleeter-4stems"]["state"] == "not installed"
    text = io.StringIO()
    call_command("models", "list", stdout=text)
    assert "htdemucs_ft" in text.getvalue() and "not free for every use" in text.getvalue()


def test_a_wrong_file_on_the_mirror_is_refused_in_one_line_and_nothing_is_installed(mirror, tmp_path):
    mirror.put(TARBALL_URL, tarball({"model.index": b"not Deezer's"}))
    proc = manage("models", "install", "spleeter-4stems", models_dir=tmp_path / "models", mirror=mirror.url)
    line = one_line_error(proc)
    assert proc.returncode == 1 and "4stems.tar.gz: SHA-256" in line and "does not match the pinned" in line
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").rglob("*"))


def test_bad_input_ends_with_one_line(tmp_path):
    models_dir = tmp_path / "models"
    for args, expected in [
        (("models", "install", "nope"), "Unknown model 'nope'"),
        (("models", "install", "htdemucs_ft"), "--accept-licence"),
        (("models", "install", "stable-audio-open-1.0", "--accept-licence"), "--allow-unpinned"),
        (("models", "verify", "spleeter-5stems"), "spleeter-5stems: not installed"),
        (("models", "remove", "htdemucs"), "htdemucs is not installed"),
        (("models", "frob"), "invalid choice: 'frob'"),
    ]:
        proc = manage(*args, models_dir=models_dir)
        assert expected in one_line_error(proc), args
    assert not models_dir.exists()


def test_separate_with_a_missing_engine_names_the_install_command(tmp_path):
    song = tmp_path / "song.wav"
    sf.write(song, np.zeros((44100, 2), np.float32), 44100)
    proc = manage("separate", str(song), "--out", str(tmp_path / "out"), "--engine", "spleeter-4stems",
                  models_dir=tmp_path / "models")
    line = one_line_error(proc)
    assert proc.returncode == 1 and "python manage.py models install spleeter-4stems" in line
    assert not (tmp_path / "out").exists()


def test_install_verify_remove_then_separate_with_the_installed_engine(mirror, dirs, monkeypatch, tmp_path):
    models_dir, staging = dirs
    build = tmp_path / "build"
    random_checkpoint(build / "model", 4)
    body = tarball({p.name: p.read_bytes() for p in build.iterdir()})
    entry = catalogue.get("spleeter-4stems")
    monkeypatch.setitem(catalogue.BY_NAME, entry.name, dataclasses.replace(entry, files=(
        dataclasses.replace(entry.files[0], sha256=hashlib.sha256(body).hexdigest()),)))
    path = mirror.put(TARBALL_URL, body)
    mirror.drops[path] = 1
    monkeypatch.setattr("django.conf.settings.MODELS_MIRROR", mirror.url)
    out, err = io.StringIO(), io.StringIO()
    call_command("models", "install", "spleeter-4stems", stdout=out, stderr=err)
    assert "spleeter-4stems: installed in" in out.getvalue()
    assert "4stems.tar.gz" in err.getvalue() and "100%" in err.getvalue()  # the progress bar
    assert [rng is not None for p, rng in mirror.requests] == [False, True]  # resumed after the drop
    out = io.StringIO()
    call_command("models", "verify", stdout=out)
    assert "spleeter-4stems: ok" in out.getvalue()

    song = tmp_path / "song.wav"
    t = np.arange(2 * 44100) / 44100
    sf.write(song, np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)], 1) * 0.3, 44100)
    proc = manage("separate", str(song), "--out", str(tmp_path / "stems"), "--engine", "spleeter-4stems", "--json",
                  models_dir=models_dir)
    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout)["stems"]) == ["bass", "drums", "other", "vocals"]
    assert sf.info(tmp_path / "stems" / "drums.wav").frames == 2 * 44100

    (models_dir / "spleeter" / "4stems" / "model.index").write_bytes(b"broken")
    with pytest.raises(CommandError, match="model.index does not match its SHA-256"):
        call_command("models", "verify", "spleeter-4stems", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("models", "remove", "spleeter-4stems", stdout=out)
    assert "removed 3 file(s)" in out.getvalue() and not any(models_dir.rglob("*"))
