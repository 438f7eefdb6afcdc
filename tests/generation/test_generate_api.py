"""Text-to-music jobs through the API and worker, the model list, and the generate command."""

import json

import numpy as np
import pytest
import soundfile as sf
from django.core.management import call_command
from django.core.management.base import CommandError

from audio.models import AudioFile

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def test_models_list(api):
    body = api.get("/api/v1/generate/models").json()
    models = {m["model"]: m for m in body["models"]}
    assert body["default"] == "composer" and models["composer"]["installed"]
    for name in ("musicgen-small", "musicgen-medium", "musicgen-large", "musicgen-melody"):
        assert name in models
    for m in models.values():
        assert {"engine", "installed", "size", "licence", "speed_class"} <= set(m)
        if not m["installed"]:
            assert m["message"]


def test_generate_job_makes_a_track_with_midi(api, other_api, run_jobs, client):
    res = api.post("/api/v1/generate/text-to-music",
                   {"prompt": "calm piano in C major, 90 bpm", "duration": 6, "seed": 7}, format="json")
    assert res.status_code == 202, res.content
    job_id = res.json()["job_id"]
    run_jobs()
    job = api.get(f"/api/v1/generate/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    track = job["track"]
    assert track["seed"] == 7 and track["model_used"] == "composer"
    af = AudioFile.objects.get(pk=track["result_file"])
    assert af.source == "generated" and af.duration == pytest.approx(6.0, abs=0.01)
    links = api.get(f"/api/v1/generate/jobs/{job_id}/download").json()
    assert b"".join(client.get(links["midi_url"]).streaming_content)[:4] == b"MThd"
    assert api.get("/api/v1/generate/history").json()["count"] == 1
    assert other_api.get(f"/api/v1/generate/jobs/{job_id}").status_code == 404
    assert other_api.get(f"/api/v1/generate/jobs/{job_id}/download").status_code == 404


def test_a_composed_track_is_analysed_in_the_key_it_was_written_in(api, run_jobs):
    res = api.post("/api/v1/generate/text-to-music",
                   {"prompt": "melancholic piano ballad in A minor, 70 bpm", "duration": 8, "seed": 3}, format="json")
    run_jobs()  # the generation, then the analysis of its track
    track = api.get(f"/api/v1/generate/jobs/{res.json()['job_id']}").json()["track"]
    features = api.get(f"/api/v1/audio/{track['result_file']}/features").json()
    assert (features["key"], features["mode"], features["key_method"]) == ("A", "minor", "written")
    assert features["key_confidence"] == 1.0 and not features["key_uncertain"]
    assert features["chords"]  # the rest of the analysis is heard as for any song


def test_generate_validation(api):
    for body in ({"prompt": "", "duration": 10}, {"prompt": "x", "duration": 2}, {"prompt": "x", "duration": 301},
                 {"prompt": "x", "duration": 10, "model": "nonexistent"}):
        assert api.post("/api/v1/generate/text-to-music", body, format="json").status_code == 400, body
    # the command line's word for the choice, sent to the API, is answered with the API's word, not ignored
    res = api.post("/api/v1/generate/text-to-music", {"prompt": "x", "duration": 10, "engine": "musicgen-large"},
                   format="json")
    assert res.status_code == 400 and '"model": "musicgen-large"' in res.json()["engine"][0]
    res = api.post("/api/v1/generate/text-to-music", {"prompt": "x", "duration": 10, "seed": -1}, format="json")
    assert res.status_code == 400 and res.json()["seed"] == [
        "The seed must be a whole number from 0 to 2147483647 (or empty for a new one each time)."]


def test_generate_command(tmp_path, capsys):
    out = tmp_path / "song.wav"
    midi = tmp_path / "song.mid"
    call_command("generate", "happy pop with piano, 120 bpm", "--duration", "5", "--seed", "3", "--out", str(out),
                 "--midi", str(midi))
    summary = json.loads(capsys.readouterr().out)
    data, sr = sf.read(out)
    assert data.shape[0] == 5 * sr and summary["seed"] == 3 and midi.read_bytes()[:4] == b"MThd"
    with pytest.raises(CommandError):
        call_command("generate", "x", "--duration", "1", "--out", str(out))
    with pytest.raises(CommandError):
        call_command("generate", "x", "--out", str(tmp_path / "song.xyz"))


def test_a_composed_track_is_analysed_at_the_tempo_it_was_written_at(api, run_jobs):
    # An estimate read the composer's 150-BPM jazz at 75 (half time): its lead sheet had half-time bars and the
    # practice page's count-in ran at half speed.
    res = api.post("/api/v1/generate/text-to-music",
                   {"prompt": "swinging jazz at 150 bpm", "duration": 12, "seed": 4}, format="json")
    run_jobs()
    track = api.get(f"/api/v1/generate/jobs/{res.json()['job_id']}").json()["track"]
    features = api.get(f"/api/v1/audio/{track['result_file']}/features").json()
    assert (features["tempo_bpm"], features["tempo_method"]) == (150.0, "written")
    assert np.median(np.diff(features["beats"])) == pytest.approx(60 / 150, rel=0.05)  # beats at that tempo too
