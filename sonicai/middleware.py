"""Errors from the services the studio depends on, as answers a musician can act on."""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

log = logging.getLogger(__name__)

QUEUE_DOWN = ("The studio's job queue (Redis) is not answering; it is being restarted. "
              "Try again in a few seconds.")


def is_api_request(request) -> bool:
    """The REST API answers JSON, errors included; everything else is a page."""
    return request.path.startswith("/api/")


def is_service_outage(exc: BaseException) -> bool:
    """Redis (the job queue and live progress) does not answer."""
    import redis

    return isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))


class ServiceUnavailableMiddleware(MiddlewareMixin):
    """A dependency that stops answering is a 503 with a reason and a Retry-After, not a 500.

    Deliberately synchronous and innermost: under ASGI a middleware that can run either way
    follows the one inside it, so this one keeps the whole chain synchronous, run on the
    request's thread in one go. Async-capable middleware in Django's mixin style instead hops
    to a thread for every hook (py-spy, 100 job-status reads a second: 20 % more CPU per
    request)."""

    async_capable = False

    def process_exception(self, request, exc):
        if not is_service_outage(exc):
            return None
        log.warning("%s %s: %s", request.method, request.path, exc)
        if is_api_request(request):
            response = JsonResponse({"detail": QUEUE_DOWN}, status=503)
        else:
            response = render(request, "503.html", {"reason": QUEUE_DOWN}, status=503)
        response["Retry-After"] = "5"
        return response
