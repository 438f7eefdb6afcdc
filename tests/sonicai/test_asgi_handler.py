"""The web process's HTTP handler (sonicai/asgi.py): a request crosses to a worker thread
once, not once per middleware/signal/view as Django's ASGI handler does, and a streamed
file goes out a block at a time instead of being read whole into memory first."""

import io
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.http import FileResponse, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from sonicai.asgi import OneHopASGIHandler, django_asgi_app

BLOCK = OneHopASGIHandler.chunk_size
seen: dict[str, list] = {"threads": [], "reads": []}


class TrackedFile(io.BytesIO):
    def read(self, size=-1):
        data = super().read(size)
        seen["reads"].append(len(data))
        return data


def record_thread(request):
    seen["threads"].append(("view", threading.get_ident()))
    return HttpResponse("ok")


@csrf_exempt
def form(request):
    return HttpResponse(",".join(f"{name}={f.size}" for name, f in request.FILES.items()))


def big_file(request):
    return FileResponse(TrackedFile(b"x" * (40 * BLOCK)), content_type="application/octet-stream")


urlpatterns = [path("thread", record_thread), path("big", big_file), path("form", form)]


def on_signal(name):
    def receiver(**kwargs):
        seen["threads"].append((name, threading.get_ident()))
    return receiver


started, finished = on_signal("started"), on_signal("finished")


def scope(target: str) -> dict:
    return {"type": "http", "method": "GET", "path": target, "raw_path": target.encode(), "query_string": b"",
            "headers": [(b"host", b"testserver")], "http_version": "1.1", "scheme": "http",
            "server": ("testserver", 80), "client": ("127.0.0.1", 5555), "root_path": ""}


@pytest.fixture
def app(settings, monkeypatch):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    seen["threads"].clear()
    seen["reads"].clear()
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    submitted = []
    original = django_asgi_app.executor.submit
    monkeypatch.setattr(django_asgi_app.executor, "submit",
                        lambda fn, *a, **k: submitted.append(fn) or original(fn, *a, **k))
    yield submitted
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


async def request(target: str, first_block_only: bool = False) -> tuple[ApplicationCommunicator, list[dict]]:
    comm = ApplicationCommunicator(django_asgi_app, scope(target))
    await comm.send_input({"type": "http.request", "body": b""})
    messages = []
    while True:
        messages.append(await comm.receive_output(timeout=5))
        if messages[-1]["type"] == "http.response.body" and (first_block_only or not messages[-1].get("more_body")):
            return comm, messages


@pytest.mark.asyncio
async def test_a_request_is_handed_to_a_thread_once_and_runs_there_whole(app):
    for _ in range(3):
        comm, messages = await request("/thread")
        await comm.wait(timeout=5)
        assert messages[0]["status"] == 200 and messages[-1]["body"] == b"ok"
    # Django's ASGI handler hands each request to a thread 4 times (request_started, the middleware
    # chain, the view, request_finished); every hand-off is a wake-up that waits for a core under load.
    assert len(app) == 3
    per_request = [seen["threads"][i:i + 3] for i in range(0, 9, 3)]
    for hops in per_request:
        assert [name for name, _ in hops] == ["started", "view", "finished"]
        assert len({ident for _, ident in hops}) == 1
        assert threading.get_ident() not in {ident for _, ident in hops}  # never on the event loop


@pytest.mark.asyncio
async def test_a_streamed_file_goes_out_a_block_at_a_time(app):
    comm, messages = await request("/big", first_block_only=True)
    assert messages[0]["status"] == 200
    assert messages[1]["body"] == b"x" * BLOCK
    # The first block is on its way while the rest of the file has not been read.
    assert sum(seen["reads"]) <= 2 * BLOCK
    body = messages[1]["body"]
    while True:
        message = await comm.receive_output(timeout=5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await comm.wait(timeout=5)
    assert body == b"x" * (40 * BLOCK)
    assert [name for name, _ in seen["threads"]] == ["started", "finished"]  # finished once sent


@pytest.mark.asyncio
async def test_a_chunked_upload_without_a_length_arrives_whole(app):
    audio = bytes(range(256)) * 40
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"song.wav\"\r\n"
            b"Content-Type: audio/wav\r\n\r\n" + audio + b"\r\n--b--\r\n")
    post = {**scope("/form"), "method": "POST",
            "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=b"),
                        (b"transfer-encoding", b"chunked")]}  # and no content-length
    comm = ApplicationCommunicator(django_asgi_app, post)
    half = len(body) // 2
    await comm.send_input({"type": "http.request", "body": body[:half], "more_body": True})
    await comm.send_input({"type": "http.request", "body": body[half:]})
    start, content = await comm.receive_output(timeout=5), await comm.receive_output(timeout=5)
    await comm.wait(timeout=5)
    assert start["status"] == 200 and content["body"] == f"file={len(audio)}".encode()
