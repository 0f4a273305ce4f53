"""Co-op delivery methods (pickup points and delivery services), product weights and shelf lives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Category
from marketplace.delivery.models import DeliveryMethod
from marketplace.extensions import db
from tests.delivery_helpers import COLD_TRUCK, PICKUP, POST, method_count, new_method
from tests.factories import build_world, new_product, product_body


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def methods_path(coop: dict) -> str:
    return f"/coops/{coop['id']}/delivery-methods"


def test_coop_admin_adds_a_pickup_point_and_a_cold_truck_and_anyone_lists_them(api, world):
    pickup = new_method(world.coop_admin, world.coop, PICKUP)
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)

    assert pickup["kind"] == "pickup" and pickup["active"] is True
    assert pickup["pickup_address"]["ward_name"] == "Xã Thanh Hà"
    assert pickup["pickup_address"]["opening_hours"] == "6:00–18:00"
    assert truck["provinces"] == [1] and truck["cold_chain"] is True
    assert truck["free_over_vnd"] == 1_000_000 and truck["coop_id"] == world.coop["id"]

    listed = api.get(methods_path(world.coop))  # public, no login
    assert listed.status_code == 200
    assert [m["id"] for m in listed.get_json()["items"]] == [pickup["id"], truck["id"]]
    assert api.get(methods_path(world.other_coop)).get_json()["items"] == []
    assert api.get("/coops/999999/delivery-methods").status_code == 404


def test_coop_admin_edits_a_method_and_a_deactivated_one_is_kept_but_not_listed(app, api, world):
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)
    path = f"{methods_path(world.coop)}/{truck['id']}"

    r = world.coop_admin.api.patch(path, {"base_fee_vnd": 30_000, "provinces": [1, 31]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["base_fee_vnd"] == 30_000 and r.get_json()["provinces"] == [1, 31]
    assert r.get_json()["name"] == COLD_TRUCK["name"]  # untouched fields stay

    assert world.coop_admin.api.delete(path).status_code == 204
    assert api.get(methods_path(world.coop)).get_json()["items"] == []
    with app.app_context():
        stored = db.session.get(DeliveryMethod, truck["id"])
        assert stored.active is False and stored.base_fee_vnd == 30_000


@pytest.mark.parametrize(
    "change, field",
    [
        ({"provinces": [1, 99]}, "provinces"),
        ({"base_fee_vnd": -1}, "base_fee_vnd"),
        ({"per_kg_fee_vnd": -500}, "per_kg_fee_vnd"),
        ({"lead_time_hours": -1}, "lead_time_hours"),
        ({"lead_time_hours": 8761}, "lead_time_hours"),
        ({"lead_time_hours": 2.5}, "lead_time_hours"),
        ({"kind": "drone"}, "kind"),
        ({"kind": "pickup"}, "pickup_address"),  # a pickup without an address
        (
            {"kind": "pickup", "pickup_address": {**PICKUP["pickup_address"], "ward_code": 4}},
            "pickup_address",
        ),
        ({"name": ""}, "name"),
    ],
)
def test_bad_methods_are_refused_with_field_details_and_nothing_is_written(
    app, world, change, field
):
    r = world.coop_admin.api.post(methods_path(world.coop), {**POST, **change})
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"], error
    assert method_count(app) == 0


def test_an_edit_that_breaks_a_method_is_refused_and_changes_nothing(app, world):
    pickup = new_method(world.coop_admin, world.coop, PICKUP)
    path = f"{methods_path(world.coop)}/{pickup['id']}"
    r = world.coop_admin.api.patch(path, {"pickup_address": None, "base_fee_vnd": 5_000})
    assert r.status_code == 422 and "pickup_address" in r.get_json()["error"]["details"]
    with app.app_context():
        stored = db.session.get(DeliveryMethod, pickup["id"])
        assert stored.pickup_address is not None and stored.base_fee_vnd == 0


def test_only_the_coops_own_admins_manage_its_methods(api, world):
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)
    path = f"{methods_path(world.coop)}/{truck['id']}"

    assert api.post(methods_path(world.coop), POST).status_code == 401
    assert api.patch(path, {"name": "Xe lạnh"}).status_code == 401
    assert api.delete(path).status_code == 401
    for outsider in (world.other_coop_admin, world.buyer, world.household):
        assert outsider.api.post(methods_path(world.coop), POST).status_code == 403
        assert outsider.api.patch(path, {"name": "Xe lạnh"}).status_code == 403
        assert outsider.api.delete(path).status_code == 403
    # Permission comes before the body: a bad body from an outsider is still 403.
    r = world.other_coop_admin.api.patch(path, {"base_fee_vnd": -1})
    assert r.status_code == 403
    assert world.other_coop_admin.api.post(methods_path(world.coop), {}).status_code == 403
    assert world.coop_admin.api.post("/coops/999999/delivery-methods", POST).status_code == 404
    # Another co-op's method through one's own co-op: not found.
    own_path = f"{methods_path(world.other_coop)}/{truck['id']}"
    assert world.other_coop_admin.api.patch(own_path, {"name": "x"}).status_code == 404
    assert world.other_coop_admin.api.delete(own_path).status_code == 404
    assert world.admin.api.patch(path, {"name": "Xe lạnh HTX"}).status_code == 200
    assert api.get(methods_path(world.coop)).get_json()["items"][0]["name"] == "Xe lạnh HTX"


# ---- weights and shelf lives -------------------------------------------------------------


def test_units_that_weigh_what_they_say_get_their_weight_and_others_must_give_it(app, world):
    kg = new_product(world.household, unit="kg")
    grams = new_product(world.household, unit="g", unit_price_vnd=200)
    litre = new_product(world.household, unit="litre", category_slug="mat-ong")
    assert (kg["unit_weight_g"], grams["unit_weight_g"], litre["unit_weight_g"]) == (1000, 1, 1000)

    r = world.household.api.post("/products", product_body(unit="box"))
    assert r.status_code == 422
    assert "unit_weight_g" in r.get_json()["error"]["details"]
    box = new_product(world.household, unit="box", unit_weight_g=5000)
    assert box["unit_weight_g"] == 5000
    r = world.household.api.post("/products", product_body(unit="bag", unit_weight_g=0))
    assert r.status_code == 422


def test_a_product_keeps_as_long_as_its_category_unless_it_says_otherwise(api, world):
    lychee = new_product(world.household)
    rice = new_product(world.household, category_slug="gao", name="Gạo ST25")
    assert lychee["shelf_life_hours"] == 72 and rice["shelf_life_hours"] == 8760
    ripe = new_product(world.household, name="Vải chín kỹ", shelf_life_hours=48)
    assert ripe["shelf_life_hours"] == 48
    r = world.household.api.patch(f"/products/{lychee['id']}", {"shelf_life_hours": 60})
    assert r.status_code == 200 and r.get_json()["shelf_life_hours"] == 60
    r = world.household.api.patch(f"/products/{lychee['id']}", {"shelf_life_hours": None})
    assert r.get_json()["shelf_life_hours"] == 72  # back to its category's


def test_categories_show_and_accept_their_shelf_lives(app, api, world):
    tree = api.get("/categories").get_json()["items"]
    fruit = next(c for c in tree if c["slug"] == "trai-cay")
    lychee = next(c for c in fruit["children"] if c["slug"] == "vai-thieu")
    assert (lychee["shelf_life_hours"], lychee["cold_shelf_life_hours"]) == (72, 504)
    rice = next(c for c in tree if c["slug"] == "gao")
    assert rice["shelf_life_hours"] == 8760

    r = world.admin.api.post(
        "/categories",
        {
            "name": "Thanh long",
            "parent_slug": "trai-cay",
            "shelf_life_hours": 168,
            "cold_shelf_life_hours": 504,
        },
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["shelf_life_hours"] == 168 and r.get_json()["parent_slug"] == "trai-cay"
    r = world.admin.api.post("/categories", {"name": "Sầu riêng", "shelf_life_hours": 0})
    assert r.status_code == 422 and "shelf_life_hours" in r.get_json()["error"]["details"]
    with app.app_context():
        assert db.session.scalar(select(Category).where(Category.name == "Sầu riêng")) is None
