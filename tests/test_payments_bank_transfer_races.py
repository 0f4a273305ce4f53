"""The bank notifier retries and sends transactions at the same time: the same transaction
delivered twice at once is applied once, and two transfers for one order at once add up exactly.
Each thread has its own test client against the same app (its own session and connection, as
under gunicorn); on SQLite the writes queue, on PostgreSQL the UNIQUE index and the order's row
lock decide."""

from __future__ import annotations

import concurrent.futures as cf
import threading

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.payments.models import BankTransfer, Payment, Refund
from tests.bank_transfer_helpers import BANK_CONFIG, WEBHOOK, audit_is_clean, transaction
from tests.orders_helpers import build_shop, order_body

KEY = {"Authorization": f"Apikey {BANK_CONFIG['BANK_WEBHOOK_API_KEY']}"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, **BANK_CONFIG}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def _at_once(app, bodies: list[dict]) -> list[int]:
    """POST every body from its own thread, released together."""
    start = threading.Barrier(len(bodies))

    def post(body):
        client = app.test_client()
        start.wait()
        return client.post(f"/api/v1{WEBHOOK}", json=body, headers=KEY).status_code

    with cf.ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _order(shop, quantity=10) -> dict:
    r = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], quantity)], "bank_transfer")
    )  # 45,000 × quantity
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _stored(app, order_id):
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        transfers = db.session.scalar(
            select(func.count()).select_from(BankTransfer).where(BankTransfer.order_id == order_id)
        )
        owed = db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount_vnd), 0)).where(
                Refund.payment_id == payment.id
            )
        )
        return payment.amount_received_vnd, transfers, owed, payment.order.status


def test_the_same_transaction_delivered_at_once_is_applied_once(app, shop):
    for _ in range(3):
        order = _order(shop, 2)  # 90,000
        body = transaction(order["payment"]["reference"], 40_000)
        statuses = _at_once(app, [body] * 4)
        assert statuses == [200] * 4
        assert _stored(app, order["id"]) == (40_000, 1, 0, "awaiting_payment")
        # The rest, so that the buyer has no unpaid order holding the product any more.
        assert _at_once(app, [transaction(order["payment"]["reference"], 50_000)]) == [200]
        assert _stored(app, order["id"]) == (90_000, 2, 0, "paid")


def test_different_transfers_for_one_order_at_once_add_up_exactly(app, shop):
    order = _order(shop, 10)  # 450,000
    reference = order["payment"]["reference"]
    bodies = [transaction(f"CK {reference} lan {i}", 50_000) for i in range(6)]
    assert _at_once(app, bodies) == [200] * 6
    assert _stored(app, order["id"]) == (300_000, 6, 0, "awaiting_payment")
    # The last two at once: the first leaves 50,000 due, the second pays it and 50,000 more.
    bodies = [transaction(f"CK {reference} them", 100_000) for _ in range(2)]
    assert _at_once(app, bodies) == [200, 200]
    received, transfers, owed, status = _stored(app, order["id"])
    assert (received, transfers, status) == (500_000, 8, "paid")
    assert owed == 50_000  # exactly the excess, recorded once
    with app.app_context():
        outcomes = sorted(
            db.session.scalars(
                select(BankTransfer.outcome).where(BankTransfer.outcome != "partial")
            )
        )
        assert outcomes == ["overpaid"]
    assert audit_is_clean(app)
