"""MusicGen engine on its real transformers code path, with tiny randomly initialised checkpoints on disk."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sonicai.music.generate.base import EngineUnavailable  # noqa: E402
from sonicai.music.generate.musicgen import MusicGenEngine, _StepHook, _undelay, melody_chroma  # noqa: E402
from tests.generation.musicgen_tiny import build_tiny_musicgen, build_tiny_musicgen_melody  # noqa: E402

SR = 8000  # the tiny checkpoints' codec rate; 50 frames/s like the real 32 kHz MusicGen


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    build_tiny_musicgen(root / "musicgen" / "musicgen-tiny")
    build_tiny_musicgen_melody(root / "musicgen" / "musicgen-tiny-melody")
    return root


def engine(models_dir, name="musicgen-tiny", **kw) -> MusicGenEngine:
    kw.setdefault("window_seconds", 1.0)
    kw.setdefault("overlap_seconds", 0.4)
    return MusicGenEngine(name, models_dir, device="cpu", allow_download=False, **kw)


def test_generates_exact_duration_finite_audio(models_dir):
    calls = []
    out = engine(models_dir).generate("calm piano", 0.73, seed=3, progress=lambda p, s: calls.append((p, s)))
    assert out.sr == SR
    assert out.audio.dtype == np.float32 and out.audio.ndim == 2 and out.audio.shape == (1, round(0.73 * SR))
    assert np.isfinite(out.audio).all() and np.abs(out.audio).max() > 0
    assert out.summary["model"] == "musicgen-tiny" and out.summary["windows"] == 1
    pcts = [p for p, _ in calls]
    assert pcts == sorted(pcts) and pcts[-1] == 1.0
    # the step hook reports inside the window, not only at its ends
    assert len([s for _, s in calls if s.startswith("generating window")]) > 10


def test_same_seed_same_audio_other_seed_differs(models_dir):
    e = engine(models_dir)
    a = e.generate("upbeat rock drums", 1.0, seed=11).audio
    b = e.generate("upbeat rock drums", 1.0, seed=11).audio
    c = e.generate("upbeat rock drums", 1.0, seed=12).audio
    assert np.array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4


def test_seeding_leaves_the_callers_rng_alone(models_dir):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    engine(models_dir).generate("jazz", 0.5, seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_recovered_codes_decode_to_the_generated_audio(models_dir):
    # continuation prompts are built from these codes, so they must be exactly the codes of the audio
    model, proc, _ = engine(models_dir).load("cpu")
    inputs = proc(text=["calm piano"], return_tensors="pt")
    hook = _StepHook()
    from transformers import StoppingCriteriaList

    torch.manual_seed(0)
    with torch.inference_mode():
        audio = model.generate(**inputs, max_new_tokens=31, do_sample=True, guidance_scale=3.0,
                               stopping_criteria=StoppingCriteriaList([hook]))
        codes = _undelay(hook.last_ids, [0, 1], 0, 30)
        decoded = model.audio_encoder.decode(codes[None, None], audio_scales=[None]).audio_values
    assert hook.steps == 31
    assert decoded.shape == audio.shape
    assert torch.allclose(decoded, audio, atol=1e-5)


def test_long_piece_continues_from_previous_codes(models_dir):
    e = engine(models_dir)
    model, _, _ = e.load("cpu")
    calls = []
    real_generate = model.generate

    def spy(**kwargs):
        out = real_generate(**kwargs)
        calls.append((kwargs.get("decoder_input_ids"), kwargs["stopping_criteria"][0].last_ids.clone(),
                      kwargs["max_new_tokens"]))
        return out

    model.generate = spy
    try:
        long = e.generate("ambient synth", 2.5, seed=5)
    finally:
        del model.generate
    short = e.generate("ambient synth", 1.0, seed=5)

    assert long.audio.shape == (1, round(2.5 * SR)) and np.isfinite(long.audio).all()
    assert long.summary["windows"] == len(calls) == 4 and long.summary["frames"] == 125
    # window 2 is prompted with the last 0.4 s (20 frames) of window 1's codes
    assert calls[0][0] is None
    first_codes = _undelay(calls[0][1], [0, 1], 0, 50)
    assert torch.equal(calls[1][0].cpu(), first_codes[:, -20:])
    assert all(c[0].shape == (2, 20) for c in calls[1:])
    # continuing does not disturb what was already made: up to the first cross-fade it is the 1 s piece
    keep = SR - int(0.1 * SR)
    assert np.array_equal(long.audio[:, :keep], short.audio[:, :keep])


def test_missing_weights_name_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SONICAI_ALLOW_DOWNLOADS", raising=False)
    e = MusicGenEngine("musicgen-small", tmp_path, device="cpu")
    ok, message = e.available()
    folder = str(tmp_path / "musicgen" / "musicgen-small")
    assert not ok and folder in message and "huggingface-cli download facebook/musicgen-small" in message
    with pytest.raises(EngineUnavailable, match="musicgen-small"):
        e.generate("calm piano", 1.0, seed=1)
    monkeypatch.setenv("SONICAI_ALLOW_DOWNLOADS", "1")
    assert MusicGenEngine("musicgen-small", tmp_path).available()[0]


def test_incomplete_folder_is_unavailable_not_a_crash(models_dir, tmp_path):
    folder = tmp_path / "musicgen" / "musicgen-tiny"
    folder.mkdir(parents=True)
    for name in ("config.json", "model.safetensors", "generation_config.json"):  # no tokenizer files
        (folder / name).write_bytes((models_dir / "musicgen" / "musicgen-tiny" / name).read_bytes())
    with pytest.raises(EngineUnavailable, match=str(folder)):
        engine(tmp_path).generate("calm piano", 0.5, seed=1)


def test_melody_conditioning_steers_the_output(models_dir):
    sr = 16000
    t = np.arange(2 * sr) / sr
    a440 = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    c262 = (0.5 * np.sin(2 * np.pi * 261.63 * t)).astype(np.float32)
    e = engine(models_dir, "musicgen-tiny-melody")
    one = e.generate("jazz guitar", 1.5, seed=2, melody=(a440, sr))
    again = e.generate("jazz guitar", 1.5, seed=2, melody=(a440, sr))
    other = e.generate("jazz guitar", 1.5, seed=2, melody=(c262, sr))
    assert one.audio.shape == (1, round(1.5 * SR)) and one.summary["melody_conditioned"]
    assert np.array_equal(one.audio, again.audio)
    assert np.abs(one.audio - other.audio).max() > 1e-4
    with pytest.raises(ValueError, match="melody"):
        engine(models_dir).generate("jazz", 0.5, seed=1, melody=(a440, sr))


def test_melody_chroma_finds_the_pitch_class():
    sr = 22050
    t = np.arange(3 * sr) / sr
    chroma = melody_chroma(np.sin(2 * np.pi * 440 * t), sr)
    assert chroma.shape[1] == 12 and np.all(chroma.sum(axis=1) == 1)
    assert np.mean(chroma.argmax(axis=1) == 9) > 0.9  # A, counting from C


def test_prompt_reaches_the_model(models_dir):
    e = engine(models_dir)
    a = e.generate("calm piano", 1.0, seed=4).audio
    b = e.generate("fast rock drums", 1.0, seed=4).audio
    assert np.abs(a - b).max() > 1e-4
