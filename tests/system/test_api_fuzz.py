"""schemathesis against the published OpenAPI schema, in-process: generated requests to
every operation, signed in, must never get a 5xx, and every answer must match the
schema (documented status code, content type, body shape). Bounded to about a minute.

The operations are driven with schemathesis' hypothesis strategies directly: its pytest
plugin (4.32) does not run under pytest 9."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """schemathesis calls the WSGI app directly, so Django's end-of-request
    close_old_connections runs; inside the test's transaction it would close the
    PostgreSQL connection (SQLite in memory ignores it). Django's own test client
    disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)

#: Examples per operation: about forty operations, about a minute in all on this machine
#: (SONICAI_FUZZ_EXAMPLES=500 for a longer hunt).
EXAMPLES = int(os.environ.get("SONICAI_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_server_errors_and_answers_match_the_schema(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    from sonicai.wsgi import application

    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
