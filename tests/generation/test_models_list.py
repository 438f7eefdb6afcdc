"""The model list behind /api/v1/generate/models and get_engine()."""

from __future__ import annotations

import numpy as np
import pytest

from sonicai.music.generate.base import EngineUnavailable
from sonicai.music.generate.musicgen import MusicGenEngine
from sonicai.music.generate.registry import ComposerEngine, default_model, get_engine, list_models
from sonicai.music.generate.riffusion import RiffusionEngine
from sonicai.music.generate.stable_audio import StableAudioEngine

KEYS = {"engine", "model", "installed", "message", "size", "licence", "speed_class", "default", "supports_melody"}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.delenv("SONICAI_ALLOW_DOWNLOADS", raising=False)


def test_lists_every_model_with_install_state(tmp_path):
    models = {m["model"]: m for m in list_models(tmp_path)}
    assert set(models) == {"composer", "musicgen-small", "musicgen-medium", "musicgen-large", "musicgen-melody",
                           "stable-audio-open-1.0", "riffusion-v1"}
    assert all(set(m) == KEYS for m in models.values())
    assert [m for m in models.values() if m["default"]] == [models["composer"]]
    assert models["composer"]["installed"]
    assert models["musicgen-melody"]["supports_melody"] and not models["musicgen-small"]["supports_melody"]
    small = models["musicgen-small"]
    assert not small["installed"] and str(tmp_path / "musicgen" / "musicgen-small") in small["message"]
    assert "CC-BY-NC 4.0" in small["licence"] and "300M" in small["size"]
    stable = models["stable-audio-open-1.0"]
    assert stable["engine"] == "diffusers" and not stable["installed"]
    assert str(tmp_path / "stable-audio-open-1.0") in stable["message"]
    assert "models install stable-audio-open " in stable["message"]
    riffusion = models["riffusion-v1"]
    assert riffusion["engine"] == "diffusers" and not riffusion["installed"]
    assert str(tmp_path / "riffusion-v1") in riffusion["message"]
    assert "models install riffusion-v1" in riffusion["message"]
    assert "OpenRAIL-M" in models["riffusion-v1"]["licence"]
    assert "Stability AI Community" in models["stable-audio-open-1.0"]["licence"]


def test_weights_in_the_folder_mark_musicgen_installed(tmp_path):
    folder = tmp_path / "musicgen" / "musicgen-small"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    assert not {m["model"]: m for m in list_models(tmp_path)}["musicgen-small"]["installed"]  # config alone
    (folder / "model.safetensors").write_bytes(b"")
    assert {m["model"]: m for m in list_models(tmp_path)}["musicgen-small"]["installed"]


def test_get_engine(tmp_path):
    engine = get_engine("musicgen-medium", tmp_path, device="cpu")
    assert isinstance(engine, MusicGenEngine) and engine.name == "musicgen-medium"
    assert engine.folder == tmp_path / "musicgen" / "musicgen-medium"
    assert isinstance(get_engine("composer", tmp_path), ComposerEngine)
    riffusion = get_engine("riffusion-v1", tmp_path, device="cpu")
    assert isinstance(riffusion, RiffusionEngine) and riffusion.folder == tmp_path / "riffusion-v1"
    with pytest.raises(EngineUnavailable, match="riffusion-v1"):
        riffusion.generate("calm piano", 5.0, seed=1)
    stable = get_engine("stable-audio-open-1.0", tmp_path, device="cpu")
    assert isinstance(stable, StableAudioEngine) and stable.folder == tmp_path / "stable-audio-open-1.0"
    with pytest.raises(ValueError):
        get_engine("no-such-model", tmp_path)


def test_composer_adapter_runs_the_composer():
    out = get_engine("composer", None).generate("calm lofi piano", 5.0, seed=1)
    assert out.audio.dtype == np.float32 and out.audio.shape[0] == 2
    assert out.audio.shape[1] == round(5.0 * out.sr) and np.isfinite(out.audio).all()
    assert out.midi is not None and out.summary["engine"] == "composer"


def test_best_installed_model_is_the_default(tmp_path):
    assert default_model(tmp_path) == "composer"
    folder = tmp_path / "musicgen" / "musicgen-small"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    assert [m["model"] for m in list_models(tmp_path) if m["default"]] == ["musicgen-small"]
    assert default_model(tmp_path) == "musicgen-small"
