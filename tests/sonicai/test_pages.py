"""Every studio page renders for its owner and answers 404 to anyone else."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_render_for_the_owner_only(client, user, other_user, upload):
    body = upload("wav", seconds=2.0)
    aid = body["id"]
    client.force_login(user)
    for path in ("/library/", f"/files/{aid}/", "/jobs/", f"/stems/{aid}/", f"/mood/{aid}/", "/mood/",
                 f"/remix/{aid}/", "/generate/"):
        res = client.get(path)
        assert res.status_code == 200, path
    page = client.get(f"/files/{aid}/").content.decode()
    assert "song.wav" in page and 'id="waveform"' in page
    client.force_login(other_user)
    for path in (f"/files/{aid}/", f"/stems/{aid}/", f"/mood/{aid}/", f"/remix/{aid}/"):
        assert client.get(path).status_code == 404, path
    assert "song.wav" not in client.get("/library/").content.decode()


def test_pages_need_login(client):
    for path in ("/library/", "/jobs/", "/generate/", "/mood/"):
        res = client.get(path)
        assert res.status_code == 302 and "/accounts/login/" in res.url


def test_library_is_paginated_with_htmx(client, user, upload):
    for _ in range(13):
        upload("wav", seconds=0.5)
    client.force_login(user)
    first = client.get("/library/").content.decode()
    assert "Page 1 of 2" in first
    partial = client.get("/library/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Page 2 of 2" in partial


def test_a_new_song_was_added_just_now_and_one_page_needs_no_pager(client, user, upload):
    upload("wav", seconds=0.5)
    client.force_login(user)
    page = client.get("/library/").content.decode()
    assert "just now" in page and "0 minutes ago" not in page
    assert "Page 1 of 1" not in page


def test_jobs_page_leaves_out_finished_analyses_of_remixes_unless_asked(client, user, upload):
    from audio.models import AudioFile, ProcessingJob

    song, remix = upload("wav", seconds=0.5), upload("wav", seconds=0.5)
    AudioFile.objects.filter(pk=remix["id"]).update(parent_id=song["id"])
    jobs = ProcessingJob.objects.filter(job_type="analysis")
    assert jobs.count() == 2
    jobs.update(status="completed")
    remix_job = jobs.get(audio_file_id=remix["id"])
    client.force_login(user)
    page = client.get("/jobs/").content.decode()
    assert f'data-job-id="{remix_job.id}"' not in page
    assert f'data-job-id="{jobs.get(audio_file_id=song["id"]).id}"' in page
    assert "1 finished analysis of remixes and exports is not listed" in page
    # the page's "new jobs have started" check compares the API's newest job with the newest job, listed or not
    newest = ProcessingJob.objects.order_by("-created_at").first()
    assert f'data-newest="{newest.id}"' in page
    assert f'data-job-id="{remix_job.id}"' in client.get("/jobs/?all=1").content.decode()
    jobs.filter(pk=remix_job.pk).update(status="failed")  # a failed one is always there to be seen
    assert f'data-job-id="{remix_job.id}"' in client.get("/jobs/").content.decode()


def test_a_song_with_a_new_version_shows_it_even_far_down_the_library(client, user, upload):
    import re

    from audio.models import AudioFile

    oldest = upload("wav", seconds=0.5)
    songs = [upload("wav", seconds=0.5) for _ in range(3)]
    remix = upload("wav", seconds=0.5)
    AudioFile.objects.filter(pk=remix["id"]).update(parent_id=oldest["id"])
    client.force_login(user)
    page = client.get("/library/").content.decode()
    row = r'<li class="song" data-file-id="([^"]+)">(.*?)</li>\s*(?=<li class="song"|</ul>)'
    rows = dict(re.findall(row, page, re.S))
    assert set(rows) == {oldest["id"], *(s["id"] for s in songs)}
    assert re.search(r'<details class="versions"\s+open>', rows[oldest["id"]]), "the 4th song's new version is folded"


def test_silence_is_described_in_words_not_as_zero_bpm(client, user, upload):
    # A silent file's analysis has no tempo and no true peak: the pages said "0 BPM", "Tempo 0 BPM", "1 bars" and
    # "True peak: dBTP" with no number.
    import numpy as np

    from audio.models import AudioFile
    from sonicai.music.analysis.pipeline import analyze_signal

    aid = upload("wav", seconds=2.0)["id"]
    AudioFile.objects.filter(pk=aid).update(analysis=analyze_signal(np.zeros((2, 44100 * 5), np.float32), 44100))
    client.force_login(user)
    pages = {path: client.get(path).content.decode() for path in
             ("/library/", f"/files/{aid}/", f"/practice/{aid}/", f"/practice/{aid}/sheet/", f"/remix/{aid}/")}
    assert all("0 BPM" not in html and "0.0 BPM" not in html for html in pages.values()), pages
    assert "silent" in pages[f"/files/{aid}/"] and "no steady beat found" in pages[f"/files/{aid}/"]
    assert "none (silent)" in pages["/library/"] and "major" not in pages["/library/"]  # it said "C major"
    assert "no key (silent)" in pages[f"/practice/{aid}/"]  # and "C major (uncertain)" here
    assert "none (silent)" in pages[f"/practice/{aid}/sheet/"]
    # the remix page said the analysis was still running (a tempo of 0 read as no analysis)
    assert "still running" not in pages[f"/remix/{aid}/"] and "no steady beat" in pages[f"/remix/{aid}/"]
    from mood.models import MoodClassification  # the model scores silence too: "energetic 0.58"

    MoodClassification.objects.create(audio_file_id=aid, primary_mood="energetic", confidence=0.58,
                                      mood_scores={"energetic": 0.58}, valence=0.5, arousal=0.65)
    assert "none: the song is silent" in client.get(f"/mood/{aid}/").content.decode()
    assert "no steady beat" in pages[f"/practice/{aid}/sheet/"] and " 1 bars" not in pages[f"/practice/{aid}/sheet/"]


def test_a_job_row_tells_a_screen_reader_its_progress_and_status(client, user, upload):
    """The bar was plain boxes: a screen reader heard neither how far a job was nor that it had finished."""
    import re

    from audio.models import ProcessingJob

    song = upload("wav", seconds=0.5)
    ProcessingJob.objects.filter(audio_file_id=song["id"]).update(status="processing", progress=40)
    client.force_login(user)
    page = client.get("/jobs/").content.decode()
    bar = re.search(r'<div class="progress"[^>]*>', page).group(0)
    assert 'role="progressbar"' in bar and 'aria-valuenow="40"' in bar and 'aria-label="' in bar
    assert re.search(r'class="job-status status-processing" role="status"', page)
    cancel = re.search(r'<button class="link job-cancel"[^>]*>', page).group(0)
    assert 'aria-label="Cancel ' in cancel and 'aria-label="Cancel "' not in cancel


def test_a_signed_in_musicians_pages_are_not_kept_for_the_back_button(client, user, upload):
    """Back after deleting a song showed its page from the browser's cache, still playing (phone probe)."""
    aid = upload("wav", seconds=0.5)["id"]
    client.force_login(user)
    for path in ("/library/", f"/files/{aid}/"):
        assert "no-store" in client.get(path)["Cache-Control"], path


def test_deleting_a_song_says_what_went(client, user, upload):
    aid = upload("wav", seconds=0.5, name="Demo take.wav")["id"]
    client.force_login(user)
    page = client.post(f"/files/{aid}/delete", follow=True).content.decode()
    assert "Deleted “Demo take.wav”" in page and 'role="status"' in page
