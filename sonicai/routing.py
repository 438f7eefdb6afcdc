from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from audio.consumers import CLOSE_NOT_FOUND, JobProgressConsumer


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other WebSocket path is closed as not found (4404, as for another user's job), instead of Channels'
    "No route found" error, a 500 with a traceback in the log."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)


websocket_urlpatterns = [
    re_path(r"^ws/jobs/(?P<job_id>[^/]+)/?$", JobProgressConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),
]
