"""API rate limits: reads (job status, library) and writes (work started) counted apart.

A client polling a job twice a second makes 120 reads a minute, while a minute's worth
of uploads and jobs is a few requests; one limit for both either throttled pollers
or let writes flood the queue.
"""

from __future__ import annotations

from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

from sonicai.cache import count_down, count_up

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CountedRateThrottle(SimpleRateThrottle):
    """DRF's throttle with a count the cache keeps atomically (Redis INCR).

    DRF keeps each client's request times in one cache entry, read, appended to and written back: requests that
    arrive together all read the same history, so 1,500 writes sent from 16 threads all passed a 600-a-minute
    limit, and concurrent sign-ins passed theirs (band probe). Here each window's count is one counter that
    every request increments, and the rate is estimated over a sliding window from this window's count and the
    last one's share of it (the "sliding window counter" of Cloudflare's and nginx's limiters)."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        counter = f"{self.key}:{window}"
        count = count_up(self.cache, counter, 2 * self.duration)
        elapsed = now - window * self.duration
        previous = self.cache.get(f"{self.key}:{window - 1}", 0)
        if previous * (1 - elapsed / self.duration) + count <= self.num_requests:
            return True
        count_down(self.cache, counter)  # a refused request is not one the client made use of
        self._wait = self.duration - elapsed
        return False

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class AuthRateThrottle(ScopedRateThrottle, CountedRateThrottle):
    """Sign-ins and registrations per client address (the ``auth`` rate)."""


class UserReadThrottle(UserRateThrottle):
    """Counted in this process's memory: a read costs milliseconds, and a shared counter
    would add two Redis round trips to every job-status poll for no protection worth it."""

    scope = "user_read"
    cache = LocMemCache("sonicai-read-throttle", {"TIMEOUT": 300, "OPTIONS": {"MAX_ENTRIES": 10000}})

    def allow_request(self, request, view):
        return request.method not in SAFE_METHODS or super().allow_request(request, view)


class UserWriteThrottle(CountedRateThrottle, UserRateThrottle):
    scope = "user"

    def allow_request(self, request, view):
        return request.method in SAFE_METHODS or super().allow_request(request, view)


def throttled_posts(scope: str):
    """Apply the API's ``scope`` rate (per client address) to the POSTs of a page view,
    e.g. the sign-in and registration forms; over the rate the page answers 429."""
    import functools

    from django.shortcuts import render

    class _View:
        throttle_scope = scope

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                throttle = AuthRateThrottle()
                if not throttle.allow_request(request, _View()):
                    wait = max(1, round(throttle.wait() or 60))
                    response = render(request, "429.html", {"retry_after": wait}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
