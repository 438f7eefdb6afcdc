"""List, metadata, waveform, spectrogram, download and delete; and isolation between users."""

import base64
import os

import numpy as np
import pytest

from audio import services
from audio.models import AudioFile, ProcessingJob

pytestmark = pytest.mark.django_db


def test_list_is_paginated_and_own_only(api, other_api, upload):
    for _ in range(3):
        upload("wav", seconds=1.0)
    upload("wav", seconds=1.0, client=other_api)
    body = api.get("/api/v1/audio").json()
    assert body["count"] == 3 and len(body["results"]) == 3
    assert other_api.get("/api/v1/audio").json()["count"] == 1


def test_waveform_peaks_follow_the_signal(api, upload):
    body = upload("flac", seconds=2.0)
    services.ensure_waveform(AudioFile.objects.get(pk=body["id"]))  # what the analysis job does
    wf = api.get(f"/api/v1/audio/{body['id']}/waveform").json()
    assert wf["duration"] == pytest.approx(2.0, abs=0.01)
    peaks = np.array(wf["peaks"])
    assert peaks.shape[0] == 2
    # the test tone is 0.3 * (0.6..1.0) in amplitude
    assert 0.25 < peaks.max() < 0.35
    assert AudioFile.objects.get(pk=body["id"]).waveform_data is not None  # cached on the row


