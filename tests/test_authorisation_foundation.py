"""Who may do what to a household, a co-op and its log: every endpoint of the foundation, as seven
kinds of caller. A fresh household is made for each call, so earlier calls cannot decide later ones."""

import datetime as dt

import pytest

from marketplace.extensions import db
from marketplace.sellers.models import Seller
from tests.factories import build_world, household_body, new_user

ROLES = (
    "anonymous",
    "buyer",
    "owner",
    "other_household",
    "coop_admin",
    "other_coop_admin",
    "admin",
)
CERT = {
    "scheme": "ocop",
    "certificate_no": "OCOP-31-2026-001",
    "issued_by": "UBND Thành phố Hải Phòng",
    "valid_from": "2026-01-01",
    "valid_until": (dt.date.today() + dt.timedelta(days=365)).isoformat(),
}
# (method, path, body, status of the household acted on, expected status per role in ROLES order)
MATRIX = [
    ("GET", "/coops/{coop}/audit", None, "approved", (401, 403, 403, 403, 200, 403, 200)),
    ("GET", "/coops/{coop}/sellers", None, "approved", (401, 403, 403, 403, 200, 403, 200)),
    (
        "POST",
        "/coops",
        {"name": "HTX Mới", "province_code": 68},
        "approved",
        (401, 403, 403, 403, 403, 403, 201),
    ),
    (
        "POST",
        "/coops/{coop}/admins",
        {"user_id": "{buyer_id}"},
        "approved",
        (401, 403, 403, 403, 403, 403, 204),
    ),
    (
        "DELETE",
        "/coops/{coop}/admins/{coop_admin_id}",
        None,
        "approved",
        (401, 403, 403, 403, 403, 403, 204),
    ),
    ("GET", "/sellers/{seller}", None, "draft", (404, 404, 200, 404, 200, 404, 200)),
    ("GET", "/sellers/{seller}", None, "approved", (200, 200, 200, 200, 200, 200, 200)),
    (
        "PATCH",
        "/sellers/{seller}",
        {"display_name": "Tên mới"},
        "approved",
        (401, 403, 200, 403, 200, 403, 200),
    ),
    (
        "PATCH",
        "/sellers/{seller}",
        {"display_name": "Tên mới"},
        "draft",
        (401, 404, 200, 404, 200, 404, 200),
    ),
    ("POST", "/sellers/{seller}/submit", None, "draft", (401, 404, 200, 404, 403, 404, 403)),
    ("POST", "/sellers/{seller}/approve", None, "submitted", (401, 404, 403, 404, 200, 404, 200)),
    (
        "POST",
        "/sellers/{seller}/reject",
        {"reason": "Thiếu"},
        "submitted",
        (401, 404, 403, 404, 200, 404, 200),
    ),
    (
        "POST",
        "/sellers/{seller}/suspend",
        {"reason": "Vi phạm"},
        "approved",
        (401, 403, 403, 403, 200, 403, 200),
    ),
    ("POST", "/sellers/{seller}/reinstate", None, "suspended", (401, 404, 403, 404, 200, 404, 200)),
    (
        "POST",
        "/sellers/{seller}/certifications",
        CERT,
        "approved",
        (401, 403, 201, 403, 201, 403, 201),
    ),
    # The owner registered itself: a claim code would take its account over (409 conflict).
    ("POST", "/sellers/{seller}/claim-code", None, "approved", (401, 403, 403, 403, 409, 403, 409)),
    (
        "POST",
        "/coops/{coop}/households",
        "household",
        "approved",
        (401, 403, 403, 403, 201, 403, 201),
    ),
    ("GET", "/me", None, "approved", (401, 200, 200, 200, 200, 200, 200)),
]


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def _fill(value, ids):
    if isinstance(value, str):
        for key, id_ in ids.items():
            value = value.replace("{" + key + "}", str(id_))
        return int(value) if value.isdigit() else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method, path, body, status, expected", MATRIX, ids=lambda v: str(v)[:40])
def test_matrix(app, api, world, method, path, body, status, expected):
    for role, want in zip(ROLES, expected, strict=True):
        owner = new_user(api, "Chủ hộ")
        seller = owner.api.post("/sellers", household_body(world.coop["id"])).get_json()
        with app.app_context():
            db.session.get(Seller, seller["id"]).status = status
            db.session.commit()
        tokens = {
            "anonymous": "",
            "buyer": world.buyer.token,
            "owner": owner.token,
            "other_household": world.other_household.token,
            "coop_admin": world.coop_admin.token,
            "other_coop_admin": world.other_coop_admin.token,
            "admin": world.admin.token,
        }
        ids = {
            "coop": world.coop["id"],
            "seller": seller["id"],
            "buyer_id": world.buyer.id,
            "coop_admin_id": world.coop_admin.id,
        }
        payload = (
            {**household_body(), "full_name": "Hộ mới"} if body == "household" else _fill(body, ids)
        )
        r = api.call(method, _fill(path, ids), json=payload, token=tokens[role])
        assert r.status_code == want, (role, method, path, r.status_code, r.get_json())
        if want >= 400:
            assert r.get_json()["error"]["code"] in (
                "unauthorized",
                "forbidden",
                "not_found",
                "conflict",
            )
        if (
            method == "DELETE" and r.status_code == 204
        ):  # put the co-op admin back for the next role
            world.admin.api.post(
                f"/coops/{world.coop['id']}/admins", {"user_id": world.coop_admin.id}
            )
