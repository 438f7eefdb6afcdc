"""A Redis cache that keeps the studio answering while Redis does not.

The cache holds rate-limit and sign-in counters. When it was Django's plain
RedisCache, a Redis restart turned every API request into a 500 within 0.1 s, job
status reads included, which need no Redis at all. Here a failed call is answered
from this process's memory instead (counters then apply per process), and Redis is
left alone for a few seconds before the next try, so requests do not each wait for a
dead server.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

#: Seconds to use memory only after Redis failed, before Redis is tried again.
RETRY_AFTER = 5.0

_FAIL_SOFT = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many",
              "clear")


_clients: dict[tuple, object] = {}
_state = {"down_until": 0.0}


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        # One memory for every instance: Django makes a cache object per thread, and under
        # ASGI every request runs in a thread of its own.
        self._memory = LocMemCache("sonicai-fail-soft", {"TIMEOUT": params.get("TIMEOUT", 300)})

    @property
    def _cache(self):
        """One Redis client (and connection pool) per process. Django's own is per cache
        object, so under ASGI each request opened a new Redis connection."""
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        if key not in _clients:
            _clients[key] = self._class(self._servers, **self._options)
        return _clients[key]

    @property
    def _down_until(self) -> float:
        return _state["down_until"]

    @_down_until.setter
    def _down_until(self, value: float) -> None:
        _state["down_until"] = value

    def _call(self, name: str, *args, **kwargs):
        import redis

        if time.monotonic() >= self._down_until:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
                if not self._down_until:
                    log.warning("Redis cache unavailable (%s); counting in memory until it answers", exc)
                self._down_until = time.monotonic() + RETRY_AFTER
            else:
                if self._down_until:
                    log.warning("Redis cache answers again")
                    self._down_until = 0.0
                return result
        return getattr(self._memory, name)(*args, **kwargs)


def _fail_soft(name: str):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _FAIL_SOFT:
    setattr(FailSoftRedisCache, _name, _fail_soft(_name))


def count_up(cache, key: str, timeout: float) -> int:
    """Add one to the counter ``key`` (made with ``timeout`` if new) and return its value, atomically where the
    cache is Redis (INCR): the sign-in lockout and the write limits count requests that arrive together."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def count_down(cache, key: str) -> None:
    """Take one back from the counter ``key`` (nothing when it has expired meanwhile)."""
    try:
        cache.decr(key)
    except ValueError:
        pass
