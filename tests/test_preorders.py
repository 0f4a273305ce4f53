"""Harvest pre-orders through the API: listing a forecast, paying deposits at localstripe, the
harvest's allocation, refunds of the shortfall, and the leftover sold as ordinary stock."""

from __future__ import annotations

import random

import pytest
import requests
from sqlalchemy import select

from marketplace.audit.money import audit
from marketplace.extensions import db
from marketplace.orders.harvest import PreOrder, allocate
from marketplace.payments.models import Payment
from tests.factories import build_world, product_body
from tests.orders_helpers import order_body, stock_of
from tests.payments_fixtures import TEST_SECRET_KEY
from tests.preorders_helpers import (
    buyers,
    harvest,
    harvest_day,
    placed,
    pre_order,
    pre_order_product,
)


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def provider_refunds(stripe_config, intent_id: str) -> int:
    r = requests.get(
        f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents/{intent_id}",
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    )
    r.raise_for_status()
    charges = (r.json().get("charges") or {}).get("data") or []
    return sum(int(c.get("amount_refunded") or 0) for c in charges)


def refunds_of(app, order_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        return [(r.scope, r.amount_vnd) for r in payment.refunds]


def test_three_buyers_pre_order_a_100_kg_forecast_and_the_harvest_brings_60(
    app, api, world, stripe_config
):
    lychee = pre_order_product(world, expected=100)  # cap 70 % → 70 kg may be pre-ordered
    assert lychee["sale_mode"] == "pre_order"
    assert lychee["stock_quantity"] == 70
    assert (lychee["pre_order_cap_pct"], lychee["deposit_pct"]) == (70, 30)

    anh, binh, chi = buyers(api, 3)
    first = placed(pre_order(anh, lychee["id"], 30))  # 30 kg × 45,000 = 1,350,000
    second = placed(pre_order(binh, lychee["id"], 25))  # 1,125,000
    third = placed(pre_order(chi, lychee["id"], 15))  # 675,000
    assert api.get(f"/products/{lychee['id']}").get_json()["stock_quantity"] == 0
    assert pre_order(world.buyer, lychee["id"], 1).status_code == 409  # allowance sold out

    assert first["status"] == "paid" and first["total_vnd"] == 1_350_000
    assert first["payment"]["deposit_vnd"] == 405_000  # ceil(1,350,000 × 30 %)
    assert first["payment"]["amount_vnd"] == 405_000  # the card was charged the deposit only
    assert [so["status"] for so in first["seller_orders"]] == ["pre_ordered"]

    # 60 kg: Anh's 30 whole, Bình's 25 whole, Chi's 15 → 5 (partial), nothing left over.
    r = harvest(world.household, lychee["id"], 60)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"filled": 2, "partial": 1, "unfilled": 0, "stock_added": 0}

    chi_order = chi.api.get(f"/orders/{third['id']}").get_json()
    part = chi_order["seller_orders"][0]
    assert part["status"] == "confirmed"
    assert part["lines"][0]["quantity"] == 5 and part["lines"][0]["pre_ordered_quantity"] == 15
    assert part["lines"][0]["line_total_vnd"] == 5 * 45_000
    assert chi_order["total_vnd"] == part["subtotal_vnd"] == 225_000
    # deposit 202,500 × 10/15 unfilled = 135,000 back
    assert chi_order["payment"]["refunded_vnd"] == 135_000
    assert provider_refunds(stripe_config, chi_order["payment"]["provider_id"]) == 135_000
    for buyer, order in ((anh, first), (binh, second)):
        seen = buyer.api.get(f"/orders/{order['id']}").get_json()
        assert seen["seller_orders"][0]["status"] == "confirmed"
        assert seen["payment"]["refunded_vnd"] == 0

    product = api.get(f"/products/{lychee['id']}").get_json()
    assert product["sale_mode"] == "in_stock" and product["stock_quantity"] == 0
    assert product["harvested_quantity"] == 60
    assert harvest(world.household, lychee["id"], 60).status_code == 409  # once
    with app.app_context():
        assert audit(None) == []


