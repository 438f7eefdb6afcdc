"""The S3 storage path, against moto's standalone S3 server on loopback."""

import socket

import boto3
import pytest
import requests

from audio.models import AudioFile

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    settings.S3_BUCKET_NAME = "sonic-test"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "sonic-test", "endpoint_url": endpoint, "region_name": "us-east-1",
                    "access_key": "test", "secret_key": "test", "querystring_auth": True,
                    "querystring_expire": 600, "default_acl": None, "file_overwrite": False}}}
    yield client
    server.stop()


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
