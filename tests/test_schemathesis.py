"""Property-based checks of every operation in /api/openapi.json (schemathesis, bounded examples):
no 5xx, every status code documented, every response body matching its documented schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.bank_transfer_helpers import BANK_CONFIG
from tests.factories import build_world

CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)


@pytest.fixture
def app_config(app_config, stripe_config):
    # Card payments, bank transfers and the webhooks configured (against localstripe): without
    # them they answer 503 by design, which this suite counts as a server error.
    return {**app_config, **stripe_config, **BANK_CONFIG}


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def world(app, api):
    return build_world(app, api)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_operation_as_anonymous(case):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_operation_as_coop_admin(case, world):
    # A co-op admin can reach the most routes; ids in the world are small, so generated ids hit.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.coop_admin.token}"}, checks=CHECKS
    )
