"""POST /payments/stripe/webhook: signatures, each event once, and what each event does."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import time
import uuid

import pytest
import requests
from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Refund, WebhookEvent
from marketplace.payments.signature import sign_payload
from tests.conftest import pg_only
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.payments_fixtures import (
    CARD_3DS,
    CARD_OK,
    TEST_SECRET_KEY,
    TEST_WEBHOOK_SECRET,
    authenticate_3ds,
)

WEBHOOK = "/api/v1/payments/stripe/webhook"


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def event(type_: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": type_,
        "data": {"object": obj},
    }


def deliver(client, payload: dict | bytes, *, secret=TEST_WEBHOOK_SECRET, timestamp=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        WEBHOOK,
        data=body,
        headers={
            "Stripe-Signature": sign_payload(body, secret, timestamp=timestamp),
            "Content-Type": "application/json",
        },
    )


def provider_get(stripe_config, path: str) -> dict:
    r = requests.get(
        f"{stripe_config['STRIPE_API_BASE']}{path}",
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


def three_ds_order(shop, quantity=3) -> dict:
    r = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], quantity)], "card", CARD_3DS)
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "awaiting_payment"
    return r.get_json()


def make_overdue(app, order_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
        db.session.commit()


def events_stored(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(WebhookEvent.event_id)))


# ---- signatures ---------------------------------------------------------------------------


def test_unsigned_or_badly_signed_events_are_refused_and_change_nothing(app, shop, stripe_config):
    order = three_ds_order(shop)
    authenticate_3ds(stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"])
    intent = provider_get(stripe_config, f"/v1/payment_intents/{order['payment']['provider_id']}")
    payload = event("payment_intent.succeeded", intent)
    client = app.test_client()
    body = json.dumps(payload).encode()
    cases = {
        "no header": {},
        "wrong secret": {"Stripe-Signature": sign_payload(body, "whsec_someone_else")},
        "garbage": {"Stripe-Signature": "t=abc,v1=zz"},
        "signature of another body": {"Stripe-Signature": sign_payload(b"{}", TEST_WEBHOOK_SECRET)},
        "too old": {
            "Stripe-Signature": sign_payload(
                body, TEST_WEBHOOK_SECRET, timestamp=int(time.time()) - 301
            )
        },
    }
    for name, headers in cases.items():
        r = client.post(WEBHOOK, data=body, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 400, name
        assert r.get_json()["error"]["code"] == "invalid_signature", name
    assert events_stored(app) == []
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "awaiting_payment"


def test_a_valid_signature_within_five_minutes_is_accepted(app, shop):
    r = deliver(
        app.test_client(),
        event("customer.created", {"id": "cus_1"}),
        timestamp=int(time.time()) - 290,
    )
    assert r.status_code == 200
    assert r.get_json() == {"received": True, "duplicate": False, "outcome": "ignored"}


class TestWithoutSecret:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "STRIPE_WEBHOOK_SECRET": None}

    def test_webhook_answers_503_when_no_secret_is_configured(self, app):
        r = deliver(app.test_client(), event("payment_intent.succeeded", {"id": "pi_x"}))
        assert r.status_code == 503
        assert r.get_json()["error"]["code"] == "payments_unavailable"
        assert events_stored(app) == []


def test_signed_garbage_is_a_bad_request(app):
    client = app.test_client()
    assert deliver(client, b"not json").status_code == 400
    assert deliver(client, b'["no", "id"]').status_code == 400
    assert deliver(client, {"type": "payment_intent.succeeded"}).status_code == 400
    assert events_stored(app) == []


def test_other_event_types_are_acknowledged_and_ignored(app, shop):
    r = deliver(app.test_client(), event("charge.dispute.created", {"id": "dp_1"}, "evt_dispute"))
    assert r.status_code == 200 and r.get_json()["outcome"] == "ignored"
    assert events_stored(app) == ["evt_dispute"]


# ---- what events do -----------------------------------------------------------------------


def test_three_d_secure_success_arrives_by_webhook_and_the_order_is_paid(app, shop, stripe_config):
    order = three_ds_order(shop)
    intent = authenticate_3ds(stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"])
    assert intent["status"] == "succeeded"
    payload = event("payment_intent.succeeded", intent)
    r = deliver(app.test_client(), payload)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["outcome"] == "order awaiting_payment -> paid"
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "paid" and view["payment"]["status"] == "succeeded"
    assert view["payment"]["next_action"] is None
    assert {so["status"] for so in view["seller_orders"]} == {"confirmed"}
    assert stock_of(app, shop.lychee["id"]) == 97
    # The same event again: acknowledged, nothing happens twice.
    again = deliver(app.test_client(), payload)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert events_stored(app) == [payload["id"]]


def test_failed_three_d_secure_fails_the_order_and_releases_the_stock(app, shop, stripe_config):
    order = three_ds_order(shop, quantity=7)
    assert stock_of(app, shop.lychee["id"]) == 93
    intent = authenticate_3ds(
        stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"], success=False
    )
    r = deliver(app.test_client(), event("payment_intent.payment_failed", intent))
    assert r.status_code == 200
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "payment_failed" and view["payment"]["status"] == "failed"
    assert view["payment"]["failure_code"]
    assert stock_of(app, shop.lychee["id"]) == 100


def test_success_for_an_expired_order_is_refunded_automatically(app, shop, stripe_config):
    order = three_ds_order(shop, quantity=5)
    make_overdue(app, order["id"])
    # The buyer reads the order: it expires lazily and the stock comes back.
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "expired"
    assert stock_of(app, shop.lychee["id"]) == 100
    intent = authenticate_3ds(stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"])
    r = deliver(app.test_client(), event("payment_intent.succeeded", intent))
    assert r.status_code == 200, r.get_json()
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "expired"
    assert view["payment"]["status"] == "refunded"
    assert view["payment"]["refunded_vnd"] == order["total_vnd"]
    charge = provider_get(stripe_config, f"/v1/payment_intents/{intent['id']}")["latest_charge"]
    assert charge["amount_refunded"] == order["total_vnd"]
    assert stock_of(app, shop.lychee["id"]) == 100


def test_charge_refunded_outside_the_marketplace_is_recorded(app, shop, stripe_config):
    r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)], "card", CARD_OK))
    order = r.get_json()
    intent_id = order["payment"]["provider_id"]
    refund = requests.post(
        f"{stripe_config['STRIPE_API_BASE']}/v1/refunds",
        data={"payment_intent": intent_id, "amount": "30000"},
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    )
    refund.raise_for_status()
    charge = provider_get(stripe_config, f"/v1/payment_intents/{intent_id}")["latest_charge"]
    r = deliver(app.test_client(), event("charge.refunded", charge))
    assert r.status_code == 200, r.get_json()
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["payment"]["refunded_vnd"] == 30_000
    assert view["payment"]["status"] == "partially_refunded"


def test_success_event_for_an_unknown_intent_is_acknowledged(app, shop):
    r = deliver(
        app.test_client(),
        event("payment_intent.succeeded", {"id": "pi_unknown", "status": "succeeded"}),
    )
    assert r.status_code == 200 and r.get_json()["outcome"] == "unknown payment"


# ---- concurrency --------------------------------------------------------------------------


@pg_only()
def test_the_same_event_delivered_five_times_at_once_is_handled_once(app, shop, stripe_config):
    order = three_ds_order(shop, quantity=4)
    make_overdue(app, order["id"])
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "expired"
    intent = authenticate_3ds(stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"])
    payload = json.dumps(event("payment_intent.succeeded", intent)).encode()

    def send(_):
        return deliver(app.test_client(), payload)

    with cf.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(send, range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert sorted(a.get_json()["duplicate"] for a in answers) == [False, True, True, True, True]
    # Handled once: one late-payment refund, of the total, and one stored event.
    with app.app_context():
        refunds = db.session.scalars(select(Refund)).all()
        assert [r.amount_vnd for r in refunds] == [order["total_vnd"]]
    charge = provider_get(stripe_config, f"/v1/payment_intents/{intent['id']}")["latest_charge"]
    assert charge["amount_refunded"] == order["total_vnd"]
    assert len(events_stored(app)) == 1


def test_localstripe_delivers_the_3ds_success_and_the_order_becomes_paid(
    app, shop, stripe_config, localstripe_url
):
    """End to end: localstripe itself signs and POSTs the event to the running app."""
    import threading

    from werkzeug.serving import make_server

    from tests.payments_fixtures import register_webhook

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}{WEBHOOK}"
    try:
        register_webhook(localstripe_url, url, name="orders-e2e")
        order = three_ds_order(shop, quantity=2)
        authenticate_3ds(localstripe_url, order["payment"]["provider_id"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with app.app_context():
                if db.session.get(Order, order["id"]).status != "awaiting_payment":
                    break
            time.sleep(0.2)
    finally:  # port 9 (discard): nothing listens there
        register_webhook(localstripe_url, "http://127.0.0.1:9/", name="orders-e2e")
        server.shutdown()
        thread.join(timeout=5)
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "paid", view
    assert view["payment"]["status"] == "succeeded"
    with app.app_context():
        types = set(db.session.scalars(select(WebhookEvent.type)))
    assert "payment_intent.succeeded" in types
