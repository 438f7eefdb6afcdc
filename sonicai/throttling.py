"""API rate limits: reads (job status, library) and writes (work started) counted apart.

A client polling a job twice a second makes 120 reads a minute, while a minute's worth
of uploads and jobs is a few requests; one limit for both either throttled pollers
or let writes flood the queue.
"""

from __future__ import annotations

from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import UserRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class UserReadThrottle(UserRateThrottle):
    """Counted in this process's memory: a read costs milliseconds, and a shared counter
    would add two Redis round trips to every job-status poll for no protection worth it."""

    scope = "user_read"
    cache = LocMemCache("sonicai-read-throttle", {"TIMEOUT": 300, "OPTIONS": {"MAX_ENTRIES": 10000}})

    def allow_request(self, request, view):
        return request.method not in SAFE_METHODS or super().allow_request(request, view)


class UserWriteThrottle(UserRateThrottle):
    scope = "user"

    def allow_request(self, request, view):
        return request.method in SAFE_METHODS or super().allow_request(request, view)


def throttled_posts(scope: str):
    """Apply the API's ``scope`` rate (per client address) to the POSTs of a page view,
    e.g. the sign-in and registration forms; over the rate the page answers 429."""
    import functools

    from django.shortcuts import render
    from rest_framework.throttling import ScopedRateThrottle

    class _View:
        throttle_scope = scope

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                throttle = ScopedRateThrottle()
                if not throttle.allow_request(request, _View()):
                    wait = max(1, round(throttle.wait() or 60))
                    response = render(request, "429.html", {"retry_after": wait}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
