"""The platform admin corrects a category's shelf lives (PATCH /categories/{id}): products without
their own shelf life follow at once, in the catalogue and in the delivery options a buyer is
offered; nobody else may, and nonsense values are refused without changing anything."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from marketplace.catalogue.models import Category
from marketplace.extensions import db
from tests.delivery_helpers import COLD_TRUCK, HA_NOI, POST, new_method
from tests.factories import build_world, new_product


@pytest.fixture
def world(app, api):
    return build_world(app, api)


@pytest.fixture(autouse=True)
def _keep_the_migrated_shelf_lives(app):
    """The migrations' category rows outlive a test (conftest.MIGRATION_ROWS): put back their
    shelf lives for the tests that come after."""
    with app.app_context():
        saved = db.session.execute(
            select(Category.id, Category.shelf_life_hours, Category.cold_shelf_life_hours)
        ).all()
    yield
    with app.app_context():
        for category_id, ambient, cold in saved:
            db.session.execute(
                update(Category)
                .where(Category.id == category_id)
                .values(shelf_life_hours=ambient, cold_shelf_life_hours=cold)
            )
        db.session.commit()


def category(api, slug: str) -> dict:
    nodes = list(api.get("/categories").get_json()["items"])
    while nodes:
        node = nodes.pop()
        if node["slug"] == slug:
            return node
        nodes.extend(node["children"])
    raise AssertionError(slug)


def lives(api, slug: str) -> tuple[int | None, int | None]:
    node = category(api, slug)
    return node["shelf_life_hours"], node["cold_shelf_life_hours"]


def offered(buyer, product_id: int) -> list[str]:
    r = buyer.api.post(
        "/orders/quote",
        {"items": [{"product_id": product_id, "quantity": 2}], "shipping_address": HA_NOI},
    )
    assert r.status_code == 200, r.get_json()
    return sorted(o["name"] for o in r.get_json()["seller_orders"][0]["options"])


def test_the_admin_shortens_the_lychee_shelf_life_and_the_slow_post_is_no_longer_offered(
    api, world
):
    new_method(world.coop_admin, world.coop, POST)  # 48 h, not cooled
    new_method(world.coop_admin, world.coop, COLD_TRUCK)  # 24 h, cooled
    lychee = new_product(world.household, world.coop_admin)  # no shelf life of its own
    assert lives(api, "vai-thieu") == (72, 504)
    assert offered(world.buyer, lychee["id"]) == ["Chuyển phát tiêu chuẩn", "Xe lạnh đi Hà Nội"]
    listed = api.get("/products?category=vai-thieu").get_json()["items"]
    assert [p["shelf_life_hours"] for p in listed] == [72]  # (and now in the cached answer)

    node_id = category(api, "vai-thieu")["id"]
    r = world.admin.api.patch(f"/categories/{node_id}", {"shelf_life_hours": 36})
    assert r.status_code == 200, r.get_json()
    node = r.get_json()
    assert (node["slug"], node["parent_slug"], node["children"]) == ("vai-thieu", "trai-cay", [])
    assert (node["shelf_life_hours"], node["cold_shelf_life_hours"]) == (36, 504)
    assert lives(api, "vai-thieu") == (36, 504)

    # Products without their own shelf life follow, in the cached catalogue too.
    assert api.get(f"/products/{lychee['id']}").get_json()["shelf_life_hours"] == 36
    listed = api.get("/products?category=vai-thieu").get_json()["items"]
    assert [p["shelf_life_hours"] for p in listed] == [36]
    # 48 h by post no longer fits 36 h; the cold truck (24 h ≤ 504 h) still does.
    assert offered(world.buyer, lychee["id"]) == ["Xe lạnh đi Hà Nội"]

    # Only the cold one; then null (not known) for the ambient one.
    r = world.admin.api.patch(f"/categories/{node_id}", {"cold_shelf_life_hours": 720})
    assert r.status_code == 200 and lives(api, "vai-thieu") == (36, 720)
    r = world.admin.api.patch(f"/categories/{node_id}", {"shelf_life_hours": None})
    assert r.status_code == 200 and lives(api, "vai-thieu") == (None, 720)
    # A parent category has its children in the answer, as GET /categories shows them.
    fruit = category(api, "trai-cay")
    r = world.admin.api.patch(f"/categories/{fruit['id']}", {"cold_shelf_life_hours": 600})
    assert r.status_code == 200
    assert [c["slug"] for c in r.get_json()["children"]] == [c["slug"] for c in fruit["children"]]


def test_only_the_platform_admin_may_change_shelf_lives(api, world):
    node_id = category(api, "vai-thieu")["id"]
    path = f"/categories/{node_id}"
    assert api.patch(path, {"shelf_life_hours": 1}).status_code == 401
    assert api.patch(path, {"shelf_life_hours": 0}).status_code == 401  # 401 before the body
    assert api.as_("not-a-token").patch(path, {"shelf_life_hours": 1}).status_code == 401
    for actor in (world.buyer, world.household, world.coop_admin):
        r = actor.api.patch(path, {"shelf_life_hours": 1})
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    r = world.admin.api.patch("/categories/999999", {"shelf_life_hours": 1})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert lives(api, "vai-thieu") == (72, 504)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shelf_life_hours": 0}, "shelf_life_hours"),
        ({"shelf_life_hours": -24}, "shelf_life_hours"),
        ({"shelf_life_hours": 87_601}, "shelf_life_hours"),  # more than ten years
        ({"shelf_life_hours": "72"}, "shelf_life_hours"),
        ({"shelf_life_hours": 1.5}, "shelf_life_hours"),
        ({"shelf_life_hours": True}, "shelf_life_hours"),
        ({"cold_shelf_life_hours": 10**20}, "cold_shelf_life_hours"),
        ({"cold_shelf_life_hours": 48}, "cold_shelf_life_hours"),  # less than the ambient 72
        ({"shelf_life_hours": 600}, "cold_shelf_life_hours"),  # above the cold 504
        ({"shelf_life_hours": 100, "cold_shelf_life_hours": 99}, "cold_shelf_life_hours"),
        ({"slug": "vai"}, "slug"),  # only the shelf lives change here
        ({}, "_schema"),
    ],
)
def test_nonsense_shelf_lives_are_refused_and_change_nothing(api, world, body, field):
    node_id = category(api, "vai-thieu")["id"]
    r = world.admin.api.patch(f"/categories/{node_id}", body)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "validation_error"
    assert field in r.get_json()["error"]["details"]
    assert lives(api, "vai-thieu") == (72, 504)


def test_a_patch_without_a_json_body_is_a_bad_request(api, world):
    node_id = category(api, "vai-thieu")["id"]
    r = world.admin.api.call(
        "PATCH", f"/categories/{node_id}", data="shelf_life_hours=5", content_type="text/plain"
    )
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


def test_a_new_category_cannot_keep_less_cooled_than_ambient(api, world):
    r = world.admin.api.post(
        "/categories", {"name": "Sầu riêng", "shelf_life_hours": 120, "cold_shelf_life_hours": 72}
    )
    assert r.status_code == 422 and "cold_shelf_life_hours" in r.get_json()["error"]["details"]
    assert all(c["name"] != "Sầu riêng" for c in api.get("/categories").get_json()["items"])
