"""Moderation cannot be bypassed: a paused listing goes back to review when its text changes, and
nobody approves, rejects or verifies their own household, listings or certificates (separation
of duties), through the API or the co-op console. Also: the public seller view names no account,
and a payment method id with a trailing newline is refused."""

from __future__ import annotations

import pytest

from tests.factories import (
    _ok,
    build_world,
    household_body,
    new_coop_admin,
    new_product,
    product_body,
)
from tests.orders_helpers import order_body
from tests.web import browser

CERT = {
    "scheme": "vietgap",
    "certificate_no": "VG-31-0042",
    "issued_by": "Trung tâm Chứng nhận Phù hợp",
    "valid_from": "2026-01-01",
    "valid_until": "2028-12-31",
}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def searchable(api, query: str) -> list[int]:
    return [p["id"] for p in api.get(f"/search?q={query}").get_json()["items"]]


def test_editing_a_paused_listing_sends_it_back_to_review_and_resume_is_refused(api, world):
    product = new_product(world.household, world.coop_admin, name="Vải thiều sớm")
    owner = world.household.api
    assert owner.post(f"/products/{product['id']}/pause").get_json()["status"] == "paused"

    r = owner.patch(
        f"/products/{product['id']}",
        {"name": "Thuốc giảm cân thần kỳ", "images": ["https://example.vn/quang-cao.jpg"]},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "pending_review"

    r = owner.post(f"/products/{product['id']}/resume")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    assert api.get(f"/products/{product['id']}").status_code == 404
    assert product["id"] not in searchable(api, "thuoc")
    queue = world.coop_admin.api.get(f"/coops/{world.coop['id']}/products?status=pending_review")
    assert [p["id"] for p in queue.get_json()["items"]] == [product["id"]]


def test_price_and_stock_edits_of_a_paused_listing_need_no_review(world):
    product = new_product(world.household, world.coop_admin)
    owner = world.household.api
    owner.post(f"/products/{product['id']}/pause")
    r = owner.patch(f"/products/{product['id']}", {"unit_price_vnd": 50_000, "stock_quantity": 7})
    assert r.status_code == 200 and r.get_json()["status"] == "paused"
    assert owner.post(f"/products/{product['id']}/resume").get_json()["status"] == "active"


@pytest.fixture
def admin_household(api, world):
    """A co-op admin who also sells: their household is in the co-op they moderate."""
    actor = new_coop_admin(api, world.admin, world.coop, "Vũ Thị Lan")
    seller = _ok(actor.api.post("/sellers", household_body(world.coop["id"])), 201)
    _ok(actor.api.post(f"/sellers/{seller['id']}/submit"), 200)
    actor.seller = seller
    return actor


def test_a_coop_admin_cannot_approve_or_reject_their_own_household(world, admin_household):
    sid = admin_household.seller["id"]
    for action, body in (("approve", None), ("reject", {"reason": "Tự từ chối"})):
        r = admin_household.api.post(f"/sellers/{sid}/{action}", body)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert admin_household.api.get(f"/sellers/{sid}").get_json()["status"] == "submitted"
    # Another admin of the co-op does it, and so could a platform admin.
    r = world.coop_admin.api.post(f"/sellers/{sid}/approve")
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert admin_household.api.post(f"/sellers/{sid}/suspend", {"reason": "x"}).status_code == 403


def test_a_coop_admin_cannot_approve_their_own_listing_or_verify_their_own_certificate(
    world, admin_household
):
    sid = admin_household.seller["id"]
    _ok(world.admin.api.post(f"/sellers/{sid}/approve"), 200)
    product = _ok(admin_household.api.post("/products", product_body()), 201)
    r = admin_household.api.post(f"/products/{product['id']}/approve")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    r = admin_household.api.post(f"/products/{product['id']}/reject", {"reason": "x"})
    assert r.status_code == 403
    assert admin_household.api.get(f"/products/{product['id']}").get_json()["status"] == (
        "pending_review"
    )
    assert world.coop_admin.api.post(f"/products/{product['id']}/approve").status_code == 200

    cert = _ok(admin_household.api.post(f"/sellers/{sid}/certifications", CERT), 201)
    r = admin_household.api.post(f"/sellers/{sid}/certifications/{cert['id']}/verify")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    r = world.admin.api.post(f"/sellers/{sid}/certifications/{cert['id']}/verify")
    assert r.status_code == 200 and r.get_json()["verified"] is True


def test_the_coop_console_refuses_self_moderation_too(app, world, admin_household):
    sid = admin_household.seller["id"]
    page = browser(app, admin_household.user["email"])
    r = page.post(f"/coop/households/{sid}/moderate", {"action": "approve"})
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert admin_household.api.get(f"/sellers/{sid}").get_json()["status"] == "submitted"

    _ok(world.coop_admin.api.post(f"/sellers/{sid}/approve"), 200)
    product = _ok(admin_household.api.post("/products", product_body()), 201)
    r = page.post(f"/coop/products/{product['id']}/moderate", {"action": "approve"})
    assert r.status_code == 403
    cert = _ok(admin_household.api.post(f"/sellers/{sid}/certifications", CERT), 201)
    r = page.post(f"/coop/{world.coop['id']}/households/{sid}/certifications/{cert['id']}/verify")
    assert r.status_code == 403
    assert admin_household.api.get(f"/products/{product['id']}").get_json()["status"] == (
        "pending_review"
    )
    assert (
        admin_household.api.get(f"/sellers/{sid}").get_json()["certifications"][0]["verified"]
        is False
    )


def test_the_public_seller_view_names_no_account(api, world):
    sid = world.household.seller["id"]
    public = api.get(f"/sellers/{sid}").get_json()
    assert "user_id" not in public and "phone" not in public
    assert "user_id" not in world.buyer.api.get(f"/sellers/{sid}").get_json()
    assert "user_id" not in world.other_coop_admin.api.get(f"/sellers/{sid}").get_json()
    for viewer in (world.household, world.coop_admin, world.admin):
        assert viewer.api.get(f"/sellers/{sid}").get_json()["user_id"] == world.household.id


def test_a_payment_method_id_with_a_trailing_newline_is_refused(world):
    product = new_product(world.household, world.coop_admin)
    r = world.buyer.api.post(
        "/orders", order_body([(product["id"], 1)], "card", card="pm_card_visa\n")
    )
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["details"] == {
        "card": {"payment_method_id": ["Not a payment method id."]}
    }
