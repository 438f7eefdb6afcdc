"""The REST API's error format: the apps' domain errors answered as clear 4xx/5xx JSON (``{"detail": ...}``).

It sits above the apps, like the URL configuration: it names their exceptions so they need not know DRF.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.lockout import SignInLocked
from audio.jobs import JobError, QueueUnavailable
from audio.storage import StorageBusy
from audio.validation import UploadRejected, UploadTooLarge
from sonicai.middleware import QUEUE_DOWN, is_api_request, outage_reason


def exception_handler(exc, context):
    """DRF's handler, plus our domain errors as clear 4xx/5xx JSON answers."""
    if isinstance(exc, UploadTooLarge):
        return Response({"detail": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, (UploadRejected, JobError, ValueError)) and not isinstance(exc, APIException):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SignInLocked):
        return Response({"detail": str(exc)}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                        headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, StorageBusy):
        return Response({"detail": str(exc)}, status=503, headers={"Retry-After": "5"})
    if isinstance(exc, QueueUnavailable):
        return Response({"detail": QUEUE_DOWN}, status=503, headers={"Retry-After": "5"})
    if reason := outage_reason(exc):
        return Response({"detail": reason}, status=503, headers={"Retry-After": "5"})
    response = drf_exception_handler(exc, context)
    if isinstance(exc, NotAuthenticated) and response is not None:
        # A page whose session ended says so in words and offers the sign-in (studio.js reads the code).
        response.data = {"detail": SIGNED_OUT, "code": "signed_out"}
    return response


SIGNED_OUT = "You are not signed in (or your session has ended). Log in, then try once more."


def not_found(request, exception):
    """Django's 404 (a path no URL matches): a JSON answer under /api/, the studio's page elsewhere."""
    if is_api_request(request):
        return JsonResponse({"detail": f"No such API path: {request.path}. The API's paths are listed at /docs."},
                            status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 (an error no handler answered): a JSON answer under /api/, the studio's page elsewhere."""
    if is_api_request(request):
        return JsonResponse({"detail": "The studio hit an internal error; it is in the log. Try again in a moment."},
                            status=500)
    return defaults.server_error(request)
