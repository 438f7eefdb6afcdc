"""Errors from the services the studio depends on, as answers a musician can act on."""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

log = logging.getLogger(__name__)

QUEUE_DOWN = ("The studio's job queue (Redis) is not answering; nothing was lost. Try again in a few seconds; "
              "if it goes on, whoever runs the studio should look at Redis.")
DATABASE_DOWN = "The studio's database is not answering; nothing was lost. Try again in a minute."


def is_api_request(request) -> bool:
    """The REST API answers JSON, errors included; everything else is a page."""
    return request.path.startswith("/api/")


STORAGE_DOWN = ("The studio's file storage is not answering; nothing was lost. "
                "Try again in a minute.")


def is_storage_outage(exc: BaseException) -> bool:
    """The object storage (S3) cannot be reached or does not answer in time."""
    from botocore.exceptions import ConnectionError as StorageConnectionError
    from botocore.exceptions import HTTPClientError  # read timeouts, connections closed under a request

    return isinstance(exc, (StorageConnectionError, HTTPClientError))


def outage_reason(exc: BaseException) -> str | None:
    """What a musician is told when ``exc`` says a service the studio depends on is away, else None."""
    import redis
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return QUEUE_DOWN
    if isinstance(exc, (OperationalError, InterfaceError)):  # a restart, a failover, a dropped connection
        return DATABASE_DOWN
    return STORAGE_DOWN if is_storage_outage(exc) else None


class ServiceUnavailableMiddleware(MiddlewareMixin):
    """A dependency that stops answering is a 503 with a reason and a Retry-After, not a 500.

    Deliberately synchronous and innermost: under ASGI a middleware that can run either way
    follows the one inside it, so this one keeps the whole chain synchronous, run on the
    request's thread in one go. Async-capable middleware in Django's mixin style instead hops
    to a thread for every hook (py-spy, 100 job-status reads a second: 20 % more CPU per
    request)."""

    async_capable = False

    def process_exception(self, request, exc):
        reason = outage_reason(exc)
        if reason is None:
            return None
        log.warning("%s %s: %s", request.method, request.path, exc)
        if is_api_request(request):
            response = JsonResponse({"detail": reason}, status=503)
        else:
            response = render(request, "503.html", {"reason": reason}, status=503)
        response["Retry-After"] = "5"
        return response


class PrivatePagesMiddleware(MiddlewareMixin):
    """A signed-in musician's pages are never kept for the Back button: after deleting a song, Back showed its
    page again from the browser's cache, playing and offering to rename a song that no longer existed (phone and
    keyboard probe), and after signing out, Back showed the library to whoever used the machine next.
    Synchronous, like the middleware above, so the chain stays one hop."""

    async_capable = False

    def process_response(self, request, response):
        from django.utils.cache import add_never_cache_headers

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and response.get("Content-Type", "").startswith("text/html") \
                and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
