"""Shared pieces of the REST API: routes, object lookup by owner, the schema hook (the error format is
sonicai.exceptions)."""

from __future__ import annotations

import uuid

from django.http import Http404
from django.urls import re_path
from rest_framework import status
from rest_framework.exceptions import APIException


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable."


def route(pattern: str, view, name: str):
    """A URL without a trailing slash (the contract's form) that also accepts one."""
    return re_path(rf"^{pattern}/?$", view, name=name)


def get_owned(queryset, user, pk):
    """The object with this id if it belongs to ``user``; otherwise 404, never 403,
    so ids of other users' objects cannot be probed."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        raise Http404 from None
    obj = queryset.filter(pk=pk, user=user).first()
    if obj is None:
        raise Http404
    return obj


def schema_paths_without_slash(endpoints):
    """drf-spectacular hook: document routes in the contract's form (no trailing slash);
    ``route`` accepts both."""
    return [(path.rstrip("/") if path != "/" else path, regex, method, cb) for path, regex, method, cb in endpoints]
