import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product, StockMovement
from marketplace.clock import today_vn
from marketplace.extensions import db
from tests.factories import build_world, new_product, product_body


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def test_household_lists_product_co_op_approves_and_buyers_see_it(api, world):
    r = world.household.api.post("/products", product_body())
    assert r.status_code == 201, r.get_json()
    product = r.get_json()
    assert product["status"] == "pending_review"
    assert product["unit_price_vnd"] == 45_000 and product["stock_quantity"] == 100
    assert product["category"] == {"slug": "vai-thieu", "name": "Vải thiều"}
    assert product["origin"] == {
        "province_code": 31,
        "province_name": "Thành phố Hải Phòng",
        "area": "Thanh Hà",
    }
    assert product["seller"] == {
        "id": world.household.seller["id"],
        "display_name": "Vườn vải nhà bác Lợi",
    }
    assert product["coop"]["id"] == world.coop["id"]
    assert api.get(f"/products/{product['id']}").status_code == 404
    assert api.get("/products").get_json()["total"] == 0

    r = world.coop_admin.api.post(f"/products/{product['id']}/approve")
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    assert api.get(f"/products/{product['id']}").status_code == 200
    listing = api.get("/products").get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == product["id"]
    audit = world.coop_admin.api.get(f"/coops/{world.coop['id']}/audit").get_json()["items"]
    assert audit[0]["action"] == "product.approve" and audit[0]["target_id"] == product["id"]
    assert audit[0]["actor"]["id"] == world.coop_admin.id


def test_opening_stock_is_a_recorded_movement(app, world):
    product = new_product(world.household, world.coop_admin, stock_quantity=40)
    moves = world.household.api.get(f"/products/{product['id']}/stock-movements").get_json()
    assert moves["total"] == 1
    assert moves["items"][0]["delta"] == 40 and moves["items"][0]["resulting_quantity"] == 40


def test_buyer_and_unapproved_household_cannot_list(api, world, app):
    from tests.factories import new_household

    assert world.buyer.api.post("/products", product_body()).status_code == 403
    draft = new_household(api, world.coop, status="submitted")
    r = draft.api.post("/products", product_body())
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert api.post("/products", product_body()).status_code == 401


@pytest.mark.parametrize(
    "field, value",
    [
        ("unit_price_vnd", 1.5),
        ("unit_price_vnd", 45000.0),
        ("unit_price_vnd", "45000"),
        ("unit_price_vnd", -1),
        ("unit_price_vnd", 0),
        ("unit_price_vnd", 10**12),
        ("unit_price_vnd", True),
        ("stock_quantity", -5),
        ("stock_quantity", 2.5),
        ("stock_quantity", "10"),
        ("harvest_end", "20260701"),
        ("harvest_end", "2026-7-1"),
        ("min_order_quantity", 0),
        ("min_order_quantity", 10**12),
        ("unit", "tấn"),
        ("category_slug", "khong-co"),
        ("origin_province_code", 2),
        ("images", ["ftp://example.vn/a.jpg"]),
        ("images", ["javascript:alert(1)"]),
        ("images", ["https://example.vn/a.jpg"] * 11),
        ("images", [42]),
        ("name", ""),
        ("name", "x" * 201),
        ("description", "x" * 5001),
        ("harvest_end", "2026-01-01"),
    ],
)
def test_invalid_products_are_refused_and_nothing_is_stored(app, world, field, value):
    body = product_body(harvest_start="2026-06-01", **{field: value})
    r = world.household.api.post("/products", body)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "validation_error"
    assert field in r.get_json()["error"]["details"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Product.id))) == 0


