"""The write and sign-in limits hold however a client sends its requests."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from sonicai.throttling import UserWriteThrottle


def test_requests_sent_at_once_from_many_threads_share_one_count(monkeypatch):
    """1,500 writes from 16 threads all passed a 600-a-minute limit (band probe): DRF read each client's history,
    appended and wrote it back, so requests arriving together all saw the same, short, history."""
    from django.core.cache.backends.locmem import LocMemCache

    cache = LocMemCache("throttle-test", {})
    slow_get = cache.get

    def get(*args, **kwargs):  # a cache across the network: the answer takes a while to come back
        value = slow_get(*args, **kwargs)
        time.sleep(0.002)
        return value

    monkeypatch.setattr(cache, "get", get)
    monkeypatch.setattr(UserWriteThrottle, "cache", cache)
    monkeypatch.setattr(UserWriteThrottle, "THROTTLE_RATES", {"user": "50/minute"})
    request = SimpleNamespace(method="POST", user=SimpleNamespace(is_authenticated=True, pk="u1"), META={})
    allowed, lock = [], threading.Lock()

    def client():
        for _ in range(20):
            ok = UserWriteThrottle().allow_request(request, None)
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 320 and sum(allowed) == 50, sum(allowed)


@pytest.mark.parametrize("rate", ["3/minute"])
def test_a_refused_request_says_when_to_come_back_and_is_not_counted(monkeypatch, rate):
    from django.core.cache.backends.locmem import LocMemCache

    monkeypatch.setattr(UserWriteThrottle, "cache", LocMemCache("throttle-test-2", {}))
    monkeypatch.setattr(UserWriteThrottle, "THROTTLE_RATES", {"user": rate})
    request = SimpleNamespace(method="POST", user=SimpleNamespace(is_authenticated=True, pk="u2"), META={})
    throttle = UserWriteThrottle()
    assert [throttle.allow_request(request, None) for _ in range(5)] == [True, True, True, False, False]
    assert 0 < throttle.wait() <= 60
    reads = SimpleNamespace(method="GET", user=request.user, META={})
    assert throttle.allow_request(reads, None)  # reads are counted apart
