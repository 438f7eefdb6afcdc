"""Remix jobs through the API and worker, and the remix command."""

import json

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audio.models import AudioFile
from remix.models import Remix

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def run(api, run_jobs, path, body):
    res = api.post(path, body, format="json")
    assert res.status_code == 202, res.content
    job_id = res.json()["job_id"]
    run_jobs()
    job = api.get(f"/api/v1/remix/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    return job


def test_tempo_change_makes_a_new_library_file(api, other_api, client, upload, run_jobs):
    body = upload("wav", seconds=4.0)
    job = run(api, run_jobs, "/api/v1/remix/tempo", {"audio_file_id": body["id"], "tempo_change": 25})
    result = AudioFile.objects.get(pk=job["result"]["result_file_id"])
    # the job's own download link gives the new song, as it does for a stem mix or a generated piece
    link = api.get(f"/api/v1/jobs/{job['id']}/download").json()
    assert link["filename"] == result.original_name
    assert b"".join(client.get(link["url"]).streaming_content)[:4] == b"RIFF"
    assert other_api.get(f"/api/v1/jobs/{job['id']}/download").status_code == 404
    assert result.source == "remix" and str(result.parent_id) == body["id"]
    assert result.duration == pytest.approx(4.0 / 1.25, abs=0.01)
    remix = Remix.objects.get(pk=job["remix"]["id"])
    assert remix.tempo_change == pytest.approx(25.0)
    # the result is analysed like an upload and can be remixed again
    assert result.analysis is not None
    # at the tempo it was set to: the source's times 1.25 (a render named "53 BPM" was analysed at 105)
    source = AudioFile.objects.get(pk=body["id"]).analysis["tempo_bpm"]
    assert source > 0 and result.analysis["tempo_method"] == "written"
    assert result.analysis["tempo_bpm"] == pytest.approx(source * 1.25, abs=0.01)
    again = run(api, run_jobs, "/api/v1/remix/pitch", {"audio_file_id": str(result.id), "semitones": -2})
    assert AudioFile.objects.get(pk=again["result"]["result_file_id"]).duration == pytest.approx(3.2, abs=0.01)
    assert api.get("/api/v1/remix/history").json()["count"] == 2


def test_effects_and_region(api, upload, run_jobs, settings):
    from sonicai.music.audio_io import load_audio

    body = upload("flac", seconds=5.0)
    job = run(api, run_jobs, "/api/v1/remix/effects", {
        "audio_file_id": body["id"], "start": 1.0, "end": 3.0,
        "effects": [{"type": "gain", "gain_db": -6.0}]})
    result = AudioFile.objects.get(pk=job["result"]["result_file_id"])
    assert result.duration == pytest.approx(2.0, abs=0.01)
    src, sr = load_audio(f"{settings.MEDIA_ROOT}/{AudioFile.objects.get(pk=body['id']).s3_key}")
    out, _ = load_audio(f"{settings.MEDIA_ROOT}/{result.s3_key}")
    region = src[:, sr:3 * sr]
    assert np.sqrt(np.mean(out ** 2)) / np.sqrt(np.mean(region ** 2)) == pytest.approx(0.5, rel=0.02)


def test_invalid_parameters_are_refused_before_queueing(api, other_api, upload):
    body = upload("wav", seconds=2.0)
    aid = body["id"]
    cases = [
        ("/api/v1/remix/tempo", {"audio_file_id": aid, "tempo_change": 150}),
        ("/api/v1/remix/tempo", {"audio_file_id": aid, "tempo_change": 10, "target_bpm": 120}),
        ("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": 13}),
        ("/api/v1/remix/effects", {"audio_file_id": aid, "effects": [{"type": "flanger-9000"}]}),
        ("/api/v1/remix/genre", {"audio_file_id": aid, "genre": "polka-metal"}),
        ("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": True}),  # not +1: nobody meant that
        ("/api/v1/remix/genre", {"audio_file_id": aid, "genre": "lofi"}),  # 2 s: too short to find bars in
    ]
    from audio.models import ProcessingJob

    before = ProcessingJob.objects.count()
    for path, payload in cases:
        res = api.post(path, payload, format="json")
        assert res.status_code == 400, (path, payload, res.content)
    assert ProcessingJob.objects.count() == before
    # the musician reads the allowed range, for every field with a unit
    for path, payload, field, text in [
        ("/api/v1/remix/tempo", {"audio_file_id": aid, "tempo_change": 150}, "tempo_change",
         "The tempo change must be -50 to 100 %."),
        ("/api/v1/remix/tempo", {"audio_file_id": aid, "tempo_change": -60}, "tempo_change",
         "The tempo change must be -50 to 100 %."),
        ("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": 13}, "semitones",
         "The pitch shift must be -12 to 12 semitones."),
        # a job that changes nothing made a copy of the song with an empty summary (long-file probe)
        ("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": 0}, "semitones",
         "A shift of 0 semitones leaves the song as it is: choose one from -12 to +12."),
        ("/api/v1/remix/tempo", {"audio_file_id": aid, "tempo_change": 0}, "tempo_change",
         "A tempo change of 0 % leaves the song as it is: choose one from -50 to +100 %."),
    ]:
        assert api.post(path, payload, format="json").json()[field] == [text]
    # a region past the end of the song: a list of sentences under the field, like every other field error
    res = api.post("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": 1, "start": 0, "end": 5}, format="json")
    assert res.status_code == 400 and res.json()["end"][0].startswith("The song lasts 2.0 s")
    res = api.post("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": 1, "start": 3}, format="json")
    assert res.status_code == 400 and isinstance(res.json()["start"], list)
    assert other_api.post("/api/v1/remix/pitch", {"audio_file_id": aid, "semitones": 1},
                          format="json").status_code == 404
    short = api.post("/api/v1/remix/genre", {"audio_file_id": aid, "genre": "lofi"}, format="json")
    assert short.json()["detail"] == "A genre remix needs at least 3 s of audio; this lasts 2.0 s."
    from audio.models import AudioFile

    AudioFile.objects.filter(pk=aid).update(analysis={"tempo_bpm": 0.0})  # analysed: no steady beat
    beatless = api.post("/api/v1/remix/tempo", {"audio_file_id": aid, "target_bpm": 90}, format="json")
    assert beatless.status_code == 400 and "change its tempo by a percentage" in beatless.json()["detail"]
    # A tempo out of Rubber Band's reach was taken, then the job failed ("Stretch rate must be between 0.25 and 4,
    # got 0.19..."): it is refused now, in BPM.
    AudioFile.objects.filter(pk=aid).update(analysis={"tempo_bpm": 105.0})
    kazoo = api.post("/api/v1/remix/effects", {"audio_file_id": aid, "effects": "kazoo"}, format="json").json()
    assert str(kazoo["effects"]).count("radio") == 1  # the presets listed once (they were listed twice)
    off = api.post("/api/v1/remix/effects", {"audio_file_id": aid, "effects": [
        {"type": "reverb", "enabled": False, "tail_seconds": 10}]}, format="json")
    assert off.status_code == 400 and off.json()["effects"] == [
        "Every effect in the chain is switched off: switch one on."]
    far = api.post("/api/v1/remix/tempo", {"audio_file_id": aid, "target_bpm": 20}, format="json")
    assert far.status_code == 400 and far.json()["detail"] == (
        "From 105 BPM the tempo can go to 26-300 BPM (a quarter to four times its speed); 20 BPM is out of reach.")


