"""Stems to MIDI: the transcription job through the API (mix and stems), its downloads and notes, the pages,
and manage.py transcribe."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audio import storage
from audio.models import AudioFile, ProcessingJob
from tests.conftest import SR, encode

ROOT = Path(__file__).resolve().parents[2]


def melody(seconds=3.0, notes=(60, 64, 67, 72)) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    step = seconds / len(notes)
    for i, n in enumerate(notes):
        f = 440.0 * 2 ** ((n - 69) / 12)
        m = (t >= i * step) & (t < (i + 1) * step - 0.05)
        y[m] += 0.4 * np.sin(2 * np.pi * f * t[m])
    return np.stack([y, y]).astype(np.float32)


def _upload(api, audio, name="tune.wav"):
    res = api.post("/api/v1/audio/upload", {"file": SimpleUploadedFile(name, encode(audio, SR, "wav"))},
                   format="multipart")
    assert res.status_code == 201
    return res.json()


def _fake_separation(af_id, stems: dict):
    """A completed separation job whose result keys point at stored stems (what the stems app leaves)."""
    af = AudioFile.objects.get(pk=af_id)
    keys = {name: storage.save_bytes(storage.new_key(af.user_id, "stems", "flac"), encode(a, SR, "flac"))
            for name, a in stems.items()}
    return ProcessingJob.objects.create(user=af.user, audio_file=af, job_type=ProcessingJob.Type.STEM_SEPARATION,
                                        status="completed", result_s3_keys=keys, input_params={})


def _midi(api, job_id, name) -> pretty_midi.PrettyMIDI:
    res = api.get(f"/api/v1/jobs/{job_id}/download?name={name}")
    assert res.status_code == 200, res.content
    url = res.json()["url"]
    from django.test import Client

    got = Client().get(url)
    assert got["Content-Type"] == "audio/midi"  # not Debian's "audio/sp-midi", a phone-ringtone format
    return pretty_midi.PrettyMIDI(io.BytesIO(b"".join(got.streaming_content)))


@pytest.mark.django_db(transaction=True)
def test_stems_to_midi_per_stem_and_multitrack_with_the_song_tempo(api, other_api, run_jobs):
    body = _upload(api, melody())
    res = api.post("/api/v1/practice/transcribe", {"audio_file_id": body["id"], "source": "stems"}, format="json")
    assert res.status_code == 400 and "separate it first" in res.json()["detail"]
    run_jobs()  # the analysis: the tempo the MIDI files will carry
    tempo = AudioFile.objects.get(pk=body["id"]).analysis["tempo_bpm"]
    # A waltz, as the lead sheet reads it (chords changing every third beat): the MIDI files say 3/4, not the 4/4 a
    # DAW assumes when a file has no time signature.
    af = AudioFile.objects.get(pk=body["id"])
    beats = [0.5 * i for i in range(36)]
    af.analysis = {**af.analysis, "beats": beats, "chords": [
        {"start": beats[i], "end": beats[i] + 1.5, "root": (i // 3) % 12, "quality": "maj"} for i in range(0, 36, 3)]}
    af.save(update_fields=["analysis"])
    _fake_separation(body["id"], {"vocals": melody(), "bass": melody(notes=(36, 40, 43, 36)),
                                  "drums": np.zeros((2, 3 * SR), np.float32)})
    res = api.post("/api/v1/practice/transcribe", {"audio_file_id": body["id"], "source": "stems"}, format="json")
    assert res.status_code == 202
    job_id = res.json()["job_id"]
    assert other_api.get(f"/api/v1/practice/transcriptions/{job_id}").status_code == 404
    run_jobs()
    job = api.get(f"/api/v1/practice/transcriptions/{job_id}").json()
    assert job["status"] == "completed", job
    assert set(job["downloads"]) == {"vocals", "bass", "drums", "multitrack"}
    vocals = _midi(api, job_id, "vocals")
    assert [n.pitch for n in vocals.instruments[0].notes][:4] == [60, 64, 67, 72]
    assert vocals.get_tempo_changes()[1][0] == pytest.approx(tempo, abs=0.01)
    assert [(t.numerator, t.denominator) for t in vocals.time_signature_changes] == [(3, 4)]
    multi = _midi(api, job_id, "multitrack")
    assert [i.name for i in multi.instruments][:2] == ["Vocals", "Bass"]  # the silent drum stem has no hits
    assert {n.pitch for n in multi.instruments[1].notes} <= {36, 40, 43, 48, 52, 55}
    notes = api.get(f"/api/v1/practice/transcriptions/{job_id}/notes").json()
    assert [r[2] for r in notes["tracks"]["vocals"]["notes"]][:4] == [60, 64, 67, 72]
    assert notes["tracks"]["drums"]["drums"] is True
    # one stem, and the whole mix
    for source, tracks in (("bass", {"bass"}), ("mix", {"mix"})):
        res = api.post("/api/v1/practice/transcribe", {"audio_file_id": body["id"], "source": source}, format="json")
        assert res.status_code == 202
        run_jobs()
        assert set(api.get(f"/api/v1/practice/transcriptions/{res.json()['job_id']}").json()["downloads"]) == tracks
    assert api.post("/api/v1/practice/transcribe", {"audio_file_id": body["id"], "source": "kazoo"},
                    format="json").status_code == 400


@pytest.mark.django_db
def test_practice_pages_and_lead_sheet_downloads(client, user, other_user):
    af = AudioFile.objects.create(user=user, original_name="Café Nuit – ñ.wav", s3_key="x", s3_bucket="local",
                                  file_size=1, duration=8.0, analysis={
                                      "tempo_bpm": 120.0, "beats": [0.5 * i for i in range(16)], "key": "F",
                                      "mode": "major", "duration": 8.0,
                                      "chords": [{"start": 0.0, "end": 4.0, "root": 5, "quality": "maj",
                                                  "label": "F:maj", "symbol": "F"},
                                                 {"start": 4.0, "end": 8.0, "root": 10, "quality": "maj",
                                                  "label": "Bb:maj", "symbol": "B♭"}]})
    client.force_login(user)
    page = client.get(f"/practice/{af.id}/")
    assert page.status_code == 200 and b"practice-data" in page.content and b"chord_lane" not in page.content
    sheet = client.get(f"/practice/{af.id}/sheet/")
    assert sheet.status_code == 200 and "B♭" in sheet.content.decode()
    cho = client.get(f"/practice/{af.id}/sheet.cho")
    assert cho.status_code == 200 and b"[Bb]" in cho.content and "attachment" in cho["Content-Disposition"]
    # the song's own name, accents kept (a browser takes filename*), with the format's extension
    assert "filename*=utf-8''Caf%C3%A9%20Nuit%20%E2%80%93%20%C3%B1.cho" in cho["Content-Disposition"]
    xml = client.get(f"/practice/{af.id}/sheet.musicxml")
    assert xml.content.startswith(b"<?xml") and xml["Content-Disposition"].endswith(".musicxml")
    assert client.get(f"/practice/{af.id}/transcription/").status_code == 200
    client.force_login(other_user)
    assert client.get(f"/practice/{af.id}/").status_code == 404
    assert client.get(f"/practice/{af.id}/sheet.cho").status_code == 404


def _cmd(*args):
    return subprocess.run([sys.executable, "manage.py", "transcribe", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_transcribe_command_writes_midi_and_refuses_bad_input(tmp_path):
    wav = tmp_path / "bass line.wav"
    wav.write_bytes(encode(melody(notes=(36, 40, 43, 36)), SR, "wav"))
    out = tmp_path / "bass.mid"
    done = _cmd(str(wav), "--out", str(out), "--stem", "bass", "--tempo", "96")
    assert done.returncode == 0, done.stderr
    pm = pretty_midi.PrettyMIDI(str(out))
    assert pm.instruments[0].name == "Bass" and pm.get_tempo_changes()[1][0] == pytest.approx(96.0)
    notes = sorted(pm.instruments[0].notes, key=lambda n: n.start)
    assert notes[0].pitch == 36 and {n.pitch for n in notes} >= {36, 40, 43}
    for args, message in (([str(tmp_path / "missing.wav"), "--out", str(out)], "no such file"),
                          ([str(wav), "--out", str(tmp_path / "x.wav")], "must end in .mid"),
                          ([str(wav), "--out", str(out), "--tempo", "1000"], "between 20 and 400")):
        bad = _cmd(*args)
        assert bad.returncode == 1 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    bad = _cmd(str(wav), "--out", str(out), "--stem", "kazoo")
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


@pytest.mark.django_db
def test_lead_sheet_api_in_each_format(api, user):
    af = AudioFile.objects.create(user=user, original_name="Café Nuit – ñ.wav", s3_key="x", s3_bucket="local",
                                  file_size=1, duration=8.0, analysis={
                                      "tempo_bpm": 120.0, "beats": [0.5 * i for i in range(16)], "key": "F",
                                      "mode": "major", "duration": 8.0,
                                      "chords": [{"start": 0.0, "end": 8.0, "root": 10, "quality": "maj",
                                                  "label": "Bb:maj", "symbol": "B♭"}]})
    url = f"/api/v1/practice/{af.id}/leadsheet"
    assert api.get(url).json()["key"]
    assert b"[Bb]" in api.get(url + "?as=chordpro").content
    assert api.get(url + "?as=musicxml").content.startswith(b"<?xml")
    assert api.get(url + "?as=kazoo").status_code == 400


@pytest.mark.django_db
def test_an_unknown_source_is_refused_with_the_choices(api, upload):
    body = upload("wav", seconds=2.0)
    res = api.post("/api/v1/practice/transcribe", {"audio_file_id": body["id"], "source": "kazoo"}, format="json")
    assert res.status_code == 400
    choices = '"kazoo" is not one of the choices: stems, mix, vocals, drums, bass, other'
    assert res.json()["source"][0].startswith(choices)
