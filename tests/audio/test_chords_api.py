"""GET /api/v1/audio/{id}/chords: the analysis job's chord track, or the job while it is not there."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audio.models import AudioFile, ProcessingJob
from sonicai.music.testing.signals import chord_progression
from tests.conftest import SR, encode

pytestmark = pytest.mark.django_db


def _upload_progression(api):
    # I - IV - V - I in F major: the IV chord must come back as B-flat.
    audio, _ = chord_progression([(5, "maj"), (10, "maj"), (0, "maj"), (5, "maj")], bpm=100, sr=SR)
    f = SimpleUploadedFile("progression.wav", encode(audio, SR, "wav"))
    res = api.post("/api/v1/audio/upload", {"file": f}, format="multipart")
    assert res.status_code == 201
    return res.json()


def test_chords_come_from_the_analysis_job_spelled_in_the_key(api, other_api, run_jobs):
    body = _upload_progression(api)
    pending = api.get(f"/api/v1/audio/{body['id']}/chords")
    assert pending.status_code == 202 and pending.json()["job_id"] == body["job_id"]
    run_jobs()
    res = api.get(f"/api/v1/audio/{body['id']}/chords")
    assert res.status_code == 200, res.content
    data = res.json()
    chords = data["chords"]
    assert chords[0]["start"] == 0.0 and chords[-1]["end"] == pytest.approx(data["duration"], abs=0.01)
    assert all(a["end"] == b["start"] for a, b in zip(chords, chords[1:], strict=False))
    # Chord changes sit on the analysis' beats.
    beats = {round(b, 3) for b in data["beats"]}
    assert all(round(c["start"], 3) in beats for c in chords[1:])
    assert (data["key"], data["mode"], data["key_name"]) == ("F", "major", "F")
    assert any(c["symbol"] == "B♭" for c in chords) and not any("A#" in c["label"] for c in chords)
    assert other_api.get(f"/api/v1/audio/{body['id']}/chords").status_code == 404


def test_an_analysis_from_before_chords_is_redone_by_a_job(api, upload):
    body = upload("wav", seconds=1.0)
    ProcessingJob.objects.filter(pk=body["job_id"]).update(status="completed")
    AudioFile.objects.filter(pk=body["id"]).update(analysis={"tempo_bpm": 120.0, "key": "C", "mode": "major"})
    res = api.get(f"/api/v1/audio/{body['id']}/chords")
    assert res.status_code == 202 and res.json()["job_id"] != body["job_id"]
    assert "chord track" in res.json()["detail"]
