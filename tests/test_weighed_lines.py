"""Weighed (catch-weight) lines: a crate of lychee ordered at 5 kg is priced by the weight found
at packing when the household ships it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.audit.money import audit
from marketplace.extensions import db
from marketplace.orders.models import OrderLine
from marketplace.payments.models import Refund
from tests.factories import build_world, new_product
from tests.orders_helpers import order_body
from tests.payments_fixtures import CARD_OK
from tests.test_preorders import provider_refunds


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


@pytest.fixture
def crate(world):
    """Lychee at 45,000 VND/kg, weighed at packing."""
    return new_product(world.household, world.coop_admin, catch_weight=True)


def buy(world, crate, method="cod", quantity=5, extra=()):
    card = CARD_OK if method == "card" else None
    r = world.buyer.api.post("/orders", order_body([(crate["id"], quantity), *extra], method, card))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def ship(world, order, lines):
    part = order["seller_orders"][0]["id"]
    return world.household.api.post(f"/seller-orders/{part}/ship", {"lines": lines})


def test_a_cod_crate_is_priced_by_its_weight_and_the_cash_collected_follows(app, world, crate):
    order = buy(world, crate)
    line = order["seller_orders"][0]["lines"][0]
    assert line["catch_weight"] is True and line["actual_weight_g"] is None
    r = ship(world, order, [{"product_id": crate["id"], "actual_weight_g": 5_300}])
    assert r.status_code == 200, r.get_json()
    shipped = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    line = shipped["seller_orders"][0]["lines"][0]
    assert line["actual_weight_g"] == 5_300
    assert line["line_total_vnd"] == 238_500  # 45,000 × 5.3
    assert shipped["seller_orders"][0]["subtotal_vnd"] == 238_500
    assert shipped["total_vnd"] == shipped["items_total_vnd"] == 238_500
    assert shipped["payment"]["amount_vnd"] == 238_500  # collected on delivery
    part = order["seller_orders"][0]["id"]
    assert world.household.api.post(f"/seller-orders/{part}/deliver").status_code == 200
    delivered = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert delivered["status"] == "completed"
    with app.app_context():
        assert audit(None) == []


def test_a_card_order_is_never_charged_more_and_a_lighter_crate_is_refunded(
    app, api, world, crate, stripe_config
):
    heavy = buy(world, crate, "card")
    assert (
        ship(world, heavy, [{"product_id": crate["id"], "actual_weight_g": 5_500}]).status_code
        == 200
    )
    seen = world.buyer.api.get(f"/orders/{heavy['id']}").get_json()
    assert seen["total_vnd"] == 225_000 and seen["payment"]["refunded_vnd"] == 0  # capped

    light = buy(world, crate, "card")
    r = ship(world, light, [{"product_id": crate["id"], "actual_weight_g": 4_567}])
    assert r.status_code == 200, r.get_json()
    seen = world.buyer.api.get(f"/orders/{light['id']}").get_json()
    assert seen["seller_orders"][0]["lines"][0]["line_total_vnd"] == 205_515  # 45,000 × 4.567
    assert seen["total_vnd"] == 205_515
    assert seen["payment"]["amount_vnd"] == 225_000
    assert seen["payment"]["refunded_vnd"] == 225_000 - 205_515
    assert provider_refunds(stripe_config, seen["payment"]["provider_id"]) == 19_485
    with app.app_context():
        scopes = db.session.scalars(select(Refund.scope)).all()
        assert scopes == [f"weighed-{light['seller_orders'][0]['id']}"]
        assert audit(None) == []


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        ([], "lines"),  # the weight is needed
        ([{"actual_weight_g": 4_499}], "actual_weight_g"),  # below −10 %
        ([{"actual_weight_g": 5_501}], "actual_weight_g"),  # above +10 %
    ],
)
def test_weights_outside_the_tolerance_or_missing_are_refused(app, world, crate, lines, where):
    order = buy(world, crate)
    body = [{"product_id": crate["id"], **line} for line in lines]
    r = ship(world, order, body)
    assert r.status_code == 422, r.get_json()
    assert where in str(r.get_json()["error"]["details"])
    seen = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert seen["seller_orders"][0]["status"] == "confirmed"  # nothing written
    assert seen["total_vnd"] == 225_000
    with app.app_context():
        assert db.session.scalar(select(OrderLine.actual_weight_g)) is None


def test_a_weight_for_a_line_not_sold_by_weight_is_refused(app, world, crate):
    ordinary = new_product(world.household, world.coop_admin, name="Vải thiều loại 2")
    order = buy(world, crate, extra=[(ordinary["id"], 2)])
    r = ship(
        world,
        order,
        [
            {"product_id": crate["id"], "actual_weight_g": 5_000},
            {"product_id": ordinary["id"], "actual_weight_g": 2_000},
        ],
    )
    assert r.status_code == 422
    assert r.get_json()["error"]["details"]["lines"]["1"]["product_id"]
    ok = ship(world, order, [{"product_id": crate["id"], "actual_weight_g": 5_000}])
    assert ok.status_code == 200
