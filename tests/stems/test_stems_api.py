"""Separation jobs through the API and worker, the stem mixer's export, and the CLI."""

import json

import numpy as np
import pytest
import soundfile as sf
from django.core.management import call_command
from django.core.management.base import CommandError

from audio.models import AudioFile, ProcessingJob
from sonicai.music.audio_io import load_audio
from stems.models import Stem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def separate(api, run_jobs, audio_id, **extra):
    res = api.post("/api/v1/stems/separate", {"audio_file_id": audio_id, **extra}, format="json")
    assert res.status_code == 202, res.content
    job_id = res.json()["job_id"]
    run_jobs()
    return job_id


@pytest.mark.parametrize("engine", ["spleeter", "hpss"])
def test_separation_stems_sum_to_the_mix(api, upload, run_jobs, engine, settings):
    body = upload("wav", seconds=4.0)
    job_id = separate(api, run_jobs, body["id"], engine=engine)
    job = api.get(f"/api/v1/stems/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    results = api.get(f"/api/v1/stems/jobs/{job_id}/results").json()
    assert [s["stem_type"] for s in results["stems"]] == ["vocals", "drums", "bass", "other"]
    assert {s["model_used"] for s in results["stems"]} == {engine}
    af = AudioFile.objects.get(pk=body["id"])
    mix, sr = load_audio(f"{settings.MEDIA_ROOT}/{af.s3_key}")
    total = sum(load_audio(f"{settings.MEDIA_ROOT}/{s.s3_key}")[0] for s in Stem.objects.filter(job_id=job_id))
    assert total.shape == mix.shape
    assert np.max(np.abs(total - mix)) < 1e-4  # 24-bit FLAC storage of each stem
    listing = api.get(f"/api/v1/stems/audio/{body['id']}").json()
    assert len(listing["stems"]) == 4


def test_region_and_mix_export(api, upload, run_jobs, client):
    body = upload("flac", seconds=5.0)
    job_id = separate(api, run_jobs, body["id"], engine="hpss", start=1.0, end=3.5)
    stems = Stem.objects.filter(job_id=job_id)
    assert all(s.duration == pytest.approx(2.5, abs=0.01) for s in stems)
    res = api.post(f"/api/v1/stems/jobs/{job_id}/mix", {"gains": {"vocals": {"mute": True}, "drums": -6},
                                                         "format": "flac"}, format="json")
    assert res.status_code == 202
    mix_job = res.json()["job_id"]
    run_jobs()
    assert ProcessingJob.objects.get(pk=mix_job).status == "completed"
    link = api.get(f"/api/v1/jobs/{mix_job}/download").json()["url"]
    got = client.get(link)
    from urllib.parse import unquote

    assert unquote(got["Content-Disposition"]).endswith("stem mix (1–3.5 s).flac")  # a region's export says so
    data = b"".join(got.streaming_content)
    assert data[:4] == b"fLaC"
    bad = api.post(f"/api/v1/stems/jobs/{job_id}/mix", {"gains": {"guitar": 0}}, format="json")
    assert bad.status_code == 400 and "guitar" in bad.json()["detail"]
    for gains, says in (({"vocals": "NaN"}, "finite"), ({"drums": {"mute": "false"}}, "true or false"),
                        ({"bass": True}, "number of dB"),
                        # queued, then failed in the worker: refused now
                        ({s: {"mute": True} for s in ("vocals", "drums", "bass", "other")}, "Every stem is muted"),
                        ({"drums": {"solo": True, "mute": True}}, "Every stem is muted")):
        bad = api.post(f"/api/v1/stems/jobs/{job_id}/mix", {"gains": gains}, format="json")
        assert bad.status_code == 400 and says in bad.json()["detail"], (gains, bad.content)


def test_bad_requests_and_isolation(api, other_api, upload, run_jobs):
    body = upload("wav", seconds=2.0)
    assert api.post("/api/v1/stems/separate", {"audio_file_id": body["id"], "engine": "nope"},
                    format="json").status_code == 400
    assert api.post("/api/v1/stems/separate", {"audio_file_id": body["id"], "start": 1.5, "end": 1.8},
                    format="json").status_code == 400
    assert other_api.post("/api/v1/stems/separate", {"audio_file_id": body["id"]}, format="json").status_code == 404
    job_id = separate(api, run_jobs, body["id"], engine="hpss")
    for path in (f"/api/v1/stems/jobs/{job_id}", f"/api/v1/stems/jobs/{job_id}/results",
                 f"/api/v1/stems/audio/{body['id']}"):
        assert other_api.get(path).status_code == 404, path
    engines = api.get("/api/v1/stems/engines").json()
    names = {e["name"]: e for e in engines["engines"]}
    assert names["spleeter"]["available"] and engines["default"] == "spleeter"
    assert "htdemucs" in names


def test_a_deleted_songs_stems_and_exports_say_so_instead_of_linking_to_nothing(api, upload, run_jobs, client,
                                                                                   user):
    body = upload("wav", seconds=2.0)
    job_id = separate(api, run_jobs, body["id"], engine="hpss")
    mix_job = api.post(f"/api/v1/stems/jobs/{job_id}/mix", {"gains": {"drums": -6}}, format="json").json()["job_id"]
    run_jobs()
    assert api.get(f"/api/v1/jobs/{mix_job}/download").status_code == 200
    assert api.delete(f"/api/v1/audio/{body['id']}").status_code == 204
    # Before, the jobs still answered with signed links to deleted files (a 404 page when followed), an empty stem
    # list, and a mix export that took the request and failed in the worker.
    for res in (api.get(f"/api/v1/jobs/{job_id}/download"), api.get(f"/api/v1/jobs/{mix_job}/download"),
                api.get(f"/api/v1/stems/jobs/{job_id}/results"),
                api.post(f"/api/v1/stems/jobs/{job_id}/mix", {"gains": {}}, format="json")):
        assert res.status_code == 409 and res.json()["detail"].startswith("The song this job worked on has been "
                                                                          "deleted"), res.content
    assert api.get(f"/api/v1/jobs/{job_id}").json()["status"] == "completed"  # the job itself stays listed
    client.force_login(user)
    assert f'/api/v1/jobs/{mix_job}/download' not in client.get("/jobs/").content.decode()


def test_separate_command_writes_stems_at_input_rate_and_length(tmp_path):
    from tests.conftest import tone

    src = tmp_path / "song.wav"
    sf.write(src, tone(3.0, 32000).T, 32000)
    out = tmp_path / "stems"
    call_command("separate", str(src), "--out", str(out), "--engine", "hpss")
    mix, _ = load_audio(src)
    total = 0
    for name in ("vocals", "drums", "bass", "other"):
        data, sr = sf.read(out / f"{name}.wav", always_2d=True)
        assert sr == 32000 and data.shape == (mix.shape[1], 2)
        total = total + data.T
    assert np.max(np.abs(total - mix)) < 1e-5


def test_separate_command_errors(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("separate", str(tmp_path / "missing.wav"), "--out", str(tmp_path))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(CommandError, match="not a readable audio file") as err:
        call_command("separate", str(bad), "--out", str(tmp_path / "o"))
    assert "Errno" not in str(err.value)
    # the command line refuses what an upload refuses, in a sentence, before any engine sees it
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="the file is empty"):
        call_command("separate", str(empty), "--out", str(tmp_path / "o"))
    blip = tmp_path / "blip.wav"
    sf.write(blip, np.zeros(400, dtype=np.float32), 44100)  # 9 ms
    for command in (["separate", str(blip), "--out", str(tmp_path / "o")], ["analyze", str(blip), "--json"]):
        with pytest.raises(CommandError, match="less than 0.1 s of audio"):
            call_command(*command)
    assert not (tmp_path / "o").exists()
    # an output that cannot be written is refused in one line before any work, not with a traceback after it
    song = tmp_path / "song.wav"
    sf.write(song, 0.1 * np.ones(44100, dtype=np.float32), 44100)
    folder = tmp_path / "dir.wav"
    folder.mkdir()
    for command, says in ((["separate", str(song), "--out", str(bad / "x")], "a part of its path is a file"),
                          (["remix", str(song), "--out", str(folder), "--pitch", "1"], "is a folder"),
                          (["remix", str(song), "--out", str(bad / "x.wav"), "--pitch", "1"], "is not a folder"),
                          (["generate", "calm piano", "--out", str(folder)], "is a folder")):
        with pytest.raises(CommandError, match=says):
            call_command(*command)


def test_separate_refuses_a_folder_it_cannot_make_before_separating(tmp_path, monkeypatch):
    from sonicai.music.separation.hpss import HPSSEngine

    song = tmp_path / "song.wav"
    sf.write(song, 0.1 * np.ones(44100, dtype=np.float32), 44100)
    monkeypatch.setattr(HPSSEngine, "separate", lambda *a, **k: pytest.fail("separated before checking --out"))
    with pytest.raises(CommandError, match="/proc/nope: no such file or directory"):
        call_command("separate", str(song), "--out", "/proc/nope", "--engine", "hpss")


def test_mixer_page_embeds_every_stem_with_its_waveform(api, upload, run_jobs, client, user):
    body = upload("wav", seconds=3.0)
    separate(api, run_jobs, body["id"], engine="hpss")
    client.force_login(user)
    html = client.get(f"/stems/{body['id']}/").content.decode()
    raw = html.split('<script id="mixer-data" type="application/json">')[1].split("</script>")[0]
    stems = json.loads(raw)  # a list the mixer script can map over, not a JSON-encoded string
    assert isinstance(stems, list) and sorted(s["type"] for s in stems) == ["bass", "drums", "other", "vocals"]
    assert all(len(s["peaks"][0]) > 10 and s["url"].endswith("/stream") for s in stems)


def test_every_stem_set_can_be_opened_and_a_regions_stems_are_named_so(api, upload, run_jobs, client, user):
    body = upload("wav", seconds=4.0)
    whole = separate(api, run_jobs, body["id"], engine="hpss")
    region = separate(api, run_jobs, body["id"], engine="hpss", start=1.0, end=3.0)
    client.force_login(user)

    def mixer_stems(query=""):
        html = client.get(f"/stems/{body['id']}/{query}").content.decode()
        raw = html.split('<script id="mixer-data" type="application/json">')[1].split("</script>")[0]
        return {s["id"] for s in json.loads(raw)}, html

    newest, html = mixer_stems()
    assert newest == {str(s.id) for s in Stem.objects.filter(job_id=region)}
    assert f"?set={whole}" in html  # the older set is offered
    assert 'data-start="1.0"' in html  # the region's ruler and clock read song time
    older, older_html = mixer_stems(f"?set={whole}")
    assert 'data-start="0.0"' in older_html
    assert older == {str(s.id) for s in Stem.objects.filter(job_id=whole)}
    from audio.storage import read_download_token

    def download_names(job_id):
        stems = api.get(f"/api/v1/stems/jobs/{job_id}/results").json()["stems"]
        return {read_download_token(s["download_url"].rstrip("/").rsplit("/", 1)[-1])[1] for s in stems}

    assert "song - vocals.flac" in download_names(whole)
    assert "song - vocals (1–3 s).flac" in download_names(region)  # not the whole song's name again
    # the library links each set to itself
    assert f"/stems/{body['id']}/?set={whole}" in client.get("/library/").content.decode()


@pytest.mark.parametrize("region, field", [({"end": 0}, "end"), ({"end": 0.5}, "end"),
                                           ({"start": 3, "end": 3.5}, "end"), ({"start": -1}, "start")])
def test_half_given_or_reversed_regions_are_refused_with_a_sentence(api, upload, region, field):
    body = upload("wav", seconds=4.0)
    res = api.post("/api/v1/stems/separate", {"audio_file_id": body["id"], "engine": "hpss", **region}, format="json")
    assert res.status_code == 400, res.content
    message = res.json()[field][0]
    assert "region" in message and " s" in message


def test_a_running_separation_keeps_its_details_after_a_reload(api, upload, client, user):
    body = upload("wav", seconds=3.0)
    res = api.post("/api/v1/stems/separate", {"audio_file_id": body["id"], "engine": "hpss"}, format="json")
    client.force_login(user)  # the job is still pending: no worker has run it
    html = client.get(f"/stems/{body['id']}/").content.decode()
    row = html.split(f'data-job-id="{res.json()["job_id"]}"')[1].split('class="progress"')[0]
    summary = res.json()["summary"]  # what the page's new row showed before the reload
    assert summary == "hpss · whole song" and f">{summary}<" in row
