"""The musicgen-melody genre engine: the real remix path on a tiny random MusicGen-melody, and its refusal
when the weights are not installed."""

import numpy as np
import pytest

from sonicai.music.master import loudness_lufs
from sonicai.music.remix.pipeline import RemixParams, run_remix
from tests.generation.musicgen_tiny import build_tiny_musicgen_melody

SR = 44100


def _song(freq: float, seconds: float = 4.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.stack([0.3 * np.sin(2 * np.pi * freq * t)] * 2).astype(np.float32)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    build_tiny_musicgen_melody(root / "musicgen" / "musicgen-melody")
    return root


ANALYSIS = {"tempo_bpm": 80.0, "beats": list(np.arange(0.25, 4.0, 0.75)), "key": "A", "mode": "minor"}


def remix(models_dir, freq: float, seed: int = 3):
    song = _song(freq)
    params = RemixParams(genre="lofi", genre_engine="musicgen-melody", seed=seed)
    return run_remix(song, SR, params, stems={"vocals": song}, analysis=ANALYSIS, models_dir=models_dir)


def test_melody_engine_remix_is_mastered_at_the_genre_tempo_and_follows_the_melody(models_dir):
    a = remix(models_dir, 440.0)
    s = a.summary
    assert (s["genre"], s["genre_engine"], a.sr, a.audio.shape[0]) == ("lofi", "musicgen-melody", SR, 2)
    assert s["source_bpm"] == 80.0 and 70 <= s["tempo_bpm"] <= 90  # lofi's range, least stretch from 80
    expected = 4.0 * s["source_bpm"] * s["beats_per_source_beat"] / s["tempo_bpm"]
    assert a.audio.shape[1] == round(expected * SR)
    assert loudness_lufs(a.audio, SR) == pytest.approx(-14.0, abs=1.0)
    assert "lofi" in s["prompt"] and "A minor" in s["prompt"]
    again = remix(models_dir, 440.0)
    assert np.array_equal(a.audio, again.audio)  # deterministic by seed
    other_tune = remix(models_dir, 262.0)
    assert np.abs(a.audio - other_tune.audio).max() > 1e-3  # the melody conditions the output


def test_missing_weights_are_refused_with_how_to_install(tmp_path, api, user, upload, settings):
    settings.MODELS_DIR = tmp_path
    body = upload("wav", seconds=4.0)
    request = {"audio_file_id": body["id"], "genre": "jazz", "genre_engine": "musicgen-melody"}
    res = api.post("/api/v1/remix/genre", request, format="json")
    assert res.status_code == 400
    # a musician is told the engine is not installed here; server paths are for operators
    assert "not installed on this server" in res.json()["detail"] and str(tmp_path) not in res.json()["detail"]
    user.is_staff = True
    user.save()
    res = api.post("/api/v1/remix/genre", request, format="json")
    assert "not installed" in res.json()["detail"] and str(tmp_path / "musicgen" / "musicgen-melody") in res.json()[
        "detail"]
    assert api.get("/api/v1/jobs").json()["count"] == 1  # only the upload's analysis job
    options = api.get("/api/v1/remix/options").json()
    assert [e["engine"] for e in options["genre_engines"]] == ["arranger", "musicgen-melody"]
    assert not options["genre_engines"][1]["installed"]
