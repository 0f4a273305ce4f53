"""Checkout under load and races on PostgreSQL (row locks): no oversell, no deadlock, one winner.

Each thread has its own test client against the same app, so each request has its own session
and database connection, as under gunicorn.
"""

from __future__ import annotations

import concurrent.futures as cf

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product, StockMovement
from marketplace.extensions import db
from marketplace.orders.models import OrderLine
from marketplace.payments.models import Refund
from tests.conftest import TEST_DB, recorded_statements
from tests.factories import new_product, new_user
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.payments_fixtures import CARD_OK


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def _post(app, token, body):
    return app.test_client().post(
        "/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def test_checkout_statements_do_not_grow_with_the_items_beyond_the_stock_updates(app, shop):
    extra = [
        new_product(shop.household, shop.world.coop_admin, name=f"Vải thiều lô {i}")
        for i in range(4)
    ]
    counts = {}
    with recorded_statements(app) as statements:
        for items in (
            [(shop.lychee["id"], 1)],
            [(p["id"], 1) for p in extra] + [(shop.longan["id"], 1)],
        ):
            statements.clear()
            r = shop.buyer.api.post("/orders", order_body(items))
            assert r.status_code == 201, r.get_json()
            counts[len(items)] = (
                len(statements),
                sum(1 for s in statements if s.startswith("UPDATE products")),
            )
    (one, one_updates), (five, five_updates) = counts[1], counts[5]
    assert (one_updates, five_updates) == (1, 5)
    if TEST_DB == "postgres":
        # Two households instead of one and four more products: only the four stock UPDATEs
        # more (lines and stock movements go out as one batched INSERT each).
        assert five - one == 4, counts
    else:
        # SQLite cannot batch INSERT … RETURNING in order: one INSERT per line and seller order
        # (the stock movements need no ids back: one executemany).
        assert five - one == 4 * 2 + 1, counts


@pytest.mark.races
def test_sixty_buyers_race_for_the_last_ten_units_and_exactly_ten_are_sold(app, api, shop):
    last = new_product(
        shop.household, shop.world.coop_admin, name="Vải thiều cuối vụ", stock_quantity=10
    )
    buyers = [new_user(api, f"Khách hàng {i}") for i in range(12)]
    tokens = [buyers[i % len(buyers)].token for i in range(60)]
    body = order_body([(last["id"], 1)])

    with cf.ThreadPoolExecutor(60) as pool:
        answers = list(pool.map(lambda t: _post(app, t, body), tokens))
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 10, statuses
    assert statuses.count(409) == 50, statuses
    for a in answers:
        if a.status_code == 409:
            error = a.get_json()["error"]
            assert error["code"] == "insufficient_stock"
            assert error["details"]["items"][0]["product_id"] == last["id"]
    assert stock_of(app, last["id"]) == 0
    with app.app_context():
        sold = db.session.scalar(
            select(func.sum(OrderLine.quantity)).where(OrderLine.product_id == last["id"])
        )
        assert sold == 10
        lowest = db.session.scalar(
            select(func.min(StockMovement.resulting_quantity)).where(
                StockMovement.product_id == last["id"]
            )
        )
        assert lowest == 0


@pytest.mark.races
def test_two_hundred_buyers_for_the_last_ten_units_never_oversell(app, api, shop):
    last = new_product(shop.household, shop.world.coop_admin, name="Nhãn muộn", stock_quantity=10)
    buyers = [new_user(api, f"Người mua {i}") for i in range(20)]
    body = order_body([(last["id"], 1)])
    with cf.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda i: _post(app, buyers[i % 20].token, body), range(200)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 10 and statuses.count(409) == 190, statuses
    with app.app_context():
        assert db.session.get(Product, last["id"]).stock_quantity == 0


@pytest.mark.races
def test_orders_locking_the_same_products_in_any_order_do_not_deadlock(app, api, shop):
    a, b = shop.lychee, shop.longan  # stock 100 and 20
    buyers = [new_user(api, f"Khách {i}") for i in range(4)]
    bodies = [
        order_body([(a["id"], 1), (b["id"], 1)]),
        order_body([(b["id"], 1), (a["id"], 1)]),
    ]

    def buy(i):
        return _post(app, buyers[i % 4].token, bodies[i % 2])

    with cf.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(buy, range(30)))
    statuses = [x.status_code for x in answers]
    assert set(statuses) <= {201, 409}, statuses
    made = statuses.count(201)
    assert made == 20  # the longan runs out after 20 orders
    assert stock_of(app, a["id"]) == 100 - made and stock_of(app, b["id"]) == 0


@pytest.mark.races
def test_buyer_cancel_and_household_shipment_race_and_only_one_wins(app, shop):
    for _ in range(5):
        order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)])).get_json()
        part = order["seller_orders"][0]["id"]
        tasks = [
            ("cancel", shop.buyer.token, f"/api/v1/orders/{order['id']}/cancel"),
            ("ship", shop.household.token, f"/api/v1/seller-orders/{part}/ship"),
        ]

        def run(task):
            name, token, path = task
            r = app.test_client().post(path, headers={"Authorization": f"Bearer {token}"})
            return name, r.status_code

        with cf.ThreadPoolExecutor(2) as pool:
            results = dict(pool.map(run, tasks))
        assert sorted(results.values()) == [200, 409], results
        view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
        if results["cancel"] == 200:
            assert view["status"] == "cancelled"
            assert view["seller_orders"][0]["status"] == "cancelled"
        else:
            assert view["status"] == "placed"
            assert view["seller_orders"][0]["status"] == "shipped"
    # Stock: 2 per order still sold for every order that shipped, none for cancelled ones.
    shipped = shop.household.api.get("/seller/orders?status=shipped").get_json()["total"]
    assert stock_of(app, shop.lychee["id"]) == 100 - 2 * shipped


class TestCardRaces:
    @pytest.fixture
    def app_config(self, app_config, stripe_config):
        return {**app_config, **stripe_config}

    @pytest.mark.races
    def test_concurrent_cancels_of_a_paid_order_refund_once(self, app, shop):
        order = shop.buyer.api.post(
            "/orders", order_body([(shop.lychee["id"], 3)], "card", CARD_OK)
        ).get_json()
        assert order["status"] == "paid"

        def cancel(_):
            return (
                app.test_client()
                .post(
                    f"/api/v1/orders/{order['id']}/cancel",
                    headers={"Authorization": f"Bearer {shop.buyer.token}"},
                )
                .status_code
            )

        with cf.ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(cancel, range(6)))
        assert sorted(statuses) == [200] + [409] * 5, statuses
        with app.app_context():
            refunds = db.session.scalars(select(Refund)).all()
            assert [r.amount_vnd for r in refunds] == [order["total_vnd"]]
        assert stock_of(app, shop.lychee["id"]) == 100
