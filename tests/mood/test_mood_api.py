"""Mood classification jobs, results and history; the analyze command's contract."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import SR, encode, tone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

MOODS = {"happy", "sad", "energetic", "calm", "angry", "melancholic", "romantic"}


def test_classify_job_stores_a_mood_row(api, other_api, upload, run_jobs):
    body = upload("wav", seconds=6.0)
    res = api.post("/api/v1/mood/classify", {"audio_file_id": body["id"]}, format="json")
    assert res.status_code == 202
    job_id = res.json()["job_id"]
    run_jobs()
    job = api.get(f"/api/v1/mood/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    rows = api.get(f"/api/v1/mood/audio/{body['id']}").json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert set(row["mood_scores"]) == MOODS
    assert sum(row["mood_scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert row["primary_mood"] in MOODS and 0 <= row["valence"] <= 1 and 0 <= row["arousal"] <= 1
    assert len(row["tags"]) == 50 and row["model_version"]
    assert "mfcc_mean" in row["audio_features"]
    assert api.get("/api/v1/mood/history").json()["count"] == 1
    assert other_api.get("/api/v1/mood/history").json()["count"] == 0
    assert other_api.get(f"/api/v1/mood/audio/{body['id']}").status_code == 404
    assert other_api.get(f"/api/v1/mood/jobs/{job_id}").status_code == 404
    # the features endpoint serves the analysis and the latest mood
    feats = api.get(f"/api/v1/audio/{body['id']}/features").json()
    assert feats["mood"]["primary"] == row["primary_mood"] and "tempo_bpm" in feats


def test_a_near_silent_file_is_stored_as_uncertain(api, run_jobs, client, user):
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    hiss = (10 ** (-74 / 20) * np.random.default_rng(0).standard_normal((2, 8 * SR))).astype(np.float32)
    f = SimpleUploadedFile("hiss.wav", encode(hiss, SR, "wav"), content_type="audio/wav")
    body = api.post("/api/v1/audio/upload", {"file": f}, format="multipart").json()
    api.post("/api/v1/mood/classify", {"audio_file_id": body["id"]}, format="json")
    run_jobs()
    row = api.get(f"/api/v1/mood/audio/{body['id']}").json()["results"][0]
    # the model's near-silence verdict reaches the stored row and the pages, whatever its confidence says
    assert row["uncertain"] is True, row["confidence"]
    client.force_login(user)
    page = client.get(f"/mood/{body['id']}/").content.decode()
    assert "uncertain" in page
    # the radar's scores are also written out, highest first
    ranked = sorted(row["mood_scores"].items(), key=lambda kv: -kv[1])
    text = page.split('class="small muted mood-scores-text">')[1].split("</p>")[0]
    assert text.index(ranked[0][0]) < text.index(ranked[-1][0])


def test_analyze_command_contract(tmp_path, capsys):
    path = tmp_path / "song.flac"
    path.write_bytes(encode(tone(6.0), SR, "flac"))
    call_command("analyze", str(path), "--json")
    out = json.loads(capsys.readouterr().out)
    for key in ("duration", "sample_rate", "tempo_bpm", "key", "mode", "loudness_lufs", "mood"):
        assert key in out, key
    assert out["duration"] == pytest.approx(6.0, abs=0.05) and out["sample_rate"] == SR
    assert out["key"] in {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"}
    assert out["mode"] in {"major", "minor"}
    mood = out["mood"]
    assert {"primary", "confidence", "scores", "valence", "arousal", "uncertain"} <= set(mood)
    assert mood["uncertain"] == (mood["confidence"] < 0.4)  # the shipped head's threshold
    assert set(mood["scores"]) == MOODS and 0 <= mood["valence"] <= 1 and 0 <= mood["arousal"] <= 1


def test_analyze_command_bad_input(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("analyze", str(tmp_path / "nothing.mp3"), "--json")
    bad = tmp_path / "text.mp3"
    bad.write_text("hello")
    with pytest.raises(CommandError):
        call_command("analyze", str(bad), "--json")
