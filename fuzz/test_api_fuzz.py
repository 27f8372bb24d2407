"""Schemathesis over our own OpenAPI schema, in-process, as a signed-in owner.

Every operation gets `FUZZ_EXAMPLES` generated requests (default 25): none may answer 5xx and
every response must match the schema (status codes, content type, body shape).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
MAINTENANCE_TOKEN = "fuzz-maintenance-token"  # noqa: S105 - only for this in-process run
# What we promise: never a 5xx, and every answer is the documented one. (Schema-valid input
# may still break a business rule, e.g. a duplicate table number, so it may be a 4xx.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app closes 'old' connections at the end of each request, which would close the
    test's own transaction on PostgreSQL; Django's test client unhooks the same handler."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def demo_owner(db):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return get_user_model().objects.get(username="owner")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_and_matches_schema(case, demo_owner, settings):
    from merchants.api.authentication import staff_token_create

    settings.MAINTENANCE_TOKEN = MAINTENANCE_TOKEN
    # A fresh token per case: a generated call to the logout endpoint revokes the one it used.
    # Kiosk and maintenance endpoints read only their own headers (the demo kiosk's key).
    headers = {
        "Authorization": f"Token {staff_token_create(user=demo_owner)}",
        "X-Kiosk-Key": "demo-kiosk-PB-001",
        "X-Maintenance-Token": MAINTENANCE_TOKEN,
    }
    case.call_and_validate(headers=headers, checks=CHECKS)
