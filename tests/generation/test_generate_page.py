"""The generate page as the server renders it: running generations listed again after a reload, the MIDI
download, and the names generated tracks get."""

import pytest

from audio.models import AudioFile
from generation import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

PROMPT = "energetic edm track with synth and drums, 128 bpm in F# minor"


def test_a_long_prompt_becomes_a_title_cut_between_words():
    title = services.track_title(PROMPT)
    assert title == "energetic edm track with synth and drums, 128 bpm in F#…"
    assert len(title) <= services.TITLE_CHARS
    assert services.track_title("calm   piano,\n90 bpm") == "calm piano, 90 bpm"  # short: whole, spaces tidied
    assert services.track_title("x" * 80) == "x" * 59 + "…"  # one long word: cut, but said so
    assert services.track_title("drum & bass / jungle") == "drum & bass - jungle"  # not stored as "jungle"


def test_a_running_generation_is_listed_on_the_page_after_a_reload(api, client, user, other_user):
    res = api.post("/api/v1/generate/text-to-music", {"prompt": "slow ambient pads", "duration": 300}, format="json")
    assert res.status_code == 202, res.content
    job_id = res.json()["job_id"]  # no worker runs here: the job stays pending
    client.force_login(user)
    page = client.get("/generate/").content.decode()
    row = page.split(f'data-job-id="{job_id}"', 1)
    assert len(row) == 2, "the pending generation is not on the page"
    assert 'data-job-status="pending"' in row[1][:40] and "job-cancel" in row[1] and "slow ambient pads" in row[1]
    client.force_login(other_user)
    assert job_id not in client.get("/generate/").content.decode()


def test_the_same_prompt_twice_gives_two_names_and_each_track_a_midi_download(api, client, user, run_jobs):
    ids = []
    for _ in range(2):
        res = api.post("/api/v1/generate/text-to-music", {"prompt": PROMPT, "duration": 5, "seed": 3}, format="json")
        assert res.status_code == 202, res.content
        ids.append(res.json()["job_id"])
        run_jobs()
    names = sorted(AudioFile.objects.filter(source="generated").values_list("original_name", flat=True))
    title = services.track_title(PROMPT)
    assert names == [f"{title} (2).wav", f"{title}.wav"]
    downloads = [api.get(f"/api/v1/generate/jobs/{i}/download").json() for i in ids]
    assert {d["filename"] for d in downloads} == {f"{title}.wav", f"{title} (2).wav"}
    assert all(d["midi_url"] for d in downloads)
    # the jobs API names the same file the same way (it was "SonicAI - “...”, composer, 5 s, seed 3.wav")
    for i, d in zip(ids, downloads, strict=True):
        assert api.get(f"/api/v1/jobs/{i}/download").json()["filename"] == d["filename"]
        assert api.get(f"/api/v1/jobs/{i}/download?name=midi").json()["filename"] == d["filename"][:-4] + ".mid"
    client.force_login(user)
    page = client.get("/generate/").content.decode()
    for i in ids:  # the gallery's MIDI link asks the same download answer for its midi_url
        assert (f'data-download="/api/v1/generate/jobs/{i}/download" data-download-field="midi_url" '
                f'class="midi-download">MIDI</a>') in page


def test_what_the_composer_could_not_follow_is_said_on_its_card(api, client, user, run_jobs):
    # "in 3/4" was written in 4/4 and "300 bpm" at 240 without a word: the card showed 240 BPM as if asked for.
    res = api.post("/api/v1/generate/text-to-music", {"prompt": "fast waltz in 3/4 at 300 bpm", "duration": 5,
                                                      "seed": 1}, format="json")
    assert res.status_code == 202, res.content
    run_jobs()
    client.force_login(user)
    page = client.get("/generate/").content.decode()
    assert "300 BPM is outside the composer&#x27;s 40-240 BPM: written at 240 BPM." in page
    assert "The composer writes in 4/4: the 3/4 asked for is not followed." in page