def test_a_short_harvest_cancels_the_latest_deposits_and_refunds_them_in_full(
    app, api, world, stripe_config
):
    lychee = pre_order_product(world, expected=100)
    anh, binh, chi = buyers(api, 3)
    orders = [placed(pre_order(b, lychee["id"], q)) for b, q in ((anh, 20), (binh, 20), (chi, 20))]
    r = harvest(world.household, lychee["id"], 30)
    assert r.get_json() == {"filled": 1, "partial": 1, "unfilled": 1, "stock_added": 0}
    last = chi.api.get(f"/orders/{orders[2]['id']}").get_json()
    assert last["status"] == "cancelled"
    assert last["seller_orders"][0]["status"] == "cancelled"
    assert last["seller_orders"][0]["cancel_reason"] == "harvest_shortfall"
    assert last["payment"]["refunded_vnd"] == last["payment"]["deposit_vnd"] == 270_000
    assert provider_refunds(stripe_config, last["payment"]["provider_id"]) == 270_000
    assert refunds_of(app, orders[1]["id"]) == [
        (f"harvest-{orders[1]['seller_orders'][0]['id']}", 135_000)
    ]
    assert stock_of(app, lychee["id"]) == 0
    with app.app_context():
        assert audit(None) == []


def test_a_big_harvest_fills_every_pre_order_and_the_rest_is_sold_like_any_stock(app, api, world):
    lychee = pre_order_product(world, expected=100)
    anh, binh = buyers(api, 2)
    placed(pre_order(anh, lychee["id"], 40))
    r = harvest(world.household, lychee["id"], 120)
    assert r.get_json() == {"filled": 1, "partial": 0, "unfilled": 0, "stock_added": 80}
    assert stock_of(app, lychee["id"]) == 80
    # ordinary stock now: cash on delivery too, no deposit
    cod = binh.api.post("/orders", order_body([(lychee["id"], 3)], "cod"))
    assert cod.status_code == 201, cod.get_json()
    assert cod.get_json()["payment"]["deposit_vnd"] is None
    assert cod.get_json()["seller_orders"][0]["status"] == "confirmed"
    assert stock_of(app, lychee["id"]) == 77


