"""The S3 storage path, against moto's standalone S3 server on loopback."""

import socket
import threading

import boto3
import pytest
import requests

from audio.models import AudioFile

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def use_bucket(settings, endpoint: str, read_timeout: float = 20.0) -> None:
    """The studio's media in bucket sonic-test at ``endpoint``, configured as the settings configure it."""
    from sonicai.s3 import s3_storage

    settings.S3_BUCKET_NAME = "sonic-test"
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(
        "sonic-test", endpoint, "us-east-1", "test", "test", 600, connect_timeout=1.0, read_timeout=read_timeout)}


@pytest.fixture
def s3(settings, monkeypatch):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="sonic-test")
    use_bucket(settings, endpoint)
    yield client
    server.stop()


@pytest.fixture
def fresh_health(monkeypatch):
    import sonicai.health

    monkeypatch.setattr(sonicai.health, "_storage_seen", None)  # each test looks at the storage itself


def keys(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket="sonic-test").get("Contents", [])]


def test_upload_download_and_delete_on_s3(s3, api, upload, client, user):
    body = upload("flac", seconds=1.0)
    af = AudioFile.objects.get(pk=body["id"])
    assert af.s3_bucket == "sonic-test" and keys(s3) == [af.s3_key]
    # derived data is computed (by the analysis job) from the object in the bucket
    from audio import services

    services.ensure_waveform(af)
    services.ensure_spectrogram(af)
    assert api.get(f"/api/v1/audio/{af.id}/waveform").json()["duration"] == pytest.approx(1.0, abs=0.01)
    assert api.get(f"/api/v1/audio/{af.id}/spectrogram").status_code == 200
    assert len(keys(s3)) == 2
    link = api.get(f"/api/v1/audio/{af.id}/download").json()["url"]
    assert "X-Amz-Signature" in link or "Signature" in link
    res = requests.get(link, timeout=10)
    assert res.status_code == 200 and res.content[:4] == b"fLaC"
    client.force_login(user)
    assert client.get(f"/files/{af.id}/stream").status_code == 302  # the player streams from the bucket
    assert api.delete(f"/api/v1/audio/{af.id}").status_code == 204
    assert keys(s3) == []


def test_rejected_upload_leaves_bucket_empty(s3, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    res = api.post("/api/v1/audio/upload", {"file": SimpleUploadedFile("x.mp3", b"not audio" * 100)},
                   format="multipart")
    assert res.status_code == 400
    assert keys(s3) == []


@pytest.fixture
def stalled_s3(settings):
    """An S3 endpoint that takes connections and never answers (a storage that hangs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    use_bucket(settings, f"http://127.0.0.1:{sock.getsockname()[1]}", read_timeout=1.0)
    yield
    sock.close()


def test_a_stalled_storage_is_answered_with_a_sentence_and_leaves_health_answering(stalled_s3, api, client,
                                                                                    fresh_health):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import encode, tone

    res = api.post("/api/v1/audio/upload", {"file": SimpleUploadedFile("song.wav", encode(tone(1.0), 44100, "wav"))},
                   format="multipart")
    assert res.status_code == 503 and "file storage is not answering" in res.json()["detail"]
    assert not AudioFile.objects.exists()  # nothing half-made to clean up
    health = client.get("/health")  # its own short look at the storage, not the uploads' patient one
    assert health.status_code == 200 and health.json()["storage"].startswith("error")
    assert "storage" in health.json()["warning"]
    assert client.get("/health?require=storage").status_code == 503


def test_health_says_the_storage_answers(s3, client, fresh_health):
    assert client.get("/health?require=storage,workers").json()["storage"] == "ok"


def test_health_answers_when_the_storage_is_set_up_wrong(settings, client, fresh_health):
    use_bucket(settings, "127.0.0.1:9000")  # the endpoint without its scheme: boto3 refuses to make a client
    res = client.get("/health")
    assert res.status_code == 200 and res.json()["storage"].startswith("error")


def test_uploads_leave_two_threads_for_everything_else(s3, api, settings, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audio import storage
    from tests.conftest import encode, tone

    settings.WEB_THREADS = 3  # one upload at a time
    monkeypatch.setattr(storage, "_UPLOAD_SLOTS", None)
    song = encode(tone(1.0), 44100, "wav")
    holding, release = threading.Event(), threading.Event()

    def slow_upload():
        with storage.upload_slot():
            holding.set()
            release.wait(10)

    first = threading.Thread(target=slow_upload)
    first.start()
    holding.wait(10)
    res = api.post("/api/v1/audio/upload", {"file": SimpleUploadedFile("b.wav", song)}, format="multipart")
    release.set()
    first.join()
    assert res.status_code == 503 and "busy storing other uploads" in res.json()["detail"]
    assert res["Retry-After"] == "5"
    res = api.post("/api/v1/audio/upload", {"file": SimpleUploadedFile("c.wav", song)}, format="multipart")
    assert res.status_code == 201  # the slot is free again
