"""Delivery at checkout: what is offered, what it costs, the quote before paying, and the order
charging exactly what was quoted."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import select

from marketplace.delivery.models import DeliveryMethod
from marketplace.delivery.services import shipping_fee
from marketplace.extensions import db
from marketplace.orders.models import SellerOrder
from tests.delivery_helpers import COLD_TRUCK, HA_NOI, PICKUP, POST, new_method
from tests.factories import new_product
from tests.orders_helpers import build_shop, order_body, order_count, stock_of
from tests.payments_fixtures import CARD_OK, TEST_SECRET_KEY


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config, "SHIP_WITHIN_HOURS": 24}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def quote(shop, items, address=HA_NOI, **extra):
    body = {"items": [{"product_id": p, "quantity": q} for p, q in items]}
    return shop.buyer.api.post("/orders/quote", {**body, "shipping_address": address, **extra})


def options_by_name(quote_body: dict, seller_id: int) -> dict[str, dict]:
    part = next(so for so in quote_body["seller_orders"] if so["seller_id"] == seller_id)
    return {option["name"]: option for option in part["options"]}


def parse(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


# ---- fee arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "weight_g, subtotal, fee",
    [
        (0, 10_000, 20_000),
        (1, 10_000, 23_000),  # a started kilogram counts whole
        (1000, 10_000, 23_000),
        (1001, 10_000, 26_000),
        (2500, 10_000, 29_000),
        (2500, 499_999, 29_000),
        (2500, 500_000, 0),  # free from the threshold on
        (90_000, 900_000, 0),
    ],
)
def test_fee_is_base_plus_each_started_kilogram_and_free_over_the_threshold(
    weight_g, subtotal, fee
):
    method = DeliveryMethod(base_fee_vnd=20_000, per_kg_fee_vnd=3_000, free_over_vnd=500_000)
    assert shipping_fee(method, weight_g, subtotal) == fee
    method.free_over_vnd = None
    assert shipping_fee(method, weight_g, subtotal) == 20_000 + 3_000 * -(-weight_g // 1000)


# ---- offers ------------------------------------------------------------------------------


def test_a_buyer_in_ha_noi_sees_each_offered_method_with_its_fee_and_promised_date(shop):
    world = shop.world
    pickup = new_method(world.coop_admin, world.coop, PICKUP)
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)
    post = new_method(world.coop_admin, world.coop, POST)
    box = new_product(world.household, world.coop_admin, unit="box", unit_weight_g=2500)
    before = dt.datetime.now(dt.UTC)

    r = quote(shop, [(shop.lychee["id"], 3), (box["id"], 1)])  # 3 kg + 2.5 kg

    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["items_total_vnd"] == 3 * 45_000 + box["unit_price_vnd"]
    (part,) = body["seller_orders"]
    assert part["seller_id"] == world.household.seller["id"] and part["weight_g"] == 5500
    assert part["subtotal_vnd"] == body["items_total_vnd"]
    # cheapest first: the free pickup, the post (20,000 + 6 started kg × 3,000), the truck
    assert [o["method_id"] for o in part["options"]] == [pickup["id"], post["id"], truck["id"]]
    fees = [o["fee_vnd"] for o in part["options"]]
    assert fees == [0, 20_000 + 6 * 3_000, 25_000 + 6 * 4_000]
    promised = {o["method_id"]: parse(o["promised_by"]) for o in part["options"]}
    ship_by = before + dt.timedelta(hours=24)
    assert (
        dt.timedelta(0)
        <= promised[truck["id"]] - (ship_by + dt.timedelta(hours=24))
        < dt.timedelta(minutes=1)
    )
    assert promised[pickup["id"]] < promised[truck["id"]] < promised[post["id"]]
    assert part["options"][2]["cold_chain"] is True and part["options"][2]["kind"] == "delivery"


def test_delivery_serves_its_provinces_and_pickup_serves_everyone(shop):
    world = shop.world
    new_method(world.coop_admin, world.coop, PICKUP)
    new_method(world.coop_admin, world.coop, COLD_TRUCK)  # Hà Nội only
    new_method(world.coop_admin, world.coop, {**POST, "provinces": [31, 33]})
    seller_id = world.household.seller["id"]

    in_ha_noi = options_by_name(quote(shop, [(shop.lychee["id"], 1)]).get_json(), seller_id)
    assert set(in_ha_noi) == {PICKUP["name"], COLD_TRUCK["name"]}
    saigon = {**HA_NOI, "province_code": 79, "ward_code": 25747}
    in_saigon = options_by_name(quote(shop, [(shop.lychee["id"], 1)], saigon).get_json(), seller_id)
    assert set(in_saigon) == {PICKUP["name"]}


def test_a_method_slower_than_the_produce_keeps_is_not_offered_unless_it_is_cold(shop):
    world = shop.world
    seller_id = world.household.seller["id"]
    slow = new_method(world.coop_admin, world.coop, {**POST, "lead_time_hours": 96})
    slow_cold = new_method(
        world.coop_admin, world.coop, {**COLD_TRUCK, "provinces": [], "lead_time_hours": 96}
    )
    too_slow_cold = new_method(
        world.coop_admin,
        world.coop,
        {**COLD_TRUCK, "name": "Tàu biển lạnh", "provinces": [], "lead_time_hours": 600},
    )

    # Lychee keeps 72 h, 504 h cooled: only the 96 h cold truck fits.
    offered = options_by_name(quote(shop, [(shop.lychee["id"], 1)]).get_json(), seller_id)
    assert [o["method_id"] for o in offered.values()] == [slow_cold["id"]]
    # Rice keeps a year: everything fits.
    offered = options_by_name(quote(shop, [(shop.rice["id"], 2)]).get_json(), seller_id)
    assert {o["method_id"] for o in offered.values()} == {
        slow["id"],
        slow_cold["id"],
        too_slow_cold["id"],
    }
    # A part with lychee and rice is bound by the lychee.
    offered = options_by_name(
        quote(shop, [(shop.lychee["id"], 1), (shop.rice["id"], 2)]).get_json(), seller_id
    )
    assert [o["method_id"] for o in offered.values()] == [slow_cold["id"]]
    # A product's own shorter shelf life binds too (cold: its category's, 504 h).
    ripe = new_product(world.household, world.coop_admin, name="Vải chín", shelf_life_hours=24)
    offered = options_by_name(quote(shop, [(ripe["id"], 1)]).get_json(), seller_id)
    assert [o["method_id"] for o in offered.values()] == [slow_cold["id"]]


def test_quote_needs_a_login_checks_like_an_order_and_writes_nothing(app, api, shop):
    body = {"items": [{"product_id": shop.lychee["id"], "quantity": 1}], "shipping_address": HA_NOI}
    assert api.post("/orders/quote", body).status_code == 401
    own = shop.household.api.post("/orders/quote", body)
    assert own.status_code == 422 and "items" in own.get_json()["error"]["details"]
    paid = shop.buyer.api.post("/orders/quote", {**body, "payment_method": "cod"})
    assert paid.status_code == 422  # the quote takes no payment fields
    assert quote(shop, [(shop.lychee["id"], 1)]).status_code == 200
    assert order_count(app) == 0 and stock_of(app, shop.lychee["id"]) == 100


# ---- choosing and paying -----------------------------------------------------------------


def test_the_order_charges_exactly_what_was_quoted_for_the_chosen_methods(app, shop, stripe_config):
    world = shop.world
    new_method(world.coop_admin, world.coop, PICKUP)
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)
    items = [(shop.lychee["id"], 3), (shop.longan["id"], 2)]
    choices = [{"seller_id": world.household.seller["id"], "method_id": truck["id"]}]
    quoted = quote(shop, items, deliveries=choices).get_json()

    body = order_body(items, "card", CARD_OK, deliveries=choices)
    body["shipping_address"] = HA_NOI
    r = shop.buyer.api.post("/orders", body)

    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    parts = {so["seller"]["id"]: so for so in order["seller_orders"]}
    mine = parts[world.household.seller["id"]]
    other = parts[world.other_household.seller["id"]]
    truck_option = options_by_name(quoted, world.household.seller["id"])[COLD_TRUCK["name"]]
    pickup_option = options_by_name(quoted, world.other_household.seller["id"])[PICKUP["name"]]
    assert mine["shipping_fee_vnd"] == truck_option["fee_vnd"] == 25_000 + 3 * 4_000
    assert mine["delivery"] == {
        "method_id": truck["id"],
        "kind": "delivery",
        "name": COLD_TRUCK["name"],
        "cold_chain": True,
    }
    # left out: its cheapest offered method (the free pickup)
    assert other["delivery"]["name"] == PICKUP["name"] and other["shipping_fee_vnd"] == 0
    assert pickup_option["fee_vnd"] == 0
    assert order["items_total_vnd"] == quoted["items_total_vnd"]
    assert order["shipping_total_vnd"] == 37_000
    assert order["total_vnd"] == quoted["items_total_vnd"] + 37_000
    # promised as quoted (the quote was made a moment before)
    gap = parse(mine["promised_by"]) - parse(truck_option["promised_by"])
    assert dt.timedelta(0) <= gap < dt.timedelta(minutes=1)
    assert parse(mine["promised_by"]) - parse(mine["ship_by"]) == dt.timedelta(hours=24)
    # the card was charged the total with shipping
    intent = requests.get(
        f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents/{order['payment']['provider_id']}",
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    ).json()
    assert intent["amount"] == order["total_vnd"] and intent["status"] == "succeeded"


def test_a_coop_without_methods_delivers_as_arranged_without_a_fee(shop):
    r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)]))
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    (part,) = order["seller_orders"]
    assert part["delivery"] is None and part["shipping_fee_vnd"] == 0
    assert part["promised_by"] is None and part["ship_by"] is not None
    assert order["shipping_total_vnd"] == 0 and order["total_vnd"] == order["items_total_vnd"]
    assert quote(shop, [(shop.lychee["id"], 2)]).get_json()["seller_orders"][0]["options"] == []


def test_a_method_not_offered_or_nothing_offered_is_refused_and_nothing_is_written(app, shop):
    world = shop.world
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)  # Hà Nội only
    other_coops = new_method(world.other_coop_admin, world.other_coop, POST)
    seller_id = world.household.seller["id"]

    # To Hải Phòng nothing is offered though the co-op has a method.
    r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)]))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and "deliveries" in error["details"]

    for method_id in (other_coops["id"], 999_999):
        body = order_body(
            [(shop.lychee["id"], 1)], deliveries=[{"seller_id": seller_id, "method_id": method_id}]
        )
        body["shipping_address"] = HA_NOI
        r = shop.buyer.api.post("/orders", body)
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["error"]["details"]["deliveries"] == {
            "0": {"method_id": ["This delivery method is not offered for this household's part."]}
        }
    # A household that is not in the order.
    body = order_body(
        [(shop.lychee["id"], 1)],
        deliveries=[{"seller_id": world.other_household.seller["id"], "method_id": truck["id"]}],
    )
    body["shipping_address"] = HA_NOI
    assert shop.buyer.api.post("/orders", body).status_code == 422
    assert order_count(app) == 0 and stock_of(app, shop.lychee["id"]) == 100

    # A deactivated method is no longer offered; without any left, delivery is as arranged.
    world.coop_admin.api.delete(f"/coops/{world.coop['id']}/delivery-methods/{truck['id']}")
    body = order_body(
        [(shop.lychee["id"], 1)], deliveries=[{"seller_id": seller_id, "method_id": truck["id"]}]
    )
    body["shipping_address"] = HA_NOI
    assert shop.buyer.api.post("/orders", body).status_code == 422
    del body["deliveries"]
    assert shop.buyer.api.post("/orders", body).status_code == 201
    with app.app_context():
        (stored,) = db.session.scalars(select(SellerOrder)).all()
        assert stored.delivery is None and stored.shipping_fee_vnd == 0


def test_an_order_keeps_the_fee_and_name_it_was_given_when_the_method_changes(shop):
    world = shop.world
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)
    body = order_body([(shop.lychee["id"], 2)])
    body["shipping_address"] = HA_NOI
    order = shop.buyer.api.post("/orders", body).get_json()
    world.coop_admin.api.patch(
        f"/coops/{world.coop['id']}/delivery-methods/{truck['id']}",
        {"name": "Xe lạnh mới", "base_fee_vnd": 99_000},
    )
    again = shop.buyer.api.get(f"/orders/{order['id']}").get_json()["seller_orders"][0]
    assert again["delivery"]["name"] == COLD_TRUCK["name"]
    assert again["shipping_fee_vnd"] == 25_000 + 2 * 4_000