def test_pre_orders_are_paid_now_by_card_and_alone(api, world):
    lychee = pre_order_product(world)
    cod = world.buyer.api.post("/orders", order_body([(lychee["id"], 2)], "cod"))
    assert cod.status_code == 422
    assert "payment_method" in cod.get_json()["error"]["details"]
    other = placed(
        world.household.api.post("/products", product_body(name="Nhãn lồng"))
    )  # pending review: approve it
    world.coop_admin.api.post(f"/products/{other['id']}/approve")
    mixed = world.buyer.api.post(
        "/orders", order_body([(lychee["id"], 2), (other["id"], 1)], "card", "pm_card_visa")
    )
    assert mixed.status_code == 422
    assert "items" in mixed.get_json()["error"]["details"]
    assert api.get(f"/products/{lychee['id']}").get_json()["stock_quantity"] == 70


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"harvest_start": None}, "harvest_start"),
        ({"harvest_start": "2020-01-01"}, "harvest_start"),
        ({"expected_quantity": 0}, "expected_quantity"),
        ({"expected_quantity": None}, "expected_quantity"),
        ({"pre_order_cap_pct": 0}, "pre_order_cap_pct"),
        ({"deposit_pct": 101}, "deposit_pct"),
        ({"stock_quantity": 5}, "stock_quantity"),
    ],
)
def test_a_pre_order_listing_needs_a_future_harvest_and_a_forecast(app, world, change, field):
    body = product_body(
        **{"sale_mode": "pre_order", "expected_quantity": 100, "harvest_start": harvest_day()}
        | change
    )
    if "stock_quantity" not in change:
        del body["stock_quantity"]
    body = {k: v for k, v in body.items() if v is not None}
    r = world.household.api.post("/products", body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["details"]
    assert (
        world.household.api.get(f"/sellers/{world.household.seller['id']}/products").get_json()[
            "total"
        ]
        == 0
    )


def test_the_forecast_moves_the_allowance_and_never_below_what_was_pre_ordered(app, api, world):
    lychee = pre_order_product(world, expected=100)
    placed(pre_order(world.buyer, lychee["id"], 50))
    r = world.household.api.patch(f"/products/{lychee['id']}", {"expected_quantity": 200})
    assert r.status_code == 200 and r.get_json()["stock_quantity"] == 140 - 50
    r = world.household.api.patch(f"/products/{lychee['id']}", {"expected_quantity": 50})
    assert r.status_code == 409  # 35 allowed but 50 pre-ordered
    assert stock_of(app, lychee["id"]) == 90
    r = world.household.api.patch(f"/products/{lychee['id']}", {"stock_quantity": 10})
    assert r.status_code == 422
    r = world.household.api.post(
        f"/products/{lychee['id']}/stock-adjustments", {"delta": 5, "reason": "thêm"}
    )
    assert r.status_code == 409


def test_harvest_checks_who_and_what(app, api, world):
    lychee = pre_order_product(world)
    ordinary = placed(world.household.api.post("/products", product_body()))
    assert harvest(world.other_household, lychee["id"], 10).status_code == 403
    assert harvest(world.buyer, 999_999, 10).status_code == 404
    r = world.household.api.post(f"/products/{lychee['id']}/harvest", {"quantity": -1})
    assert r.status_code == 422 and "quantity" in r.get_json()["error"]["details"]
    r = harvest(world.household, ordinary["id"], 10)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    assert api.get(f"/products/{lychee['id']}").get_json()["sale_mode"] == "pre_order"


def test_catch_weight_only_for_kg(world):
    r = world.household.api.post(
        "/products", product_body(unit="box", unit_weight_g=5000, catch_weight=True)
    )
    assert r.status_code == 422
    r = world.household.api.post("/products", product_body(catch_weight=True))
    assert r.status_code == 201 and r.get_json()["catch_weight"] is True
    crate = r.get_json()
    r = world.household.api.patch(f"/products/{crate['id']}", {"unit": "box"})
    assert r.status_code == 422 and "catch_weight" in r.get_json()["error"]["details"]
    r = world.household.api.patch(f"/products/{crate['id']}", {"catch_weight": False})
    assert r.status_code == 200 and r.get_json()["catch_weight"] is False


@pytest.mark.parametrize("seed", [7, 2026])
def test_random_pre_orders_get_what_the_allocation_rule_says_and_the_refunds_it_computes(
    app, api, world, seed
):
    """End to end: the endpoint's answer, the stored lines and the refunds are the ones the
    allocation function (property-tested in test_preorders_properties.py) computes."""
    rnd = random.Random(seed)
    lychee = pre_order_product(world, expected=100, deposit_pct=rnd.randint(1, 100))
    people = buyers(api, 5)
    orders = []
    for buyer in people:
        r = pre_order(buyer, lychee["id"], rnd.randint(1, 14))
        orders.append(placed(r))
    quantity = rnd.randint(0, sum(o["seller_orders"][0]["lines"][0]["quantity"] for o in orders))
    with app.app_context():
        stored = {p.order_id: p for p in db.session.scalars(select(Payment)).all()}
        expected = allocate(
            [
                PreOrder(
                    o["seller_orders"][0]["id"],
                    stored[o["id"]].deposit_paid_at,
                    o["seller_orders"][0]["lines"][0]["quantity"],
                    stored[o["id"]].deposit_vnd,
                )
                for o in orders
            ],
            quantity,
        )
    r = harvest(world.household, lychee["id"], quantity)
    assert r.get_json() == {
        "filled": expected.filled,
        "partial": expected.partial,
        "unfilled": expected.unfilled,
        "stock_added": expected.stock_added,
    }
    by_part = {share.pre_order.seller_order_id: share for share in expected.shares}
    for order, buyer in zip(orders, people, strict=True):
        seen = buyer.api.get(f"/orders/{order['id']}").get_json()
        part = seen["seller_orders"][0]
        share = by_part[part["id"]]
        assert seen["payment"]["refunded_vnd"] == share.refund_vnd
        if share.allocated:
            assert part["status"] == "confirmed"
            assert part["lines"][0]["quantity"] == share.allocated
        else:
            assert part["status"] == "cancelled"
    assert stock_of(app, lychee["id"]) == quantity - expected.allocated
    with app.app_context():
        assert audit(None) == []
