"""Property-based checks of every operation in /api/openapi.json (schemathesis, bounded examples):
no 5xx, every status code documented, every response body matching its documented schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
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


# ---- hostile values: every operation, the server-error check ------------------------------------

# Integers of thousands of digits (4,000: what a JSON client can still write) and just beyond
# 64 bits; lone surrogates, NUL, superscript, Arabic-Indic and full-width digits in text.
HOSTILE_INTS = st.sampled_from([10**4000 - 1, -(10**4000), 2**63, -(2**63) - 1, 2**64])
HOSTILE_TEXT = st.sampled_from(["\ud800", "Vải\udfffthiều", "a\x00b", "²", "٣", "１２"])
HOSTILE_QUERY = st.sampled_from(["²", "٣", "-٣", "１２", "9" * 30, "1e3"])


def _hostile(value, text=HOSTILE_TEXT):
    """Each leaf of a generated value, or (as hypothesis chooses) a hostile one in its place."""
    if isinstance(value, bool) or value is None:
        return st.just(value)
    if isinstance(value, int):
        return st.one_of(st.just(value), HOSTILE_INTS)
    if isinstance(value, str):
        return st.one_of(st.just(value), text)
    if isinstance(value, list):
        return st.tuples(*(_hostile(v, text) for v in value)).map(list)
    if isinstance(value, dict):
        return st.fixed_dictionaries({k: _hostile(v, text) for k, v in value.items()})
    return st.just(value)


@pytest.fixture
def hostile_api_schema(app):
    hostile = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

    @hostile.hook
    def flatmap_body(context, body):
        if context.operation.path.endswith("/images"):
            # multipart: the client cannot even encode a lone surrogate into a file part
            return st.just(body)
        return _hostile(body)

    @hostile.hook
    def flatmap_query(context, query):
        if not query:
            return st.just(query)
        return st.fixed_dictionaries(
            {k: st.one_of(st.just(v), HOSTILE_QUERY) for k, v in query.items()}
        )

    return hostile


hostile_schema = schemathesis.pytest.from_fixture("hostile_api_schema")


@hostile_schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_operation_with_hostile_values_never_answers_500(case, world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.household.token}"}, checks=(not_a_server_error,)
    )
