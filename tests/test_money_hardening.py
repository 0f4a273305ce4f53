"""Money and stock stay safe under races, slow providers and forged events, on SQLite (the
default of `make run`) as on PostgreSQL; `flask audit money` agrees at the end of every story."""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import func, select

from marketplace.catalogue.models import StockMovement
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment, Refund
from marketplace.payments.signature import sign_payload
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.payments_fixtures import (
    CARD_3DS,
    CARD_OK,
    TEST_SECRET_KEY,
    TEST_WEBHOOK_SECRET,
    authenticate_3ds,
)

pytestmark = pytest.mark.races


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def audit_money(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "money"])
    return result.exit_code, result.output


def post(app, token, path, body=None):
    return app.test_client().post(
        f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def provider_refunded(stripe_config, intent_id: str) -> int:
    """What the provider itself says it refunded of an intent."""
    intent = requests.get(
        f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents/{intent_id}",
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    ).json()
    return sum(c.get("amount_refunded") or 0 for c in intent["charges"]["data"])


def test_twenty_parallel_cancels_of_a_cash_order_restock_it_once(app, shop):
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 5)])).get_json()
    assert stock_of(app, shop.lychee["id"]) == 95

    with cf.ThreadPoolExecutor(20) as pool:
        answers = list(
            pool.map(
                lambda _: post(app, shop.buyer.token, f"/orders/{order['id']}/cancel"), range(20)
            )
        )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 19, statuses
    assert stock_of(app, shop.lychee["id"]) == 100
    with app.app_context():
        back = db.session.scalars(
            select(StockMovement.delta).where(
                StockMovement.product_id == shop.lychee["id"], StockMovement.delta > 0
            )
        ).all()
    assert back == [100, 5]  # the opening stock, then one restock exactly
    assert audit_money(app)[0] == 0


def test_a_buyer_cancel_racing_a_household_cancel_refunds_the_card_once(app, shop, stripe_config):
    for _ in range(3):
        order = shop.buyer.api.post(
            "/orders", order_body([(shop.lychee["id"], 2)], "card", CARD_OK)
        ).get_json()
        assert order["status"] == "paid"
        part = order["seller_orders"][0]["id"]
        tasks = [
            (shop.buyer.token, f"/orders/{order['id']}/cancel", None),
            (shop.household.token, f"/seller-orders/{part}/cancel", {"reason": "Hết hàng"}),
        ]
        with cf.ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(lambda t: post(app, *t).status_code, tasks))
        assert statuses == [200, 409], statuses
        with app.app_context():
            payment = db.session.scalar(select(Payment).where(Payment.order_id == order["id"]))
            refunds = db.session.scalars(
                select(Refund.amount_vnd).where(Refund.payment_id == payment.id)
            ).all()
            assert refunds == [order["total_vnd"]]
            assert payment.refunded_vnd == order["total_vnd"]
        assert (
            provider_refunded(stripe_config, order["payment"]["provider_id"])
            == (order["total_vnd"])
        )
    assert stock_of(app, shop.lychee["id"]) == 100
    code, output = audit_money(app)
    assert code == 0, output


def test_stating_the_stock_while_orders_flow_ends_at_the_stated_quantity(app, shop):
    product_id = shop.lychee["id"]  # stock 100

    def buy(_):
        return post(app, shop.buyer.token, "/orders", order_body([(product_id, 1)])).status_code

    def restate(_):
        return (
            app.test_client()
            .patch(
                f"/api/v1/products/{product_id}",
                json={"stock_quantity": 40},
                headers={"Authorization": f"Bearer {shop.household.token}"},
            )
            .status_code
        )

    with cf.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(buy, i) for i in range(12)] + [pool.submit(restate, 0)]
        statuses = [f.result() for f in futures]
    assert set(statuses) <= {200, 201}, statuses
    with app.app_context():
        stated = db.session.scalar(
            select(StockMovement.resulting_quantity).where(
                StockMovement.product_id == product_id,
                StockMovement.order_id.is_(None),
                StockMovement.delta < 0,
            )
        )
        after = db.session.scalar(
            select(func.count())
            .select_from(StockMovement)
            .where(StockMovement.product_id == product_id, StockMovement.id > 0)
        )
    assert stated == 40  # the household's statement is what it said, whatever sold meanwhile
    assert after == 14  # opening, the statement and 12 sales
    assert audit_money(app)[0] == 0


