"""A busy worker leaves the jobs it cannot start yet on the queue, where an idle worker takes them."""

from __future__ import annotations

import os
import threading
import time
import uuid

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker

from sonicai.broker import PrefetchNoMoreThanThreads

pytestmark = pytest.mark.services


@pytest.fixture
def redis_broker():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("needs a real Redis (TEST_REDIS_URL), as the scaled pass of `make test` has")
    broker = RedisBroker(url=url, namespace=f"prefetch-test-{uuid.uuid4().hex[:8]}")
    broker.add_middleware(PrefetchNoMoreThanThreads())
    yield broker
    for key in broker.client.keys(f"{broker.namespace}:*"):
        broker.client.delete(key)
    broker.close()


def test_a_busy_worker_does_not_hold_the_next_job(redis_broker, monkeypatch):
    """With Dramatiq's default a one-thread worker running a long job had already taken the next one, which
    then waited for it while another worker stood idle (the scaled-out probe: 11 s with short jobs)."""
    monkeypatch.delenv("dramatiq_queue_prefetch", raising=False)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def job(name: str) -> None:
        ran.append(name)
        started.set()
        release.wait(30)

    actor = dramatiq.actor(job, broker=redis_broker, queue_name="default", actor_name=f"job_{uuid.uuid4().hex}",
                           max_retries=0)
    worker = dramatiq.Worker(redis_broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        actor.send("long")
        assert started.wait(10)
        actor.send("next")
        time.sleep(2)  # the consumer fetches within its 100-ms timeout when it has room
        waiting = redis_broker.client.lrange(f"{redis_broker.namespace}:default", 0, -1)
        assert len(waiting) == 1, "the busy worker took the next job off the queue"
        assert worker.queue_prefetch == 1
        release.set()
        deadline = time.monotonic() + 10
        while len(ran) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ran == ["long", "next"]  # and it still runs it once it is free
    finally:
        release.set()
        worker.stop(timeout=5000)


def test_an_operators_own_prefetch_is_kept(monkeypatch):
    from dramatiq.brokers.stub import StubBroker

    broker = StubBroker()
    broker.add_middleware(PrefetchNoMoreThanThreads())
    monkeypatch.setenv("dramatiq_queue_prefetch", "5")
    worker = dramatiq.Worker(broker, worker_threads=2)
    broker.emit_before("worker_boot", worker)
    assert worker.queue_prefetch == 4  # what Dramatiq made of it (it reads the variable at import), untouched
    monkeypatch.delenv("dramatiq_queue_prefetch")
    broker.emit_before("worker_boot", worker)
    assert worker.queue_prefetch == 2
