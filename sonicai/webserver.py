"""The web process: daphne, refusing a request body over its limit as soon as the
headers announce it.

Twisted (daphne's HTTP layer) reads a whole request body into a temporary file before
the ASGI application, and so Django, sees the request: a 300 MB upload was written to
disk for 7 s before the upload view could refuse it, and a few in parallel could fill
the disk. Daphne has no body limit of its own, so its request class is extended here:
a body announced (or streamed) past the limit is answered 413 at once and the rest is
read and dropped, never stored, so that clients which send the whole body before they
read still see the answer. ``Expect: 100-continue`` clients get the 413 instead of the
100 and send nothing.

Daphne also writes every body block the application sends straight into the
connection's buffer, whatever the client has taken: ten clients that asked for a 60 MB
file and read nothing (a paused ``<audio>`` element does that) held 540 MB in the web
process. Here a response body's ``send`` waits, like a socket's, until the client has
caught up with what was sent before (twisted's producer/consumer flow control).

Run as ``python -m sonicai.webserver`` with daphne's own arguments.
"""

from __future__ import annotations

import asyncio
import json
import os

from daphne import cli as daphne_cli
from daphne import server as daphne_server
from daphne.access import AccessLogGenerator
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest

from sonicai.log_filters import without_download_tokens

#: Upload paths accept the configured file limit plus the multipart framing; everything
#: else is JSON or a form, far below Django's own 10 MB field limit.
UPLOAD_PATHS = (b"/api/v1/audio/upload",)
MULTIPART_ALLOWANCE = 1024 * 1024
OTHER_BODY_LIMIT = 12 * 1024 * 1024
#: A refused body is read and dropped up to this many bytes, then the connection closes.
DISCARD_AT_MOST = 2 * 1024 ** 3


def upload_limit() -> int:
    from django.conf import settings

    return settings.MAX_UPLOAD_SIZE


class _Pacer:
    """Registered on the connection while a response body goes out (an IPushProducer):
    twisted pauses it when its write buffer is full and resumes it once the client has
    taken the data."""

    def __init__(self, request: LimitedWebRequest):
        self.request = request

    def pauseProducing(self):
        self.request.pause_sending()

    def resumeProducing(self):
        self.request.resume_sending()

    def stopProducing(self):
        self.request.resume_sending()


class LimitedWebRequest(WebRequest):
    _refused = False
    _received = 0
    _limit = OTHER_BODY_LIMIT
    _paced = False
    _paused: asyncio.Future | None = None

    def pause_sending(self) -> None:
        if self._paused is None:
            self._paused = asyncio.get_event_loop().create_future()

    def resume_sending(self) -> None:
        if self._paused is not None and not self._paused.done():
            self._paused.set_result(None)
        self._paused = None

    async def client_caught_up(self) -> None:
        """Return once the client has taken what was sent (or has gone)."""
        if self.finished or self.channel is None:
            return
        if not self._paced:
            self._paced = True
            self.registerProducer(_Pacer(self), True)
            if self.channel._waitingForTransport:  # already full before we were registered
                self.pause_sending()
        if self._paused is not None:
            await self._paused

    def handle_reply(self, message):
        if self._paced and message.get("type") == "http.response.body" and not message.get("more_body"):
            self._paced = False
            self.unregisterProducer()  # before finish(): the connection's next request may pace again
        super().handle_reply(message)

    def connectionLost(self, reason):
        self.resume_sending()
        super().connectionLost(reason)

    def _is_upload(self) -> bool:
        # The request line is parsed, but twisted sets self.uri only once the body is in.
        target = getattr(self.channel, "_path", b"") or b""
        return target.split(b"?", 1)[0].rstrip(b"/") in UPLOAD_PATHS

    def gotLength(self, length):
        upload = self._is_upload()
        self._limit = upload_limit() + MULTIPART_ALLOWANCE if upload else OTHER_BODY_LIMIT
        if length is not None and length > self._limit:
            self.requestHeaders.removeHeader(b"expect")  # no "100 Continue": the answer is final
            self._refuse(length, upload)
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        self._received += len(data)
        if self._refused:
            if self._received > DISCARD_AT_MOST:
                self.channel.transport.loseConnection()
            return
        if self._received > self._limit:  # a chunked body with no length given
            self.content.close()
            self._refuse(None, self._is_upload())
            return
        super().handleContentChunk(data)

    def process(self):
        if self._refused:
            self.channel.transport.loseConnection()
            return None
        return super().process()

    def _refuse(self, length: int | None, upload: bool) -> None:
        self._refused = True
        from audio.validation import too_large_sentence

        limit = self._limit - (MULTIPART_ALLOWANCE if upload else 0)
        detail = too_large_sentence("The file" if upload else "The request", length, limit)
        body = json.dumps({"detail": detail}).encode()
        self.channel.transport.write(
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class PacedServer(daphne_server.Server):
    async def handle_reply(self, protocol, message):
        await super().handle_reply(protocol, message)
        paced = isinstance(protocol, LimitedWebRequest) and message.get("type") == "http.response.body"
        if paced and message.get("more_body"):
            await protocol.client_caught_up()


class LimitedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = LimitedWebRequest
        return protocol


class RedactingAccessLog(AccessLogGenerator):
    """Daphne's access log, without the tokens of download links (bearer credentials for an hour)."""

    def write_entry(self, host, date, request, status=None, length=None, ident=None, user=None):
        super().write_entry(host, date, without_download_tokens(request), status, length, ident, user)


def start_job_sweeper() -> None:
    """Web processes run no ML, but the sweep is a few queries: with it, a studio whose workers all died (a
    Dramatiq pool stops whole when one of its processes is killed) still ends their jobs with a reason and
    sends lost queue messages again, instead of showing the jobs running or waiting for good."""
    import django

    django.setup()
    from audio.jobs import JobSweeper

    JobSweeper().start()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonicai.settings")
    start_job_sweeper()
    # daphne's Server builds its factory from this module-level name; ours adds the limit.
    daphne_server.HTTPFactory = LimitedHTTPFactory
    CommandLineInterface.server_class = PacedServer
    daphne_cli.AccessLogGenerator = RedactingAccessLog
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
