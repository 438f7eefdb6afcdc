"""Pushing job progress to WebSocket listeners through the Channels layer."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def job_group(job_id) -> str:
    return f"job_{job_id}"


def user_group(user_id) -> str:
    return f"user_{user_id}"


def end_live_updates(user_id) -> None:
    """Close every WebSocket a user has open, after their password changed: each client reconnects, and only
    a sign-in that still holds (this browser's session; not another's, nor a token issued before) gets in."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "sign_in.changed"})
    except Exception as exc:  # Redis down: the sockets stay open until they reconnect for another reason
        log.warning("could not close the live updates of user %s: %s", user_id, exc)


def broadcast_job(payload: dict) -> None:
    """Send a job's state to everyone watching it. Never fails the caller: progress
    messages are a convenience, the database row is the truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(job_group(payload["id"]), {"type": "job.update", "job": payload})
    except Exception as exc:  # a broken channel layer must not fail the job itself
        # Redis away is expected now and then (a restart): one line, not 40 of traceback per progress step.
        expected = isinstance(exc, (RedisError, OSError))
        log.warning("could not broadcast progress of job %s: %s", payload.get("id"), exc, exc_info=not expected)