def test_spectrogram_is_a_png(api, upload):
    body = upload("mp3", seconds=1.5)
    services.ensure_spectrogram(AudioFile.objects.get(pk=body["id"]))
    res = api.get(f"/api/v1/audio/{body['id']}/spectrogram").json()
    png = base64.b64decode(res["image"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert res["data_url"].startswith("data:image/png;base64,")


def test_download_link_is_signed_and_expires(api, client, upload, settings):
    body = upload("wav", seconds=1.0, name="My Song.wav")
    link = api.get(f"/api/v1/audio/{body['id']}/download").json()
    assert link["expires_in"] == settings.DOWNLOAD_URL_EXPIRY
    res = client.get(link["url"])
    assert res.status_code == 200
    data = b"".join(res.streaming_content)
    assert data[:4] == b"RIFF"
    assert 'filename="My Song.wav"' in res["Content-Disposition"]
    tampered = link["url"][:-3] + ("AAA" if not link["url"].endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 404
    settings.DOWNLOAD_URL_EXPIRY = -1
    assert client.get(link["url"]).status_code == 404


def test_delete_removes_object_and_derived_files(api, upload, settings, client, user):
    body = upload("wav", seconds=1.0)
    af = AudioFile.objects.get(pk=body["id"])
    services.ensure_spectrogram(af)
    paths = [os.path.join(settings.MEDIA_ROOT, af.s3_key), os.path.join(settings.MEDIA_ROOT, af.spectrogram_key)]
    assert all(os.path.exists(p) for p in paths)
    assert api.delete(f"/api/v1/audio/{body['id']}").status_code == 204
    assert not any(os.path.exists(p) for p in paths)
    assert api.get(f"/api/v1/audio/{body['id']}").status_code == 404
    from audio.models import ProcessingJob

    assert ProcessingJob.objects.get(pk=body["job_id"]).status == "cancelled"
    client.force_login(user)  # the jobs page says why the job has no song to link to
    assert b"its song was deleted" in client.get("/jobs/").content


def test_other_user_gets_404_everywhere(api, other_api, upload, client, other_user):
    body = upload("wav", seconds=1.0)
    aid, jid = body["id"], body["job_id"]
    for path in (f"/api/v1/audio/{aid}", f"/api/v1/audio/{aid}/download", f"/api/v1/audio/{aid}/waveform",
                 f"/api/v1/audio/{aid}/spectrogram", f"/api/v1/audio/{aid}/features", f"/api/v1/jobs/{jid}"):
        assert other_api.get(path).status_code == 404, path
    assert other_api.delete(f"/api/v1/audio/{aid}").status_code == 404
    assert other_api.delete(f"/api/v1/jobs/{jid}").status_code == 404
    client.force_login(other_user)
    for path in (f"/files/{aid}/", f"/files/{aid}/stream"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/files/{aid}/delete").status_code == 404
    assert AudioFile.objects.filter(pk=aid).exists()
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert api.get(f"/api/v1/audio/{bad}").status_code == 404


def test_stream_supports_byte_ranges(client, user, upload):
    body = upload("wav", seconds=1.0)
    client.force_login(user)
    res = client.get(f"/files/{body['id']}/stream", HTTP_RANGE="bytes=0-99")
    assert res.status_code == 206
    assert len(b"".join(res.streaming_content)) == 100
    assert res["Content-Range"].startswith("bytes 0-99/")


def test_a_download_is_named_safely_whole_or_in_part(client, api, upload):
    """A name that tries to end the header early stays one quoted name, in a range too, and a download is
    saved with its audio's extension whatever the upload was called."""
    body = upload("wav", seconds=1.0, name='x"; filename*=UTF-8\'\'evil.html; a=".html')
    link = api.get(f"/api/v1/audio/{body['id']}/download").json()["url"]
    for extra in ({}, {"HTTP_RANGE": "bytes=0-99"}):
        res = client.get(link, **extra)
        assert res.status_code in (200, 206)
        disposition = res["Content-Disposition"]
        assert disposition.startswith("attachment; filename*=utf-8''") or disposition.startswith(
            'attachment; filename="'), disposition
        assert disposition.count("filename") == 1 and disposition.endswith(('.wav"', ".wav")), disposition


def test_results_not_ready_answer_with_the_analysis_job_and_compute_nothing(api, upload, monkeypatch):
    def no_work_in_a_web_request(*args, **kwargs):
        raise AssertionError("a web request decoded or analysed audio")

    for name in ("load", "compute_analysis", "ensure_waveform", "ensure_spectrogram", "ensure_analysis"):
        monkeypatch.setattr(services, name, no_work_in_a_web_request)
    body = upload("wav", seconds=1.0)
    for what in ("waveform", "spectrogram", "features"):
        res = api.get(f"/api/v1/audio/{body['id']}/{what}")
        assert res.status_code == 202, (what, res.content)
        assert res.json()["job_id"] == body["job_id"] and res.json()["status"] == "pending"
        assert what.rstrip("s") in res.json()["detail"] or what == "features"


def test_a_missing_analysis_is_started_once_and_a_failed_one_is_reported(api, upload):
    body = upload("wav", seconds=1.0)
    ProcessingJob.objects.filter(pk=body["job_id"]).update(status="cancelled")
    first = api.get(f"/api/v1/audio/{body['id']}/features").json()
    assert first["job_id"] != body["job_id"]
    assert api.get(f"/api/v1/audio/{body['id']}/waveform").json()["job_id"] == first["job_id"]
    from django.utils import timezone

    ProcessingJob.objects.filter(pk=first["job_id"]).update(status="failed", completed_at=timezone.now(),
                                                              error_message="The file could not be decoded.")
    res = api.get(f"/api/v1/audio/{body['id']}/features")
    assert res.status_code == 409 and "could not be decoded" in res.json()["detail"]


def test_an_analysis_started_again_keeps_the_key_the_music_was_written_in(api, upload):
    body = upload("wav", seconds=1.0)  # as a composed track's analysis is started: with the composer's key
    written = {"known_key": ["A", "minor"]}
    ProcessingJob.objects.filter(pk=body["job_id"]).update(status="cancelled", input_params=written)
    again = api.get(f"/api/v1/audio/{body['id']}/features").json()
    assert ProcessingJob.objects.get(pk=again["job_id"]).input_params == written


def test_library_list_costs_the_same_queries_for_many_files(api, upload, django_assert_max_num_queries):
    for _ in range(6):
        upload("wav", seconds=1.0)
    with django_assert_max_num_queries(4):  # user, count, page: not one query per file
        body = api.get("/api/v1/audio").json()
    assert body["count"] == 6 and {f["analysis_status"] for f in body["results"]} == {"pending"}


def test_a_damaged_file_is_as_long_as_what_decodes(api, make_audio_bytes, run_jobs):
    """Half of an MP3 whose header still promises the whole: after its analysis the song lasts what can be
    heard, and a region past that is refused at once instead of failing a job."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = make_audio_bytes("mp3", 8.0)
    res = api.post("/api/v1/audio/upload", {"file": SimpleUploadedFile("half.mp3", data[: len(data) // 2])},
                   format="multipart")
    assert res.status_code == 201, res.content
    run_jobs()
    heard = api.get(f"/api/v1/audio/{res.json()['id']}").json()["duration"]
    assert 3.0 < heard < 5.0
    late = api.post("/api/v1/remix/pitch", {"audio_file_id": res.json()["id"], "semitones": 2, "start": 5, "end": 7},
                    format="json")
    assert late.status_code == 400


def test_download_managers_and_monitors_may_ask_with_head(api, client, upload, user):
    body = upload("wav", seconds=1.0)
    link = api.get(f"/api/v1/audio/{body['id']}/download").json()["url"]
    client.force_login(user)
    for path in (link, f"/files/{body['id']}/stream", "/health"):
        res = client.head(path)
        assert res.status_code == 200, path
        assert not (b"".join(res.streaming_content) if res.streaming else res.content)


def test_a_song_can_be_renamed_keeping_its_format(api, other_api, client, upload, user):
    body = upload("wav", seconds=1.0, name="take 3.wav")
    res = api.patch(f"/api/v1/audio/{body['id']}", {"original_name": "  Sunset   Groove (final) "}, format="json")
    assert res.status_code == 200 and res.json()["original_name"] == "Sunset Groove (final).wav"
    link = api.get(f"/api/v1/audio/{body['id']}/download").json()["url"]
    assert "Sunset Groove (final).wav" in client.get(link)["Content-Disposition"]
    typed = api.patch(f"/api/v1/audio/{body['id']}", {"original_name": "AC/DC - Back in Black"}, format="json")
    assert typed.json()["original_name"] == "AC-DC - Back in Black.wav"  # a title, not a path
    long = api.patch(f"/api/v1/audio/{body['id']}", {"original_name": "la" * 200}, format="json").json()
    assert len(long["original_name"]) <= 255 and long["original_name"].endswith(".wav")
    for bad in ({"original_name": "   "}, {"duration": 3}, {"original_name": "x", "format": "mp3"},
                {"original_name": None}, {"original_name": 123}):
        assert api.patch(f"/api/v1/audio/{body['id']}", bad, format="json").status_code == 400, bad
    assert other_api.patch(f"/api/v1/audio/{body['id']}", {"original_name": "mine"}, format="json").status_code == 404
    client.force_login(user)
    page = client.post(f"/files/{body['id']}/rename", {"name": "Evening.mp3"}, follow=True)
    assert page.status_code == 200 and b"Evening.mp3.wav" in page.content  # the audio is still a WAV
    from audio.http import _named_for_its_audio

    for name, saved in (("Mr. Brightside", "Mr. Brightside.wav"), ("01. Intro", "01. Intro.wav"),
                        ("song.html", "song.wav"), ("take.mp3", "take.wav"), ("x.WAV", "x.WAV")):
        assert _named_for_its_audio(name, "audio/k.wav") == saved


def test_songs_and_accounts_deleted_from_the_admin_leave_nothing_on_the_storage(
        api, upload, settings, admin_client, client, user, django_capture_on_commit_callbacks):
    """The admin's delete went by Django's cascade: the audio stayed on disk for good and a signed link taken
    before still played it (band probe: 22.5 MB left by one deleted account)."""
    body = upload("wav", seconds=1.0)
    af = AudioFile.objects.get(pk=body["id"])
    services.ensure_spectrogram(af)
    paths = [os.path.join(settings.MEDIA_ROOT, af.s3_key), os.path.join(settings.MEDIA_ROOT, af.spectrogram_key)]
    link = api.get(f"/api/v1/audio/{af.pk}/download").json()["url"]
    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(f"/admin/audio/audiofile/{af.pk}/delete/", {"post": "yes"})
    assert res.status_code == 302 and not AudioFile.objects.filter(pk=af.pk).exists()
    assert not any(os.path.exists(p) for p in paths)
    assert client.get(link).status_code == 404
    others = [AudioFile.objects.get(pk=upload("wav", seconds=0.5)["id"]) for _ in range(2)]
    paths = [os.path.join(settings.MEDIA_ROOT, a.s3_key) for a in others]
    assert all(os.path.exists(p) for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    assert res.status_code == 302
    assert not any(os.path.exists(p) for p in paths)


def test_the_features_answer_flags_an_uncertain_mood_as_the_pages_do(api, upload):
    """The file page, the mood page and the CLI said "calm 0.34, uncertain"; the features answer left it out."""
    from mood.models import MoodClassification

    aid = upload("wav", seconds=0.5)["id"]
    AudioFile.objects.filter(pk=aid).update(analysis={"tempo_bpm": 100.0, "key": "C", "mode": "major"})
    MoodClassification.objects.create(audio_file_id=aid, primary_mood="calm", confidence=0.34,
                                      mood_scores={"calm": 0.34}, valence=0.4, arousal=0.3, is_uncertain=True)
    res = api.get(f"/api/v1/audio/{aid}/features")
    assert res.status_code == 200 and res.json()["mood"]["uncertain"] is True
