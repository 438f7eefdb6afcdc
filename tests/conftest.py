"""Fixtures shared by every app's tests: users, API clients, real audio files, and a
Dramatiq worker that runs queued jobs inside the test process."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

SR = 44100


def tone(seconds: float = 2.0, sr: int = SR, freqs=(220.0, 330.0)) -> np.ndarray:
    """A stereo test signal with a little rhythm (so tempo/onsets exist)."""
    t = np.arange(int(seconds * sr)) / sr
    env = 0.6 + 0.4 * (np.sin(2 * np.pi * 2 * t) > 0)
    left = 0.3 * np.sin(2 * np.pi * freqs[0] * t) * env
    right = 0.3 * np.sin(2 * np.pi * freqs[1] * t) * env
    return np.stack([left, right]).astype(np.float32)


def encode(audio: np.ndarray, sr: int, fmt: str) -> bytes:
    """Real encoded bytes of ``audio`` in wav/flac/ogg/mp3 (libsndfile) or m4a/opus (PyAV)."""
    import soundfile as sf

    if fmt in ("wav", "flac", "ogg", "mp3"):
        buf = io.BytesIO()
        subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS", "mp3": None}[fmt]
        sf.write(buf, audio.T, sr, format=fmt.upper(), subtype=subtype)
        return buf.getvalue()
    import av

    codec, rate, container = {"m4a": ("aac", sr, "mp4"), "opus": ("libopus", 48000, "ogg")}[fmt]
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "stereo"
        if rate != sr:
            import soxr

            audio = soxr.resample(audio.T, sr, rate).T.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio), format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


@pytest.fixture
def make_audio_bytes():
    return lambda fmt="wav", seconds=2.0, sr=SR: encode(tone(seconds, sr), sr, fmt)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "correct-horse-42")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("mallory", "mallory@example.com", "correct-horse-43")


def _client_for(u):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(u).access_token}")
    return client


@pytest.fixture
def api(user):
    return _client_for(user)


@pytest.fixture
def other_api(other_user):
    return _client_for(other_user)


@pytest.fixture
def upload(api, make_audio_bytes):
    """Upload real audio through the API; returns the response JSON."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def do(fmt="wav", seconds=2.0, name=None, client=None):
        data = make_audio_bytes(fmt, seconds)
        f = SimpleUploadedFile(name or f"song.{fmt}", data, content_type="application/octet-stream")
        res = (client or api).post("/api/v1/audio/upload", {"file": f}, format="multipart")
        assert res.status_code == 201, res.content
        return res.json()

    return do


_booted = False


@pytest.fixture
def run_jobs(transactional_db):
    """Run every queued job to the end in a real Dramatiq worker (stub or Redis broker)."""
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    import sonicai.worker  # noqa: F401  (imports every actor)
    from sonicai.broker import QUEUES, broker

    def run(timeout_ms: int = 120_000):
        worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
        worker.start()
        try:
            for queue in QUEUES:
                broker.join(queue, timeout=timeout_ms)
            worker.join()
        finally:
            worker.stop()

    global _booted
    if not _booted and not isinstance(broker, StubBroker):
        # The dramatiq CLI announces process boot, which starts the time-limit watcher;
        # an in-test worker has to do it itself (the stub broker does it on creation).
        broker.emit_after("process_boot")
        _booted = True
    broker.flush_all()
    return run


@pytest.fixture(autouse=True)
def fresh_cache(request):
    """Rate-limit and sign-in counters start from zero in every test."""
    if request.config.pluginmanager.hasplugin("django"):
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def media_root(request, tmp_path) -> Path:
    """Each test stores its files in its own folder, so it can check what was left.
    (Pure DSP tests also run with ``-p no:django``; then there is nothing to set.)"""
    root = tmp_path / "media"
    if not request.config.pluginmanager.hasplugin("django"):
        return root
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = root
    if "FileSystemStorage" in settings.STORAGES["default"]["BACKEND"]:
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": "/media/"}}}
    return root
