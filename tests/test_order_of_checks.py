"""The order of checks on every endpoint: authentication first. An endpoint that needs a login
answers an anonymous or bad-token call 401 whatever its body — empty, malformed or valid — before
it looks at the body (400, 422) or at the object in the path (404)."""

from __future__ import annotations

import re

import pytest

OPENAPI_PATH = re.compile(r"\{[^}]+\}")


def secured_operations(api) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation the OpenAPI document marks as needing a token."""
    spec = api.client.get("/api/openapi.json").get_json()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete") and operation.get("security"):
                found.append((method.upper(), OPENAPI_PATH.sub("1", path)))
    return sorted(found)


BODIES = {
    "empty": {"data": b""},
    "malformed": {"data": b'{"name": ', "content_type": "application/json"},
    "not an object": {"data": b"[1, 2]", "content_type": "application/json"},
    "plausible": {"json": {"name": "Vải thiều", "reason": "x", "quantity": 1}},
}


@pytest.mark.parametrize("body", sorted(BODIES))
def test_every_endpoint_that_needs_a_login_answers_401_first(api, body):
    operations = secured_operations(api)
    assert len(operations) > 30  # the walk really covers the API
    wrong = {}
    for method, path in operations:
        for token in (None, "not-a-real-token"):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = api.client.open(path, method=method, headers=headers, **BODIES[body])
            if response.status_code != 401 or response.get_json()["error"]["code"] != (
                "unauthorized"
            ):
                wrong[(method, path, token)] = response.status_code
    assert wrong == {}


def test_a_logged_in_non_admin_gets_403_before_any_validation(api):
    from tests.factories import new_user

    buyer = new_user(api)
    for path in ("/coops", "/categories"):
        response = buyer.api.post(path, json={})
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden"


def test_an_object_of_another_co_op_is_404_before_its_body_is_read(app, api):
    """An admin of co-op A naming a delivery method of co-op B under A's path: 404, whatever the
    body (a 422 would tell that the method exists and what it accepts)."""
    from tests.factories import build_world

    world = build_world(app, api)
    theirs = world.other_coop_admin.api.post(
        f"/coops/{world.other_coop['id']}/delivery-methods",
        {
            "kind": "delivery",
            "name": "Xe lạnh",
            "base_fee_vnd": 20_000,
            "per_kg_fee_vnd": 3_000,
            "lead_time_hours": 24,
            "cold_chain": True,
        },
    ).get_json()
    path = f"/coops/{world.coop['id']}/delivery-methods/{theirs['id']}"
    for body in ({"base_fee_vnd": "nhiều"}, {"lead_time_hours": -1}, {"base_fee_vnd": 1}):
        response = world.coop_admin.api.call("PATCH", path, json=body)
        assert response.status_code == 404, body
        assert response.get_json()["error"]["code"] == "not_found"
    assert world.coop_admin.api.call("DELETE", path).status_code == 404
    listed = api.get(f"/coops/{world.other_coop['id']}/delivery-methods").get_json()["items"]
    assert [m["base_fee_vnd"] for m in listed] == [20_000]
