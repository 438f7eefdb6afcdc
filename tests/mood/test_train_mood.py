"""`manage.py train_mood DIR`: folder-per-mood audio in, a new model version the studio then uses."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from django.core.management import CommandError, call_command

from sonicai.music.tagging.mood.head import STUDIO_GROUP_WEIGHTS
from sonicai.music.tagging.mood.model import load_mood_model

SR = 22050


def _calm(seed: int, seconds: float = 6.0) -> np.ndarray:
    """A soft, slow sustained chord: few onsets, dark, quiet."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    root = rng.uniform(110, 180)
    x = sum(np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.25, 1.5)) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.2 * t))
    return 0.05 * x / 3


def _energetic(seed: int, seconds: float = 6.0) -> np.ndarray:
    """Loud, fast, bright: noise bursts at 140-170 BPM over a distorted saw bass."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    bpm = rng.uniform(140, 170)
    x = 0.4 * np.tanh(4 * ((t * rng.uniform(80, 110)) % 1.0 - 0.5))
    step = int(SR * 60 / bpm / 2)
    env = np.exp(-np.arange(step) / (0.02 * SR))
    for start in range(0, n - step, step):
        x[start:start + step] += 0.8 * env * rng.standard_normal(step)
    return 0.9 * x / np.max(np.abs(x))


def _write_set(root, per_class: int = 4):
    for label, make in (("calm", _calm), ("energetic", _energetic)):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            sf.write(root / label / f"{label}{i}.wav", make(100 * (label == "calm") + i), SR)


def test_train_mood_saves_a_version_that_the_studio_loads_and_that_separates_the_classes(tmp_path, capsys):
    data, models = tmp_path / "data", tmp_path / "models"
    _write_set(data)
    (data / "calm" / "notes.txt").write_text("not audio, ignored")
    call_command("train_mood", str(data), "--model-version", "mood-test-1", "--out", str(models))
    out = capsys.readouterr().out
    assert "trained mood-test-1 on 8 files" in out and "cross-validated accuracy" in out
    accuracy = float(out.split("cross-validated accuracy ")[1].split(";")[0])
    assert accuracy >= 0.75  # the two classes differ in every cue the head sees

    model = load_mood_model(models)
    assert model.version == "mood-test-1"
    # an operator's head meets the musical cues with the same pull as the shipped one
    assert model.head.meta["group_weights"] == STUDIO_GROUP_WEIGHTS == load_mood_model(None).head.meta["group_weights"]
    # unseen clips of each kind land in their class
    from mood.services import mood_training_set

    fresh = tmp_path / "fresh"
    for label, make in (("calm", _calm), ("energetic", _energetic)):
        (fresh / label).mkdir(parents=True)
        sf.write(fresh / label / "x.wav", make(999), SR)
    X, labels, _ = mood_training_set(fresh)
    for row, label in zip(X, labels, strict=True):
        probs = model.head(row)
        assert max(probs, key=probs.get) == label


def test_train_mood_rejects_unknown_folders_and_empty_sets(tmp_path):
    (tmp_path / "bouncy").mkdir()
    with pytest.raises(CommandError, match="unknown mood label 'bouncy'"):
        call_command("train_mood", str(tmp_path), "--out", str(tmp_path / "m"))
    (tmp_path / "bouncy").rmdir()
    (tmp_path / "calm").mkdir()
    with pytest.raises(CommandError, match="no audio found"):
        call_command("train_mood", str(tmp_path), "--out", str(tmp_path / "m"))
    with pytest.raises(CommandError, match="no such directory"):
        call_command("train_mood", str(tmp_path / "missing"))
    assert not (tmp_path / "m").exists()  # nothing half-written


def test_train_mood_reads_a_csv_of_valence_and_arousal(tmp_path, capsys):
    """The layout of published sets (DEAM, PMEmo): audio anywhere plus one CSV row of ratings per file."""
    data, models = tmp_path / "clips", tmp_path / "models"
    data.mkdir()
    lines = ["file,valence,arousal"]  # DEAM's 9-point scale
    for i in range(4):
        sf.write(data / f"soft{i}.wav", _calm(200 + i), SR)
        sf.write(data / f"loud{i}.wav", _energetic(300 + i), SR)
        lines += [f"soft{i}.wav,5.8,2.2", f"loud{i}.wav,5.4,8.6"]
    (data / "ratings.csv").write_text("\n".join(lines) + "\n")
    call_command("train_mood", str(data / "ratings.csv"), "--model-version", "mood-csv-1", "--out", str(models))
    out = capsys.readouterr().out
    assert "trained mood-csv-1 on 8 files (calm=4, energetic=4)" in out
    model = load_mood_model(models)
    assert model.version == "mood-csv-1" and 0.0 < model.head.meta["temperature"] < 20.0

    (data / "ratings.csv").write_text("file,label\nsoft0.wav,calm\nmissing.wav,happy\n")
    with pytest.raises(CommandError, match="1 labelled files not found"):
        call_command("train_mood", str(data / "ratings.csv"), "--out", str(models))
