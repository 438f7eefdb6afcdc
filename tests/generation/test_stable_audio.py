"""Stable Audio Open engine on its real diffusers code path, with a tiny randomly initialised pipeline on disk."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("torchsde")

from sonicai.music.generate.base import EngineUnavailable  # noqa: E402
from sonicai.music.generate.registry import get_engine, list_models  # noqa: E402
from sonicai.music.generate.stable_audio import NAME, StableAudioEngine  # noqa: E402
from tests.generation.stable_audio_tiny import HOP, SAMPLE_SIZE, build_tiny_stable_audio  # noqa: E402

SR = 44100


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.delenv("SONICAI_ALLOW_DOWNLOADS", raising=False)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    build_tiny_stable_audio(root / NAME)
    return root


def engine(models_dir, **kw) -> StableAudioEngine:
    kw.setdefault("num_inference_steps", 8)
    return StableAudioEngine(NAME, models_dir, device="cpu", allow_download=False, **kw)


def test_generates_exact_duration_stereo_44k(models_dir):
    calls = []
    out = engine(models_dir).generate("calm piano", 1.2345, seed=3, progress=lambda p, s: calls.append((p, s)))
    assert out.sr == SR
    assert out.audio.dtype == np.float32 and out.audio.shape == (2, round(1.2345 * SR))
    assert out.audio.flags["C_CONTIGUOUS"]
    assert np.isfinite(out.audio).all() and np.abs(out.audio).max() > 0
    assert out.summary["engine"] == "diffusers" and out.summary["model"] == NAME
    assert out.summary["num_inference_steps"] == 8 and out.summary["seed"] == 3
    assert out.summary["max_seconds"] == pytest.approx(SAMPLE_SIZE * HOP / SR, abs=0.01)
    pcts = [p for p, _ in calls]
    assert pcts == sorted(pcts) and pcts[-1] == 1.0
    assert [s for _, s in calls if s.startswith("denoising")][-1] == "denoising step 8/8"


def test_same_seed_same_audio_other_seed_differs(models_dir):
    e = engine(models_dir)
    a = e.generate("upbeat rock drums", 1.0, seed=11).audio
    b = e.generate("upbeat rock drums", 1.0, seed=11).audio
    c = e.generate("upbeat rock drums", 1.0, seed=12).audio
    assert np.array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4


def test_prompt_reaches_the_model(models_dir):
    e = engine(models_dir)
    a = e.generate("calm piano", 1.0, seed=4).audio
    b = e.generate("fast rock drums", 1.0, seed=4).audio
    assert np.abs(a - b).max() > 1e-4


def test_seeding_leaves_the_callers_rng_alone(models_dir):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    engine(models_dir).generate("jazz", 0.5, seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_longer_than_the_model_window_is_refused(models_dir):
    with pytest.raises(ValueError, match="at most 5.9 s"):
        engine(models_dir).generate("ambient synth", 6.5, seed=1)
    with pytest.raises(ValueError, match="melody"):
        engine(models_dir).generate("jazz", 1.0, seed=1, melody=(np.zeros(8000, np.float32), 8000))


def test_registry_lists_it_installed_and_runs_it(models_dir):
    entry = {m["model"]: m for m in list_models(models_dir)}[NAME]
    assert entry["installed"] and entry["engine"] == "diffusers"
    assert entry["message"].startswith("ready") and str(models_dir / NAME) in entry["message"]
    e = get_engine(NAME, models_dir, device="cpu")
    assert isinstance(e, StableAudioEngine) and e.folder == models_dir / NAME
    riffusion = {m["model"]: m for m in list_models(models_dir)}["riffusion-v1"]
    assert not riffusion["installed"] and str(models_dir / "riffusion-v1") in riffusion["message"]


def test_studio_service_generates_with_it(models_dir, settings):
    # the path a job takes: validate_request -> get_engine -> generate, with the pipeline's default 100 steps
    from generation import services

    settings.MODELS_DIR = models_dir
    settings.TORCH_DEVICE = "cpu"
    result = services.generate("lofi guitar", 5.0, seed=2, model=NAME)
    assert result.sr == SR and result.audio.shape == (2, 5 * SR) and np.isfinite(result.audio).all()
    assert result.summary["num_inference_steps"] == 100 and result.midi_bytes is None
    with pytest.raises(ValueError, match="at most 47 s"):
        services.validate_request("lofi guitar", 60.0, NAME)


def test_missing_weights_name_the_folder(tmp_path, monkeypatch):
    e = StableAudioEngine(NAME, tmp_path, device="cpu")
    ok, message = e.available()
    folder = str(tmp_path / NAME)
    assert not ok and folder in message
    assert "python manage.py models install stable-audio-open --accept-licence --allow-unpinned" in message
    with pytest.raises(EngineUnavailable, match="Stable Audio Open is not installed") as info:
        e.generate("calm piano", 1.0, seed=1)
    assert folder in str(info.value)
    entry = {m["model"]: m for m in list_models(tmp_path)}[NAME]
    assert not entry["installed"] and folder in entry["message"]
    monkeypatch.setenv("SONICAI_ALLOW_DOWNLOADS", "1")
    assert StableAudioEngine(NAME, tmp_path).available()[0]


def test_incomplete_folder_is_unavailable_not_a_crash(models_dir, tmp_path):
    folder = tmp_path / NAME
    shutil.copytree(models_dir / NAME, folder)
    shutil.rmtree(folder / "tokenizer")
    (folder / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    e = engine(tmp_path)
    ok, message = e.available()
    assert not ok and f"incomplete in {folder} (missing tokenizer/, transformer/ weights)" in message
    with pytest.raises(EngineUnavailable, match="incomplete"):
        e.generate("calm piano", 0.5, seed=1)


def test_missing_packages_are_named(models_dir, monkeypatch):
    # a module name that cannot be found stands in for torchsde not being installed
    monkeypatch.setattr(StableAudioEngine, "REQUIRED", {"diffusers": "diffusers==0.42.1",
                                                        "sonicai_absent_torchsde": "torchsde==0.2.6"})
    ok, message = engine(models_dir).available()
    assert not ok and "pip install torchsde==0.2.6" in message
    with pytest.raises(EngineUnavailable, match="torchsde==0.2.6"):
        engine(models_dir).generate("calm piano", 0.5, seed=1)
