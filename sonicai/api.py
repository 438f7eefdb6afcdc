"""Shared pieces of the REST API: routes, object lookup by owner, the schema hook (the error format is
sonicai.exceptions)."""

from __future__ import annotations

import uuid

from django.http import Http404
from django.urls import re_path
from rest_framework import serializers, status
from rest_framework.exceptions import APIException


class NumberField(serializers.FloatField):
    """A number in a request. DRF's FloatField reads true as 1.0 ("semitones": true shifted a semitone), which
    no musician meant: a JSON true or false is refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """A whole number in a request; true and false refused, as for NumberField."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ChoiceField(serializers.ChoiceField):
    """One of a list in a request. DRF's refusal ('"kazoo" is not a valid choice.') does not say what is; this one
    lists the choices."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(
                f'"{data}" is not one of the choices: {", ".join(str(c) for c in self.choices)}.') from None


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


#: Error answers every API operation can give, and when: documented once here instead of on
#: each view, so that the schema lists what clients really receive (schemathesis checks it).
ERROR_RESPONSES = {
    "400": "The request is not valid; the body says which field and why.",
    "401": "Not signed in: send `Authorization: Bearer <access token>` (or a session cookie).",
    "404": "No such object of yours (other users' objects are never shown), or no such page of results.",
    "409": "The object is not in a state that allows this (for example a job that has already ended).",
    "413": "The upload is larger than the limit.",
    "415": "The upload is not sent as multipart/form-data with the file in the field `file`.",
    "429": "Too many requests (or failed sign-ins) from this client; wait and try again (see Retry-After).",
    "503": "The job queue (Redis) is not answering; try again in a few seconds (see Retry-After).",
}
_ERROR_SCHEMA = {
    "type": "object",
    "description": "`{\"detail\": sentence}`, or for invalid fields `{field: [sentence, ...]}`.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
#: Operations that need no sign-in (refresh answers 401 for a token that is not valid).
_PUBLIC = ("/api/v1/auth/register", "/api/v1/auth/login")


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: add the error answers above to each operation
    where they can occur."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = {"429", "503"}
            params = operation.get("parameters", [])
            if method != "get" or operation.get("requestBody") or any(p.get("in") == "query" for p in params):
                codes.add("400")
            if path not in _PUBLIC:
                codes.add("401")
            if "{" in path or any(p.get("name") == "page" for p in params) or \
                    (method == "post" and path not in _PUBLIC and not path.startswith("/api/v1/auth/")):
                codes.add("404")  # an object in the path or the body that is not the user's
            if "{" in path and (method == "delete" or path.endswith(("/download", "/features", "/waveform",
                                                                      "/spectrogram", "/retry", "/results"))):
                codes.add("409")
            if path.endswith("/upload"):
                codes.update(("413", "415"))
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(code, {"description": ERROR_RESPONSES[code], "content": error})
    return result
