"""Job progress over the /ws/jobs/{id} WebSocket (Channels), with ownership checks."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from audio.jobs import JobContext, job_payload
from audio.models import ProcessingJob
from sonicai.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@sync_to_async
def token(user):
    return str(RefreshToken.for_user(user).access_token)


@sync_to_async
def make_job(user):
    return ProcessingJob.objects.create(user=user, job_type="analysis", status="processing")


@sync_to_async
def advance(job, pct, stage):
    JobContext(job).progress(pct / 100, stage)


@pytest.mark.asyncio
async def test_progress_is_pushed_to_the_owner(user):
    job = await make_job(user)
    comm = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/?token={await token(user)}")
    connected, _ = await comm.connect()
    assert connected
    first = await comm.receive_json_from(timeout=5)
    assert first["id"] == str(job.id) and first["status"] == "processing"
    await advance(job, 35, "separating")
    msg = await comm.receive_json_from(timeout=5)
    assert msg["progress"] == 35 and msg["stage"] == "separating"
    await comm.disconnect()


@pytest.mark.asyncio
async def test_other_users_and_anonymous_are_refused(user, other_user):
    job = await make_job(user)
    for path in (f"/ws/jobs/{job.id}/?token={await token(other_user)}", f"/ws/jobs/{job.id}/",
                 "/ws/jobs/not-a-uuid/?token=" + await token(user), f"/ws/jobs/{job.id}/?token=garbage",
                 "/ws/jobs/../../x?token=" + await token(user), "/ws/elsewhere"):
        comm = WebsocketCommunicator(application, path)
        await comm.connect()
        out = await comm.receive_output(timeout=5)
        assert out == {"type": "websocket.close", "code": 4404}, path
        await comm.disconnect()


@pytest.mark.asyncio
async def test_cross_site_origin_is_refused(user):
    job = await make_job(user)
    comm = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/?token={await token(user)}",
                                 headers=[(b"origin", b"https://evil.example")])
    connected, _ = await comm.connect()
    assert not connected


def test_payload_has_contract_fields(user):
    job = ProcessingJob.objects.create(user=user, job_type="analysis")
    assert {"id", "job_type", "status", "progress", "error_message"} <= set(job_payload(job))


@pytest.mark.asyncio
async def test_live_updates_down_closes_with_try_again_not_a_500(user, monkeypatch):
    import channels.consumer
    from channels.layers import InMemoryChannelLayer
    from redis.exceptions import ConnectionError as RedisConnectionError

    job = await make_job(user)
    calls = []

    class DownLayer(InMemoryChannelLayer):  # a channel layer whose Redis is gone (no real connection to leave open)
        async def group_add(self, group, channel):
            calls.append(group)
            raise RedisConnectionError("Connection closed by server.")

    monkeypatch.setattr(channels.consumer, "get_channel_layer", lambda alias=None: DownLayer())
    comm = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/?token={await token(user)}")
    await comm.connect()
    out = await comm.receive_output(timeout=5)
    assert out == {"type": "websocket.close", "code": 4503}  # the studio's pages reconnect on it
    assert len(calls) == 2  # one more try first: a pooled connection from before a Redis restart fails once
    await comm.disconnect()


@pytest.mark.asyncio
async def test_redis_lost_under_an_open_socket_closes_it_with_try_again_and_no_traceback(user, monkeypatch, caplog):
    """Open sockets closed with 1011 and "Exception inside application" when Redis died (operator probe)."""
    import asyncio

    import channels.consumer
    from channels.layers import InMemoryChannelLayer
    from redis.exceptions import ConnectionError as RedisConnectionError

    job = await make_job(user)
    gone = asyncio.Event()

    class DyingLayer(InMemoryChannelLayer):
        async def receive(self, channel):
            await gone.wait()
            raise RedisConnectionError("Connection closed by server.")

    monkeypatch.setattr(channels.consumer, "get_channel_layer", lambda alias=None: DyingLayer())
    comm = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/?token={await token(user)}")
    assert (await comm.connect())[0]
    await comm.receive_json_from(timeout=5)
    gone.set()
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4503}
    await comm.wait(timeout=5)  # the application ended without raising
    assert "Exception inside application" not in caplog.text


@pytest.mark.asyncio
async def test_a_new_password_closes_the_live_updates_of_other_sign_ins(user):
    job = await make_job(user)
    old_token = await token(user)
    comm = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/?token={old_token}")
    assert (await comm.connect())[0]
    await comm.receive_json_from(timeout=5)

    @sync_to_async
    def change_password():
        user.set_password("a-brand-new-tune-88")
        user.save()

    await change_password()
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await comm.disconnect()
    # The client reconnects (on any code but 4404): a token issued under the old password is refused now,
    # a sign-in under the new one gets in.
    for raw, allowed in ((old_token, False), (await token(user), True)):
        again = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/?token={raw}")
        await again.connect()
        first = await again.receive_output(timeout=5)
        assert (first["type"] == "websocket.send") is allowed, first
        await again.disconnect()
