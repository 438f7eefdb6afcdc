"""Riffusion engine on its real diffusers code path with a tiny random pipeline, and the spectrogram inversion
with Riffusion's real parameters on a known signal."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from sonicai.music.generate import riffusion  # noqa: E402
from sonicai.music.generate.base import EngineUnavailable  # noqa: E402
from sonicai.music.generate.registry import get_engine, list_models, max_duration  # noqa: E402
from sonicai.music.generate.riffusion import NAME, RiffusionEngine  # noqa: E402
from tests.generation.riffusion_tiny import IMAGE_SIZE, build_tiny_riffusion  # noqa: E402

SR = 44100


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.delenv("SONICAI_ALLOW_DOWNLOADS", raising=False)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    build_tiny_riffusion(root / NAME)
    return root


def engine(models_dir, **kw) -> RiffusionEngine:
    kw.setdefault("num_inference_steps", 3)
    return RiffusionEngine(NAME, models_dir, device="cpu", allow_download=False, **kw)


def dominant_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1 / SR)[spectrum.argmax()])


@pytest.mark.parametrize("hz", [440.0, 2500.0])
def test_sine_spectrogram_image_converts_back_to_the_sine(hz):
    t = np.arange(SR) / SR
    image = riffusion.image_from_mel(riffusion.mel_from_audio(0.25 * np.sin(2 * np.pi * hz * t)))
    assert image.shape == (512, 101) and image.dtype == np.uint8
    audio = riffusion.audio_from_image(image)
    assert audio.shape == (101 * 441,) and np.isfinite(audio).all()
    assert dominant_hz(audio) == pytest.approx(hz, rel=0.03)


def test_small_images_are_stretched_to_the_real_mel_axis():
    # a 64-row image of a dark band halfway up lands halfway up the 512 mel bins
    image = np.full((64, 10), 255.0)
    image[31:33] = 0.0
    mel = riffusion.image_to_mel(image)
    assert mel.shape == (512, 10)
    assert abs(int(mel[:, 0].argmax()) - 256) < 10 and mel.max() == pytest.approx(riffusion.MAX_VALUE, rel=0.05)


def test_generates_exact_duration_stereo_44k(models_dir):
    calls = []
    out = engine(models_dir).generate("calm piano", 1.2345, seed=3, progress=lambda p, s: calls.append((p, s)))
    assert out.sr == SR
    assert out.audio.dtype == np.float32 and out.audio.shape == (2, round(1.2345 * SR))
    assert out.audio.flags["C_CONTIGUOUS"]
    assert np.isfinite(out.audio).all() and 0 < np.abs(out.audio).max() <= 1.0
    s = out.summary
    assert s["engine"] == "diffusers" and s["model"] == NAME and s["image_size"] == [IMAGE_SIZE, IMAGE_SIZE]
    # 0.64 s images with 0.16 s crossfades: three cover 1.2345 s, drawn with seeds 3, 4, 5
    assert s["images"] == 3 and s["seeds"] == [3, 4, 5] and s["crossfade_s"] == pytest.approx(0.16, abs=0.001)
    pcts = [p for p, _ in calls]
    assert pcts == sorted(pcts) and pcts[-1] == 1.0
    assert [m for _, m in calls if m.startswith("denoising")][-1] == "denoising step 9/9"


def test_same_seed_same_audio_other_seed_differs(models_dir):
    e = engine(models_dir)
    a = e.generate("upbeat rock drums", 0.5, seed=11).audio
    b = e.generate("upbeat rock drums", 0.5, seed=11).audio
    c = e.generate("upbeat rock drums", 0.5, seed=12).audio
    assert np.array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4


def test_seeding_leaves_the_callers_rng_alone(models_dir):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    engine(models_dir).generate("jazz", 0.3, seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_longer_than_the_cap_is_refused(models_dir):
    with pytest.raises(ValueError, match="at most 30 s"):
        engine(models_dir).generate("ambient synth", 30.5, seed=1)
    with pytest.raises(ValueError, match="melody"):
        engine(models_dir).generate("jazz", 1.0, seed=1, melody=(np.zeros(8000, np.float32), 8000))
    assert max_duration(NAME) == 30.0


def test_registry_lists_it_installed_and_runs_it(models_dir):
    entry = {m["model"]: m for m in list_models(models_dir)}[NAME]
    assert entry["installed"] and entry["engine"] == "diffusers"
    assert entry["message"].startswith("ready") and str(models_dir / NAME) in entry["message"]
    e = get_engine(NAME, models_dir, device="cpu")
    assert isinstance(e, RiffusionEngine) and e.folder == models_dir / NAME


def test_studio_service_accepts_it_up_to_the_cap(models_dir, settings):
    # validate_request is what refuses a job before it is queued
    from generation import services

    settings.MODELS_DIR = models_dir
    services.validate_request("lofi guitar", 30.0, NAME)
    with pytest.raises(ValueError, match="at most 30 s"):
        services.validate_request("lofi guitar", 31.0, NAME)


def test_missing_weights_name_the_folder(tmp_path, monkeypatch):
    e = RiffusionEngine(NAME, tmp_path, device="cpu")
    ok, message = e.available()
    folder = str(tmp_path / NAME)
    assert not ok and folder in message
    assert f"huggingface-cli download riffusion/riffusion-model-v1 --local-dir {folder}" in message
    with pytest.raises(EngineUnavailable, match="Riffusion weights are not installed") as info:
        e.generate("calm piano", 1.0, seed=1)
    assert folder in str(info.value)
    monkeypatch.setenv("SONICAI_ALLOW_DOWNLOADS", "1")
    assert RiffusionEngine(NAME, tmp_path).available()[0]


def test_incomplete_folder_is_unavailable_not_a_crash(models_dir, tmp_path):
    folder = tmp_path / NAME
    shutil.copytree(models_dir / NAME, folder)
    shutil.rmtree(folder / "tokenizer")
    (folder / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    e = engine(tmp_path)
    ok, message = e.available()
    assert not ok and f"incomplete in {folder} (missing tokenizer/, unet/ weights)" in message
    with pytest.raises(EngineUnavailable, match="incomplete"):
        e.generate("calm piano", 0.5, seed=1)


def test_missing_packages_are_named(models_dir, monkeypatch):
    # a module name that cannot be found stands in for diffusers not being installed
    monkeypatch.setattr(RiffusionEngine, "REQUIRED", {"sonicai_absent_diffusers": "diffusers==0.42.1"})
    ok, message = engine(models_dir).available()
    assert not ok and "pip install diffusers==0.42.1" in message
    with pytest.raises(EngineUnavailable, match="diffusers==0.42.1"):
        engine(models_dir).generate("calm piano", 0.5, seed=1)
