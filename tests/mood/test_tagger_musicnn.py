"""The PyTorch musicnn port: real MSD weights, agreement with the original TensorFlow model, shapes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from sonicai.music.tagging.logmel import PATCH_FRAMES, make_patches
from sonicai.music.tagging.musicnn import MSD_TAGS, MusicnnNet, MusicnnTagger, default_weights_dir

DATA = Path(__file__).parent / "data"



def _weights_available() -> bool:
    try:
        return (default_weights_dir() / ".index").is_file()
    except FileNotFoundError:
        return False


needs_weights = pytest.mark.skipif(not _weights_available(), reason="musicnn weights wheel not installed")


@pytest.fixture(scope="module")
def tagger() -> MusicnnTagger:
    torch.set_num_threads(1)
    return MusicnnTagger.load()


@needs_weights
def test_matches_original_tensorflow_musicnn(tagger, tmp_path):
    # Reference probabilities were produced by the original TF graph + checkpoint (see docs/musicnn_port.md).
    ref = json.loads((DATA / "musicnn_tf_reference_sine220.json").read_text())
    sr = 16000
    t = np.arange(7 * sr) / sr
    sf.write(tmp_path / "x.wav", 0.05 * np.sin(2 * np.pi * 220 * t), sr)  # 16-bit PCM, as the reference
    y, _ = sf.read(tmp_path / "x.wav", dtype="float32")
    result = tagger.tag(y, sr)
    expected = np.array(ref["patch_probs"])
    assert result.patch_probs.shape == expected.shape
    np.testing.assert_allclose(result.patch_probs, expected, atol=1e-4)


@needs_weights
def test_tags_are_50_probabilities_and_deterministic(tagger):
    sr = 22050
    t = np.arange(int(3.5 * sr)) / sr
    rng = np.random.default_rng(1)
    clicks = (np.mod(t, 0.5) < 0.02) * rng.standard_normal(t.size)
    stereo = np.stack([0.2 * np.sin(2 * np.pi * 330 * t) + 0.3 * clicks, 0.2 * np.sin(2 * np.pi * 440 * t)])
    a = tagger.tag(stereo.astype(np.float32), sr)
    b = tagger.tag(stereo.astype(np.float32), sr)
    assert list(a.tags) == MSD_TAGS and len(a.tags) == 50
    probs = np.array(list(a.tags.values()))
    assert np.all((probs >= 0) & (probs <= 1))
    assert a.embedding.shape == (200,) and np.all(np.isfinite(a.embedding))
    assert a.patch_probs.shape == (1, 50)
    np.testing.assert_array_equal(a.patch_probs, b.patch_probs)


@needs_weights
def test_loud_audio_still_gives_finite_tags(tagger):
    # The original's float16 log overflows (NaN tags) for loud tonal audio; the port must not.
    sr = 16000
    t = np.arange(4 * sr) / sr
    r = tagger.tag((0.9 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)
    assert np.all(np.isfinite(r.patch_probs))


@needs_weights
def test_short_clip_is_repeat_padded_and_batching_does_not_change_results(tagger):
    sr = 16000
    t = np.arange(sr) / sr  # 1 s: shorter than one 3 s patch
    r = tagger.tag((0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)
    assert r.patch_probs.shape == (1, 50)
    rng = np.random.default_rng(0)
    patches = rng.uniform(0, 4, size=(5, PATCH_FRAMES, 96)).astype(np.float32)
    together, _ = tagger.predict_patches(patches)
    alone = np.concatenate([tagger.predict_patches(p[None])[0] for p in patches])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_missing_weights_raise_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="musicnn weights not found"):
        MusicnnTagger.load(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="musicnn weights not found"):
        MusicnnTagger.load(tmp_path)  # exists but holds no checkpoint


def test_tiny_random_model_forward_shapes():
    torch.manual_seed(0)
    net = MusicnnNet(n_mels=20, frontend_scale=0.1, midend_filters=4, backend_units=8, n_classes=5).eval()
    x = torch.randn(3, 40, 20)
    with torch.inference_mode():
        out = net(x)
    front = 2 * int(0.1 * 128) + 3 * int(0.1 * 32)
    assert out["logits"].shape == (3, 5)
    assert out["penultimate"].shape == (3, 8)
    assert out["max_pool"].shape == (3, front + 3 * 4)
    # Time-pooling back-end: the network accepts patches of other lengths too.
    with torch.inference_mode():
        assert net(torch.randn(2, 17, 20))["logits"].shape == (2, 5)
    with pytest.raises(ValueError):
        net(torch.randn(2, 40, 21))


def test_patching_matches_musicnn_windowing():
    rep = np.arange(500 * 96, dtype=np.float32).reshape(500, 96)
    p = make_patches(rep)
    assert p.shape == (2, PATCH_FRAMES, 96)  # trailing 126 frames dropped, like musicnn
    np.testing.assert_array_equal(p[1], rep[PATCH_FRAMES : 2 * PATCH_FRAMES])
    assert make_patches(rep, hop_frames=100).shape == (4, PATCH_FRAMES, 96)
