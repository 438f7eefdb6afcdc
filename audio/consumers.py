"""WebSocket /ws/jobs/{id}: pushes a job's progress as JSON messages."""

import logging
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from sonicai.realtime import job_group, user_group

from .jobs import job_payload
from .models import ProcessingJob

#: Close code for "no such job" (private range 4000-4999; mirrors HTTP 404).
CLOSE_NOT_FOUND = 4404
#: Close code for "your sign-in changed (a new password): reconnect"; the client does, and only a sign-in that
#: still holds gets in (mirrors HTTP 401).
CLOSE_SIGN_IN_CHANGED = 4401
#: Close code for "the live updates are down for a moment; reconnect" (mirrors HTTP 503; RFC 6455's own 1013
#: is refused by daphne's WebSocket layer, autobahn, which only sends 1000 and 3000-4999).
CLOSE_TRY_AGAIN = 4503
log = logging.getLogger(__name__)


@database_sync_to_async
def _owned_job(user, job_id) -> tuple[dict, str] | None:
    """The job's payload and its owner's id, if ``user`` owns the job."""
    try:
        job_id = uuid.UUID(str(job_id))
    except ValueError:
        return None
    if not user or not user.is_authenticated:
        return None
    job = ProcessingJob.objects.filter(pk=job_id, user=user).first()
    return (job_payload(job), str(user.pk)) if job else None


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        # Redis going away under open sockets ended each with 1011 and a traceback, and every refused reconnect
        # logged another while the channel layer's receive kept failing: 17 tracebacks in 30 s from one page.
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError) as exc:
            log.warning("live job updates stopped (%s): the client is told to reconnect", exc)
            try:
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})
            except Exception:  # noqa: BLE001 -- already closed by the client or the server: nothing to tell
                pass

    async def connect(self):
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        owned = await _owned_job(self.scope.get("user"), job_id)
        if owned is None:
            # Accept then close with 4404 so the client can tell "not found" from a network error.
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        payload, user_id = owned
        self.groups_joined = [job_group(payload["id"]), user_group(user_id)]
        if not await self._join(*self.groups_joined):
            # The channel layer (Redis) is down: refuse with "try again later", which a client can act on,
            # rather than fail the handshake with a 500.
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        await self.accept()
        await self.send_json({"type": "job", "job": payload, **payload})

    async def _join(self, *groups: str) -> bool:
        # The first use of a pooled Redis connection that outlived a Redis restart fails once; a second try
        # opens a new one.
        for attempt in range(2):
            try:
                for group in groups:
                    await self.channel_layer.group_add(group, self.channel_name)
                return True
            except (RedisError, OSError) as exc:
                log.warning("job updates for %s unavailable (try %d): %s", groups[0], attempt + 1, exc)
        return False

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", ()):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except (RedisError, OSError) as exc:  # the group entry expires on its own
                log.warning("leaving %s: %s", group, exc)

    async def job_update(self, event):
        job = event["job"]
        await self.send_json({"type": "job", "job": job, **job})

    async def sign_in_changed(self, event):
        await self.close(code=CLOSE_SIGN_IN_CHANGED)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
