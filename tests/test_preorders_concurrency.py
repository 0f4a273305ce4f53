"""Pre-orders under races (SQLite and PostgreSQL): the allowance is never exceeded, and a
harvest recorded while pre-orders are being placed includes each of them or refuses it."""

from __future__ import annotations

import concurrent.futures as cf

import pytest
from sqlalchemy import func, select

from marketplace.audit.money import audit
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderLine, SellerOrder
from marketplace.payments.models import Payment
from tests.factories import build_world, new_user
from tests.orders_helpers import order_body, stock_of
from tests.payments_fixtures import CARD_OK
from tests.preorders_helpers import pre_order_product


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def _post(app, token, path, body):
    return app.test_client().post(
        f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def _lines_of(product_id: int, *statuses: str) -> int:
    query = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(SellerOrder, OrderLine.seller_order_id == SellerOrder.id)
        .where(OrderLine.product_id == product_id)
    )
    if statuses:
        query = query.where(SellerOrder.status.in_(statuses))
    return db.session.scalar(query)


@pytest.mark.races
def test_two_hundred_buyers_pre_ordering_the_last_units_never_exceed_the_allowance(app, api, world):
    lychee = pre_order_product(world, expected=20, pre_order_cap_pct=50)  # allowance 10
    assert lychee["stock_quantity"] == 10
    buyers = [new_user(api, f"Người mua {i}") for i in range(40)]
    body = order_body([(lychee["id"], 1)], "card", CARD_OK)
    with cf.ThreadPoolExecutor(32) as pool:
        answers = list(
            pool.map(lambda i: _post(app, buyers[i % 40].token, "/orders", body), range(200))
        )
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 10, statuses
    assert set(statuses) <= {201, 409}, statuses
    assert stock_of(app, lychee["id"]) == 0
    with app.app_context():
        assert _lines_of(lychee["id"], "pre_ordered") == 10
        assert _lines_of(lychee["id"]) == 10 + _lines_of(lychee["id"], "cancelled")
        assert audit(None) == []


@pytest.mark.races
def test_a_harvest_recorded_while_pre_orders_are_placed_includes_or_refuses_each(app, api, world):
    lychee = pre_order_product(world, expected=100)  # allowance 70
    buyers = [new_user(api, f"Khách {i}") for i in range(12)]
    body = order_body([(lychee["id"], 3)], "card", CARD_OK)
    tasks = [("order", buyers[i].token, "/orders", body) for i in range(12)]
    tasks.insert(5, ("harvest", world.household.token, f"/products/{lychee['id']}/harvest", None))

    def run(task):
        name, token, path, payload = task
        return name, _post(app, token, path, payload or {"quantity": 20})

    with cf.ThreadPoolExecutor(13) as pool:
        results = list(pool.map(run, tasks))
    harvest = next(r for name, r in results if name == "harvest")
    assert harvest.status_code == 200, harvest.get_json()
    outcome = harvest.get_json()
    orders = [r for name, r in results if name == "order"]
    assert {r.status_code for r in orders} <= {201, 409}
    with app.app_context():
        # nothing waits for a harvest that has happened: every pre-order was allocated, or
        # refused (409, its deposit refunded if it was charged), or bought from stock after it
        assert _lines_of(lychee["id"], "pending", "pre_ordered") == 0
        deposits = db.session.scalars(
            select(Order).join(Payment).where(Payment.deposit_vnd.is_not(None))
        ).all()
        allocated = [
            o for o in deposits if o.status in ("paid", "cancelled") and o.payment.deposit_paid_at
        ]
        assert len(allocated) == outcome["filled"] + outcome["partial"] + outcome["unfilled"]
        for order in deposits:
            if order.status == "expired":  # refused: a charged deposit came back in full
                assert order.payment.refunded_vnd == order.payment.amount_vnd or (
                    order.payment.status == "expired"
                )
        created = sum(1 for r in orders if r.status_code == 201)
        from_stock = created - len(allocated)
        assert from_stock >= 0
        harvested = 20
        assert stock_of(app, lychee["id"]) == harvested - _lines_of(
            lychee["id"], "confirmed", "shipped", "delivered"
        )
        assert audit(None) == []
