"""Pushing job progress to WebSocket listeners through the Channels layer."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def job_group(job_id) -> str:
    return f"job_{job_id}"


def broadcast_job(payload: dict) -> None:
    """Send a job's state to everyone watching it. Never fails the caller: progress
    messages are a convenience, the database row is the truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(job_group(payload["id"]), {"type": "job.update", "job": payload})
    except Exception:  # a broken channel layer must not fail the job itself
        log.warning("could not broadcast progress of job %s", payload.get("id"), exc_info=True)
