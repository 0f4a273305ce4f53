"""Reservation expiry: unpaid card orders past RESERVATION_TTL_MINUTES give their stock back,
through `flask orders expire` and lazily when orders are read."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sqlalchemy import select, update

from marketplace.catalogue.models import StockMovement
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.payments_fixtures import CARD_3DS, CARD_OK, TEST_SECRET_KEY


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config, "RESERVATION_TTL_MINUTES": 30}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def three_ds_order(shop, product, quantity) -> dict:
    r = shop.buyer.api.post("/orders", order_body([(product["id"], quantity)], "card", CARD_3DS))
    assert r.status_code == 201 and r.get_json()["status"] == "awaiting_payment", r.get_json()
    return r.get_json()


def make_overdue(app, order_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        db.session.commit()


def status_of(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def test_unpaid_card_orders_hold_stock_for_the_configured_ttl(app, shop):
    order = three_ds_order(shop, shop.lychee, 2)
    with app.app_context():
        stored = db.session.get(Order, order["id"])
        assert stored.expires_at - stored.created_at == dt.timedelta(minutes=30)
    assert stock_of(app, shop.lychee["id"]) == 98


def test_cli_expires_overdue_orders_only_and_returns_their_stock(app, shop, stripe_config):
    overdue = three_ds_order(shop, shop.lychee, 6)
    fresh = three_ds_order(shop, shop.longan, 2)
    paid = shop.buyer.api.post("/orders", order_body([(shop.rice["id"], 2)], "card", CARD_OK))
    cod = shop.buyer.api.post("/orders", order_body([(shop.rice["id"], 3)]))
    assert paid.status_code == cod.status_code == 201
    make_overdue(app, overdue["id"])

    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expired 1 order"

    assert status_of(app, overdue["id"]) == "expired"
    assert status_of(app, fresh["id"]) == "awaiting_payment"
    assert status_of(app, paid.get_json()["id"]) == "paid"
    assert status_of(app, cod.get_json()["id"]) == "placed"
    assert stock_of(app, shop.lychee["id"]) == 100
    assert stock_of(app, shop.longan["id"]) == 18
    assert stock_of(app, shop.rice["id"]) == 45
    view = shop.buyer.api.get(f"/orders/{overdue['id']}").get_json()
    assert view["payment"]["status"] == "expired"
    assert {so["status"] for so in view["seller_orders"]} == {"cancelled"}
    with app.app_context():
        movements = db.session.scalars(
            select(StockMovement).where(StockMovement.order_id == overdue["id"])
        ).all()
        assert sorted(m.delta for m in movements) == [-6, 6]
    # The PaymentIntent was cancelled at the provider: it can no longer be paid.
    intent = requests.get(
        f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents/{overdue['payment']['provider_id']}",
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    ).json()
    assert intent["status"] == "canceled"
    # Running it again finds nothing more.
    again = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert again.output.strip() == "expired 0 orders"
    assert stock_of(app, shop.lychee["id"]) == 100


def test_reading_the_order_list_expires_overdue_orders(app, shop):
    order = three_ds_order(shop, shop.lychee, 5)
    make_overdue(app, order["id"])
    listed = shop.buyer.api.get("/orders").get_json()
    assert listed["items"][0]["status"] == "expired"
    assert stock_of(app, shop.lychee["id"]) == 100


def test_households_reading_their_orders_expire_overdue_ones(app, shop):
    order = three_ds_order(shop, shop.lychee, 5)
    make_overdue(app, order["id"])
    listed = shop.household.api.get("/seller/orders").get_json()
    assert listed["items"][0]["status"] == "cancelled"
    assert listed["items"][0]["order"]["status"] == "expired"
    assert stock_of(app, shop.lychee["id"]) == 100


def test_an_expired_order_cannot_be_cancelled_or_shipped(app, shop):
    order = three_ds_order(shop, shop.lychee, 1)
    make_overdue(app, order["id"])
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "expired"
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    part = order["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{part}/ship").status_code == 409
    assert stock_of(app, shop.lychee["id"]) == 100


def test_stock_held_by_an_overdue_order_is_freed_for_the_next_buyer(app, api, shop):
    from tests.factories import new_user

    held = three_ds_order(shop, shop.longan, 20)  # all of it
    assert stock_of(app, shop.longan["id"]) == 0
    other = new_user(api, "Trịnh Văn Phúc")
    r = other.api.post("/orders", order_body([(shop.longan["id"], 5)]))
    assert r.status_code == 409  # still held: the reservation is not over
    make_overdue(app, held["id"])
    r = other.api.post("/orders", order_body([(shop.longan["id"], 5)]))
    assert r.status_code == 201, r.get_json()
    assert status_of(app, held["id"]) == "expired"
    assert stock_of(app, shop.longan["id"]) == 15