def _signed(event: dict) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    return body, {
        "Stripe-Signature": sign_payload(body, TEST_WEBHOOK_SECRET),
        "Content-Type": "application/json",
    }


def test_a_signed_event_saying_paid_does_not_pay_an_order_the_provider_has_not_charged(app, shop):
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 3)], "card", CARD_3DS)
    ).get_json()
    assert order["status"] == "awaiting_payment"
    intent_id = order["payment"]["provider_id"]
    forged = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "status": "succeeded",
                "amount": 1000,
                "currency": "usd",
                "metadata": {"payment_id": "1"},
            }
        },
    }
    body, headers = _signed(forged)
    r = app.test_client().post("/api/v1/payments/stripe/webhook", data=body, headers=headers)
    assert r.status_code == 200
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "awaiting_payment"
    assert view["payment"]["status"] == "requires_action"
    assert stock_of(app, shop.lychee["id"]) == 97


def test_a_refunded_payment_never_returns_to_succeeded(app, shop):
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 1)], "card", CARD_OK)
    ).get_json()
    assert shop.buyer.api.post(f"/orders/{order['id']}/cancel").status_code == 200
    replay = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": order["payment"]["provider_id"], "status": "succeeded"}},
    }
    body, headers = _signed(replay)
    assert (
        app.test_client()
        .post("/api/v1/payments/stripe/webhook", data=body, headers=headers)
        .status_code
        == 200
    )
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert (view["status"], view["payment"]["status"]) == ("cancelled", "refunded")


class StallingProxy:
    """Forwards to the real Stripe-compatible server, but answers the first request of each
    listed kind only after the client has given up waiting (the provider did the work)."""

    def __init__(self, target: str, stall_seconds: float, kinds: tuple[str, ...]):
        self.target, self.stall, self.kinds = target, stall_seconds, set(kinds)
        self.stalled: set[str] = set()
        self.seen: list[str] = []

    def __enter__(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                answer = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=30
                )
                kind = f"{self.command} {self.path.split('?')[0]}"
                kind = "confirm" if kind.endswith("/confirm") else kind
                proxy.seen.append(kind)
                if kind in proxy.kinds and kind not in proxy.stalled:
                    proxy.stalled.add(kind)
                    time.sleep(proxy.stall)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("stalled", ["POST /v1/payment_intents", "confirm"])
def test_a_slow_provider_never_charges_a_buyer_twice(app, shop, stripe_config, stalled):
    from marketplace.payments.stripe_client import clear_client_cache

    with StallingProxy(stripe_config["STRIPE_API_BASE"], 1.5, (stalled,)) as proxy:
        # The same app, now reaching the provider through the proxy with a short read timeout.
        app.config.update(STRIPE_API_BASE=proxy.url, STRIPE_TIMEOUT=(2, 0.5))
        try:
            r = shop.buyer.api.post(
                "/orders", order_body([(shop.lychee["id"], 2)], "card", CARD_OK)
            )
            assert r.status_code == 201, r.get_json()
            order = r.get_json()
            assert order["status"] == "paid"
            assert stalled in proxy.seen and proxy.seen.count(stalled) >= 2  # it was retried
            intents = requests.get(
                f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents?limit=100",
                headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
                timeout=10,
            ).json()["data"]
            with app.app_context():
                payment_id = db.session.scalar(
                    select(Payment.id).where(Payment.order_id == order["id"])
                )
            ours = [
                i
                for i in intents
                if (i.get("metadata") or {}).get("payment_id") == str(payment_id)
                and i["metadata"].get("order_number") == order["number"]
            ]
            charged = [i for i in ours if i["status"] == "succeeded"]
            assert [i["id"] for i in charged] == [order["payment"]["provider_id"]]
        finally:
            app.config.update(STRIPE_API_BASE=stripe_config["STRIPE_API_BASE"])
            clear_client_cache()
    code, output = audit_money(app)
    assert code == 0, output