def test_remix_command(tmp_path, capsys):
    import soundfile as sf

    from tests.conftest import tone

    src = tmp_path / "in.wav"
    sf.write(src, tone(3.0).T, 44100)
    out = tmp_path / "out.wav"
    call_command("remix", str(src), "--out", str(out), "--tempo-change", "-25", "--pitch", "2",
                 "--effects", json.dumps([{"type": "lowpass", "cutoff_hz": 4000}]))
    summary = json.loads(capsys.readouterr().out)
    data, sr = sf.read(out)
    assert data.shape[0] == round(3.0 * 44100 / 0.75)
    assert summary["pitch"] == 2
    with pytest.raises(CommandError):
        call_command("remix", str(src), "--out", str(out), "--pitch", "20")
    with pytest.raises(CommandError):
        call_command("remix", str(tmp_path / "none.wav"), "--out", str(out))
    # a broken JSON chain is named as such, not blamed on an unknown preset
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("remix", str(src), "--out", str(out), "--effects", '{"chain": [')
    with pytest.raises(CommandError, match="unknown preset"):
        call_command("remix", str(src), "--out", str(out), "--effects", "no-such-preset")
    with pytest.raises(CommandError, match="nothing to do"):  # it wrote a copy of the song
        call_command("remix", str(src), "--out", str(out))
    with pytest.raises(CommandError, match="--seed must be 0 or more"):
        call_command("remix", str(src), "--out", str(out), "--genre", "lofi", "--seed", "-5")


