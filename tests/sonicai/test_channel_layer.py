"""The WebSocket's channel layer on Redis stays connected while a job is silent: its
blocking read (5 s) used to hit redis-py's own 5 s read timeout and drop the socket."""

import asyncio

import pytest
from channels.layers import get_channel_layer

pytestmark = pytest.mark.services


def test_an_idle_channel_outlasts_the_redis_read_timeout_and_then_gets_its_message():
    layer = get_channel_layer()
    if "Redis" not in type(layer).__name__:
        pytest.skip("the in-memory channel layer of the embedded test pass has no read timeout")

    async def scenario():
        channel = await layer.new_channel()
        with pytest.raises(asyncio.TimeoutError):  # not redis' TimeoutError: the read waited quietly
            await asyncio.wait_for(layer.receive(channel), timeout=8)
        await layer.send(channel, {"type": "job.update", "n": 1})
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    assert asyncio.run(scenario())["n"] == 1
