"""WebSocket /ws/jobs/{id}: pushes a job's progress as JSON messages."""

import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from sonicai.realtime import job_group

from .jobs import job_payload
from .models import ProcessingJob

#: Close code for "no such job" (private range 4000-4999; mirrors HTTP 404).
CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def _owned_job(user, job_id):
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        return None
    if not user or not user.is_authenticated:
        return None
    job = ProcessingJob.objects.filter(pk=job_id, user=user).first()
    return job_payload(job) if job else None


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        payload = await _owned_job(self.scope.get("user"), job_id)
        if payload is None:
            # Accept then close with 4404 so the client can tell "not found" from a network error.
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = job_group(payload["id"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "job", "job": payload, **payload})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_update(self, event):
        job = event["job"]
        await self.send_json({"type": "job", "job": job, **job})

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
