"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne).

Django's own ASGI handler runs each request's synchronous code (the views, the ORM) on
a thread made for that request and thrown away after it, so every request also opened
and closed its own database connection: measured with py-spy under 100 job-status
reads a second, thread start/join and connection set-up/tear-down were 40 % of the
web process's busy time. Here each request borrows one of a fixed set of threads for
its whole life (asgiref's ThreadSensitiveContext with a caller-owned executor, as
Django's handler would with a fresh one), so threads and their database connections
(CONN_MAX_AGE) are reused. A slow request (an upload being decoded) holds one thread;
the others keep answering.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonicai.settings")
django.setup(set_prefix=False)

from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from sonicai.routing import websocket_urlpatterns  # noqa: E402
from sonicai.ws_auth import auth_stack, origin_checked  # noqa: E402


class PooledThreadsASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        super().__init__()
        self.threads = threads
        self._idle: asyncio.Queue | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self._idle is None:  # made on first use, inside the server's event loop
            self._idle = asyncio.Queue()
            for i in range(self.threads):
                self._idle.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"web-{i}"))
        executor = await self._idle.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self._idle.put_nowait(executor)


django_asgi_app = PooledThreadsASGIHandler(settings.WEB_THREADS)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": origin_checked(auth_stack(URLRouter(websocket_urlpatterns))),
    }
)
