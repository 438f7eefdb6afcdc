"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne).

Django's ASGI handler runs a synchronous project (every view, middleware and signal
receiver here is synchronous) by hopping between the event loop and a thread several
times per request: the request_started receivers, the middleware chain, back to the loop
for the async core, the view, request_finished. Each hop is a cross-thread wake-up, and
on a 2-core machine whose workers keep the cores busy every wake-up can wait for a core:
under 100 job-status reads a second with two analyses running, that was most of the p99.
(Its threads made per request, and so a database connection opened and closed per
request, were 40 % of the web's busy time before a fixed pool was used.)

Here the body is read on the event loop, the whole request (signals, the synchronous
middleware chain, the view) runs in one go on one of a fixed set of threads that keep
their database connections (CONN_MAX_AGE), and the response is written from the loop:
one hop there and back. A streamed response (audio files) is read a block at a time on
the same pool instead of whole into memory, as Django's handler does with a synchronous
iterator. A slow request (an upload being decoded) holds one thread; the others go on.
"""

import asyncio
import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonicai.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.exceptions import RequestAborted  # noqa: E402
from django.core.handlers import base  # noqa: E402
from django.core.handlers.asgi import ASGIHandler, ASGIRequest, get_script_prefix  # noqa: E402
from django.http import FileResponse  # noqa: E402
from django.urls import set_script_prefix  # noqa: E402

from sonicai.routing import websocket_urlpatterns  # noqa: E402
from sonicai.ws_auth import auth_stack, origin_checked  # noqa: E402


class MeasuredASGIRequest(ASGIRequest):
    """A request sent chunked (``curl -H "Transfer-Encoding: chunked"``, some HTTP libraries streaming a file)
    carries no Content-Length, and Django's form parsers read a body without one as empty: the upload was
    refused as "no field named file". The body is whole in ``body_file`` by now, so its length is known."""

    def __init__(self, scope, body_file):
        super().__init__(scope, body_file)
        if "CONTENT_LENGTH" not in self.META:
            size = body_file.seek(0, os.SEEK_END)
            body_file.seek(0)
            if size:
                self.META["CONTENT_LENGTH"] = str(size)


class OneHopASGIHandler(ASGIHandler):
    request_class = MeasuredASGIRequest

    def __init__(self, threads: int):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._on_thread(self._respond, scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await self._on_thread(response.close)
        finally:
            body_file.close()

    def _on_thread(self, func, *args):
        # The context (and so asgiref's and Django's context variables) goes with the call.
        context = contextvars.copy_context()
        return asyncio.get_running_loop().run_in_executor(self.executor, context.run, func, *args)

    def _respond(self, scope, body_file):
        """The whole synchronous life of a request, on one pool thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # request_finished (connections returned) before the bytes go out
        elif not response.is_async:
            # Django's send_response would read a synchronous body whole into memory first.
            response.streaming_content = self._blocks_on_thread(response.streaming_content)
        return response

    async def _blocks_on_thread(self, blocks):
        """A synchronous body (a file) as an asynchronous one, read a block at a time on the pool."""
        blocks = iter(blocks)
        while (part := await self._on_thread(next, blocks, None)) is not None:
            yield part


django_asgi_app = OneHopASGIHandler(settings.WEB_THREADS)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_checked(auth_stack(URLRouter(websocket_urlpatterns))),
    }
)