def test_listing_state_machine(world, api):
    p = new_product(world.household)
    owner, mod = world.household.api, world.coop_admin.api
    pid = p["id"]
    # Invalid moves from pending_review.
    for path, who in (("pause", owner), ("resume", owner)):
        r = who.post(f"/products/{pid}/{path}")
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    assert mod.post(f"/products/{pid}/remove", {"reason": "x"}).status_code == 409
    assert (
        mod.post(f"/products/{pid}/reject", {"reason": "Ảnh mờ"}).get_json()["status"] == "rejected"
    )
    assert mod.post(f"/products/{pid}/approve").status_code == 409
    # Editing a rejected listing sends it back to review.
    r = owner.patch(f"/products/{pid}", {"images": ["https://anh.example.vn/vai.jpg"]})
    assert r.status_code == 200 and r.get_json()["status"] == "pending_review"
    assert mod.post(f"/products/{pid}/approve").get_json()["status"] == "active"
    assert owner.post(f"/products/{pid}/resume").status_code == 409
    assert owner.post(f"/products/{pid}/pause").get_json()["status"] == "paused"
    assert api.get(f"/products/{pid}").status_code == 404
    assert owner.post(f"/products/{pid}/pause").status_code == 409
    assert mod.post(f"/products/{pid}/remove", {"reason": "x"}).status_code == 409
    assert owner.post(f"/products/{pid}/resume").get_json()["status"] == "active"
    r = mod.post(f"/products/{pid}/remove", {"reason": "Hàng giả nhãn VietGAP"})
    assert r.get_json()["status"] == "removed"
    assert owner.post(f"/products/{pid}/resume").status_code == 409
    assert owner.delete(f"/products/{pid}").status_code == 204
    assert owner.get(f"/products/{pid}").get_json()["status"] == "archived"
    assert owner.delete(f"/products/{pid}").status_code == 409
    assert owner.patch(f"/products/{pid}", {"name": "Mới"}).status_code == 409
    actions = [e["action"] for e in mod.get(f"/coops/{world.coop['id']}/audit").get_json()["items"]]
    assert actions[:3] == ["product.remove", "product.approve", "product.reject"]


def test_reason_is_required_for_reject_and_remove(world):
    p = new_product(world.household)
    r = world.coop_admin.api.post(f"/products/{p['id']}/reject", {})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["details"]
    r = world.coop_admin.api.post(f"/products/{p['id']}/reject", {"reason": "x" * 1001})
    assert r.status_code == 422


def test_price_edit_keeps_active_but_description_edit_sends_back_to_review(world, api):
    p = new_product(world.household, world.coop_admin)
    r = world.household.api.patch(
        f"/products/{p['id']}", {"unit_price_vnd": 52_000, "harvest_end": None}
    )
    assert r.get_json()["status"] == "active" and r.get_json()["unit_price_vnd"] == 52_000
    r = world.household.api.patch(f"/products/{p['id']}", {"description": "Mô tả mới"})
    assert r.get_json()["status"] == "pending_review"
    assert api.get(f"/products/{p['id']}").status_code == 404


def test_stock_edit_keeps_the_listing_active_and_leaves_a_movement(world, api):
    p = new_product(world.household, world.coop_admin, stock_quantity=40)
    r = world.household.api.patch(f"/products/{p['id']}", {"stock_quantity": 15})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "active" and r.get_json()["stock_quantity"] == 15
    assert api.get(f"/products/{p['id']}").get_json()["stock_quantity"] == 15
    moves = world.household.api.get(f"/products/{p['id']}/stock-movements").get_json()["items"]
    assert [(m["delta"], m["resulting_quantity"]) for m in moves][0] == (-25, 15)
    r = world.household.api.patch(f"/products/{p['id']}", {"stock_quantity": -1})
    assert r.status_code == 422


def test_strangers_cannot_see_or_change_anothers_listings(world, api, app):

    pending = new_product(world.household)
    active = new_product(world.household, world.coop_admin)
    other = world.other_household.api
    assert other.get(f"/products/{pending['id']}").status_code == 404
    for method, path, body in (
        ("PATCH", f"/products/{active['id']}", {"name": "Của tôi"}),
        ("POST", f"/products/{active['id']}/pause", None),
        ("DELETE", f"/products/{active['id']}", None),
        ("POST", f"/products/{active['id']}/stock-adjustments", {"delta": -1, "reason": "x"}),
    ):
        assert other.call(method, path, json=body).status_code == 403
    assert other.call("PATCH", f"/products/{pending['id']}", json={"name": "x"}).status_code == 404
    # Another co-op's admin cannot moderate; this co-op's admin can see pending listings.
    far = world.other_coop_admin.api
    assert far.get(f"/products/{pending['id']}").status_code == 404
    assert far.post(f"/products/{active['id']}/remove", {"reason": "x"}).status_code == 403
    assert far.get(f"/coops/{world.coop['id']}/products").status_code == 403
    queue = world.coop_admin.api.get(f"/coops/{world.coop['id']}/products?status=pending_review")
    assert [p["id"] for p in queue.get_json()["items"]] == [pending["id"]]
    # The owner cannot approve its own listing.
    assert world.household.api.post(f"/products/{pending['id']}/approve").status_code == 403
    assert world.coop_admin.api.get(f"/products/{pending['id']}").status_code == 200
    mine = world.household.api.get(f"/sellers/{world.household.seller['id']}/products").get_json()
    assert mine["total"] == 2
    assert other.get(f"/sellers/{world.household.seller['id']}/products").status_code == 403