def test_genre_remix_through_the_job_makes_a_new_file_at_the_genre_tempo(api, upload, run_jobs):
    from audio import services as audio_services
    from sonicai.music.analysis.tempo import estimate_tempo

    body = upload("wav", seconds=8.0)
    job = run(api, run_jobs, "/api/v1/remix/genre", {"audio_file_id": body["id"], "genre": "edm"})
    assert job["result"]["genre"] == "edm"
    result = AudioFile.objects.get(pk=job["result"]["result_file_id"])
    assert result.source == "remix" and Remix.objects.get(pk=job["remix"]["id"]).genre == "edm"
    audio, sr = audio_services.load(result)
    assert estimate_tempo(audio.mean(axis=0), sr).bpm == pytest.approx(job["result"]["tempo_bpm"], abs=2.0)
    # its analysis states the tempo and key the arranger wrote, as a composed track's does
    assert (result.analysis["tempo_bpm"], result.analysis["tempo_method"]) == (job["result"]["tempo_bpm"], "written")
    assert (result.analysis["key"], result.analysis["key_method"]) == (job["result"]["key"], "written")


def test_tempo_with_pitch_and_effects_applies_all_three(api, upload, run_jobs):
    """The remix page sends tempo, pitch and effects in one request; none of them may be dropped."""
    body = upload("wav", seconds=4.0)
    job = run(api, run_jobs, "/api/v1/remix/tempo", {
        "audio_file_id": body["id"], "tempo_change": 25, "semitones": 2,
        "effects": [{"type": "gain", "gain_db": -6}]})
    assert job["input_params"]["pitch"] == 2 and job["result"]["pitch"] == 2
    assert job["result"]["effects"] == [{"type": "gain", "gain_db": -6.0}]
    result = AudioFile.objects.get(pk=job["result"]["result_file_id"])
    assert result.original_name == "song (150 BPM, +2 semitones, effects).wav"  # the song is at 120 BPM


def test_remix_errors_name_the_field_in_a_sentence(api, upload):
    body = upload("wav", seconds=4.0)
    cases = [
        ({"effects": [{"type": "reverb", "room_size": 999}]}, "effects",
         "effect 1 (reverb): room size is 999; it must be from 0 to 1."),
        ({"semitones": 30, "target_bpm": 100}, "semitones", "The pitch shift must be -12 to 12 semitones."),
        ({"start": -1, "target_bpm": 100}, "start", "The region's start must be 0 s or later."),
        ({"start": 1, "end": 1.5, "target_bpm": 100}, "end",
         "The region must be at least 1 s long: set its end to 2 s or later (it is 1.5 s, the start is 1 s)."),
        # near the song's end, the only possible fix is an earlier start: the message does not ask for a later end
        ({"start": 3.99, "end": 4.0, "target_bpm": 100}, "start",
         "The region must be at least 1 s long and the song lasts 4.0 s: start it at 3.0 s or earlier."),
    ]
    for extra, field, message in cases:
        res = api.post("/api/v1/remix/tempo", {"audio_file_id": body["id"], **extra}, format="json")
        assert res.status_code == 400 and res.json() == {field: [message]}, res.json()
    # An unknown effect is counted as the range messages count (from 1), not as a list index.
    res = api.post("/api/v1/remix/effects", {"audio_file_id": body["id"], "effects": [
        {"type": "gain", "gain_db": -3}, {"type": "nonsense"}]}, format="json")
    assert res.status_code == 400
    assert res.json()["effects"][0].startswith("The effects chain is not valid: effect 2: 'nonsense' is not an effect;")