def test_a_second_charge_for_the_same_payment_is_refunded_by_the_webhook(app, shop, stripe_config):
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 1)], "card", CARD_OK)
    ).get_json()
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order["id"]))
        payment_id = payment.id
    # What a provider that ignores Idempotency-Key leaves behind: a second intent, charged.
    base, auth = stripe_config["STRIPE_API_BASE"], {"Authorization": f"Bearer {TEST_SECRET_KEY}"}
    second = requests.post(
        f"{base}/v1/payment_intents",
        data={
            "amount": order["total_vnd"],
            "currency": "vnd",
            "payment_method": CARD_OK,
            "confirm": "true",
            "metadata[payment_id]": str(payment_id),
            "metadata[order_id]": str(order["id"]),
            "metadata[order_number]": order["number"],
        },
        headers=auth,
        timeout=10,
    ).json()
    assert second["status"] == "succeeded"
    assert audit_money(app)[0] == 1  # the audit sees money no order accounts for
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": second["id"], "metadata": {"payment_id": str(payment_id)}}},
    }
    body, headers = _signed(event)
    r = app.test_client().post("/api/v1/payments/stripe/webhook", data=body, headers=headers)
    assert r.status_code == 200 and r.get_json()["outcome"] == "second charge refunded"
    assert provider_refunded(stripe_config, second["id"]) == order["total_vnd"]
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert (view["status"], view["payment"]["refunded_vnd"]) == ("paid", 0)
    code, output = audit_money(app)
    assert code == 0, output


def test_a_household_sees_only_its_own_part_of_a_two_household_order(app, shop):
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 2), (shop.longan["id"], 1)])
    ).get_json()
    assert order["total_vnd"] == 2 * 45_000 + 60_000
    for actor, price in ((shop.household, 90_000), (shop.other_household, 60_000)):
        view = actor.api.get(f"/orders/{order['id']}").get_json()
        assert len(view["seller_orders"]) == 1
        assert view["items_total_vnd"] == view["total_vnd"] == price
        assert view["payment"]["amount_vnd"] == price
        listed = actor.api.get("/seller/orders").get_json()["items"][0]
        assert listed["order"]["payment"]["amount_vnd"] == price
        assert order["total_vnd"] not in (view["total_vnd"], view["payment"]["amount_vnd"])


def test_one_buyer_cannot_hold_a_products_stock_with_unpaid_orders(app, shop):
    body = order_body([(shop.longan["id"], 5)], "card", CARD_3DS)
    first = shop.buyer.api.post("/orders", body)
    second = shop.buyer.api.post("/orders", body)
    assert (first.status_code, second.status_code) == (201, 201)
    third = shop.buyer.api.post("/orders", body)
    assert third.status_code == 409
    assert third.get_json()["error"]["code"] == "conflict"
    assert third.get_json()["error"]["details"]["items"][0]["product_id"] == shop.longan["id"]
    assert stock_of(app, shop.longan["id"]) == 10  # 20 − two held orders, not a third
    # Cash on delivery is not held by an unpaid order: it still works.
    assert shop.buyer.api.post("/orders", order_body([(shop.longan["id"], 1)])).status_code == 201


def test_the_audit_reports_stock_that_does_not_match_its_movements(app, shop):
    assert audit_money(app)[0] == 0
    with app.app_context():
        from marketplace.catalogue.models import Product

        db.session.get(Product, shop.lychee["id"]).stock_quantity = 7
        db.session.commit()
    code, output = audit_money(app)
    assert code == 1
    assert f"product {shop.lychee['id']}" in output and "movements add up to 100" in output


def test_an_order_that_does_not_add_up_is_reported(app, shop):
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)])).get_json()
    with app.app_context():
        db.session.get(Order, order["id"]).total_vnd += 1
        db.session.commit()
    code, output = audit_money(app)
    assert code == 1 and order["number"] in output


def test_the_order_page_and_the_api_agree_on_a_3ds_order_the_provider_settled(
    app, shop, stripe_config
):
    from tests.web import browser as page_browser

    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 1)], "card", CARD_3DS)
    ).get_json()
    authenticate_3ds(stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"])
    browser = page_browser(app, shop.buyer.user["email"])
    page = browser.get(f"/orders/{order['id']}")  # the page alone, before any API read
    assert page.status_code == 200
    assert 'data-testid="order-status"' in page.text
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "paid"
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "paid"