def test_suspended_households_products_disappear(world, api):
    p = new_product(world.household, world.coop_admin)
    world.coop_admin.api.post(f"/sellers/{world.household.seller['id']}/suspend", {"reason": "x"})
    assert api.get(f"/products/{p['id']}").status_code == 404
    assert api.get("/products").get_json()["total"] == 0
    world.coop_admin.api.post(f"/sellers/{world.household.seller['id']}/reinstate")
    assert api.get(f"/products/{p['id']}").status_code == 200


def test_certifications_shown_are_verified_and_unexpired(world, api):
    seller_id = world.household.seller["id"]
    today = today_vn()
    certs = []
    for no, until in (
        ("VG-1", today + dt.timedelta(days=30)),
        ("VG-2", today - dt.timedelta(days=1)),
        ("VG-3", today + dt.timedelta(days=60)),
    ):
        certs.append(
            world.household.api.post(
                f"/sellers/{seller_id}/certifications",
                {
                    "scheme": "vietgap",
                    "certificate_no": no,
                    "issued_by": "Sở NN&PTNT Hải Phòng",
                    "valid_from": (today - dt.timedelta(days=400)).isoformat(),
                    "valid_until": until.isoformat(),
                },
            ).get_json()
        )
    for cert in certs[:2]:
        world.coop_admin.api.post(f"/sellers/{seller_id}/certifications/{cert['id']}/verify")
    p = new_product(world.household, world.coop_admin)
    shown = api.get(f"/products/{p['id']}").get_json()["certifications"]
    assert shown == [
        {"scheme": "vietgap", "certificate_no": "VG-1", "valid_until": certs[0]["valid_until"]}
    ]


def test_stock_adjustments_are_atomic_and_recorded(world, app):
    p = new_product(world.household, world.coop_admin, stock_quantity=10)
    api_ = world.household.api
    r = api_.post(f"/products/{p['id']}/stock-adjustments", {"delta": -4, "reason": "Quả dập"})
    assert r.status_code == 200 and r.get_json()["stock_quantity"] == 6
    r = api_.post(
        f"/products/{p['id']}/stock-adjustments", {"delta": -7, "reason": "Bán ngoài chợ"}
    )
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "insufficient_stock"
    for bad in (
        {"delta": 0, "reason": "x"},
        {"delta": 1.5, "reason": "x"},
        {"delta": 3},
        {"delta": "3", "reason": "x"},
    ):
        assert api_.post(f"/products/{p['id']}/stock-adjustments", bad).status_code == 422
    moves = api_.get(f"/products/{p['id']}/stock-movements").get_json()["items"]
    assert [(m["delta"], m["resulting_quantity"], m["reason"]) for m in moves] == [
        (-4, 6, "Quả dập"),
        (10, 10, "Opening stock"),
    ]
    assert moves[0]["actor"]["id"] == world.household.id
    with app.app_context():
        assert db.session.get(Product, p["id"]).stock_quantity == 6
        assert db.session.scalar(select(func.count(StockMovement.id))) == 2


def test_categories_tree_and_admin_create(api, world):
    tree = api.get("/categories").get_json()["items"]
    fruit = next(c for c in tree if c["slug"] == "trai-cay")
    assert {c["slug"] for c in fruit["children"]} >= {"vai-thieu", "nhan", "xoai", "buoi", "cam"}
    r = world.admin.api.post("/categories", {"name": "Thanh long", "parent_slug": "trai-cay"})
    assert r.status_code == 201 and r.get_json()["slug"] == "thanh-long"
    assert world.admin.api.post("/categories", {"name": "Thanh long"}).status_code == 409
    assert (
        world.admin.api.post("/categories", {"name": "X", "parent_slug": "nope"}).status_code == 422
    )
    assert world.buyer.api.post("/categories", {"name": "Y"}).status_code == 403
    assert api.post("/categories", {"name": "Y"}).status_code == 401