def test_a_region_with_only_a_start_too_near_the_end_is_refused_before_queueing(api, upload):
    """No end: the region ends with the song, so 3.5 s into a 4 s song is 0.5 s long: said at once, not by a job that
    fails on it after queueing."""
    from audio.models import ProcessingJob

    body = upload("wav", seconds=4.0)
    res = api.post("/api/v1/remix/effects", {"audio_file_id": body["id"], "start": 3.5,
                                             "effects": [{"type": "reverb"}]}, format="json")
    assert res.status_code == 400 and res.json() == {"start": [
        "The region must be at least 1 s long and the song lasts 4.0 s: start it at 3.0 s or earlier."]}, res.json()
    assert not ProcessingJob.objects.filter(job_type="effects").exists()
    res = api.post("/api/v1/remix/effects", {"audio_file_id": body["id"], "start": 3.0,
                                             "effects": [{"type": "reverb"}]}, format="json")
    assert res.status_code == 202, res.content


def test_a_whole_song_shorter_than_a_region_can_still_be_worked_on(api, upload):
    """Songs may be 0.1 s long: asking for the whole of one is not a region that is too short."""
    body = upload("wav", seconds=0.6)
    for path, extra in (("/api/v1/remix/effects", {"effects": [{"type": "reverb"}]}), ("/api/v1/stems/separate", {})):
        res = api.post(path, {"audio_file_id": body["id"], **extra}, format="json")
        assert res.status_code == 202, (path, res.content)


def test_the_tempo_slider_spans_what_a_render_accepts(client, user, upload):
    import re

    from audio.models import AudioFile

    body = upload("wav", seconds=2.0)
    AudioFile.objects.filter(pk=body["id"]).update(analysis={"tempo_bpm": 120.0, "key": "A", "mode": "minor"})
    client.force_login(user)
    page = client.get(f"/remix/{body['id']}/").content.decode()
    low, high = map(float, re.search(r'id="bpm" min="([\d.]+)" max="([\d.]+)"', page).groups())
    # the API takes 20-300 BPM within a quarter to four times the song's speed: 30-300 for a 120 BPM song
    assert (low, high) == (30.0, 300.0)
    job = client.post("/api/v1/remix/tempo", {"audio_file_id": body["id"], "target_bpm": high},
                      content_type="application/json")
    assert job.status_code == 202, job.content


def test_the_genre_engine_menu_names_engines_and_describes_the_chosen_one_beneath(client, user, upload):
    import re

    from django.utils.html import escape

    from sonicai.music.remix.pipeline import genre_engines

    body = upload("wav", seconds=2.0)
    client.force_login(user)
    page = client.get(f"/remix/{body['id']}/").content.decode()
    options = re.findall(r'<option value="([^"]+)" data-description="[^"]+"[^>]*>([^<]+)</option>', page)
    # short names in the menu (a phone cut "arranger — keeps the song's vocal…" short), the description below it
    assert [name for name, _ in options] == [e["engine"] for e in genre_engines(None)]
    assert all(text.split(" (")[0] == name for name, text in options)
    first = escape(genre_engines(None)[0]["description"])
    assert f'<p class="muted small" id="engine-description">{first}</p>' in page


def test_the_remix_page_says_how_many_older_remixes_it_leaves_out(client, user, upload):
    # It listed the 20 newest and nothing more: earlier renders seemed gone.
    from audio.models import ProcessingJob
    from remix import views

    body = upload("wav", seconds=2.0)
    af = AudioFile.objects.get(pk=body["id"])
    for _ in range(views.REMIXES_SHOWN + 3):
        job = ProcessingJob.objects.create(user=user, audio_file=af, job_type="tempo", status="completed",
                                           input_params={"tempo_change": 10})
        Remix.objects.create(user=user, job=job, original_file=af, tempo_change=10)
    client.force_login(user)
    page = client.get(f"/remix/{af.id}/").content.decode()
    assert page.count('class="remix-item"') == views.REMIXES_SHOWN and "3 older remixes" in page
