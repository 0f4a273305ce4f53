"""Card checkout against a real localstripe: success, decline, 3-D Secure, the provider down,
and refunds when the buyer or a household cancels."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment, Refund
from tests.orders_helpers import build_shop, order_body, order_count, stock_of
from tests.payments_fixtures import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_NUMBERS,
    CARD_OK,
    TEST_SECRET_KEY,
    create_card_payment_method,
)


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def provider_intent(stripe_config, intent_id: str) -> dict:
    r = requests.get(
        f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents/{intent_id}",
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


def card_order(shop, items, card=CARD_OK, **kw):
    return shop.buyer.api.post("/orders", order_body(items, "card", card), **kw)


def stored_payment(app, order_id) -> Payment:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        db.session.expunge(payment)
        return payment


def test_card_payment_succeeds_and_the_order_is_paid(app, shop, stripe_config):
    r = card_order(shop, [(shop.lychee["id"], 2), (shop.longan["id"], 1)])
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "paid"
    assert order["total_vnd"] == 2 * 45_000 + 60_000
    assert order["payment"]["method"] == "card"
    assert order["payment"]["status"] == "succeeded"
    assert order["payment"]["provider_id"].startswith("pi_")
    assert {so["status"] for so in order["seller_orders"]} == {"confirmed"}
    assert order["expires_at"] is None
    intent = provider_intent(stripe_config, order["payment"]["provider_id"])
    # VND is zero-decimal: the amount is sent as-is, never × 100.
    assert intent["amount"] == 150_000 and intent["currency"] == "vnd"
    assert intent["status"] == "succeeded"
    assert intent["metadata"]["order_id"] == str(order["id"])
    assert intent["metadata"]["order_number"] == order["number"]
    assert stock_of(app, shop.lychee["id"]) == 98
    payment = stored_payment(app, order["id"])
    assert payment.provider_id == intent["id"] and payment.status == "succeeded"
    assert payment.amount_vnd == 150_000


def test_card_made_in_the_browser_from_a_card_number_works_too(app, shop, stripe_config):
    pm = create_card_payment_method(stripe_config["STRIPE_API_BASE"], CARD_NUMBERS["ok"])
    r = card_order(shop, [(shop.lychee["id"], 1)], pm)
    assert r.status_code == 201 and r.get_json()["status"] == "paid"


def test_declined_card_answers_402_fails_the_order_and_releases_the_stock(app, shop):
    r = card_order(shop, [(shop.lychee["id"], 3), (shop.longan["id"], 2)], CARD_DECLINED)
    assert r.status_code == 402, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "payment_declined"
    assert error["details"]["decline_code"] == "card_declined"
    assert stock_of(app, shop.lychee["id"]) == 100
    assert stock_of(app, shop.longan["id"]) == 20
    order_id = error["details"]["order_id"]
    view = shop.buyer.api.get(f"/orders/{order_id}").get_json()
    assert view["status"] == "payment_failed"
    assert view["payment"]["status"] == "failed"
    assert {so["status"] for so in view["seller_orders"]} == {"cancelled"}
    with app.app_context():
        assert db.session.get(Order, order_id).status == "payment_failed"
    # The household has nothing to ship.
    part = view["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{part}/ship").status_code in (404, 409)


def test_three_d_secure_leaves_the_order_awaiting_payment_with_the_next_action(app, shop):
    r = card_order(shop, [(shop.lychee["id"], 4)], CARD_3DS)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "awaiting_payment"
    assert order["payment"]["status"] == "requires_action"
    assert order["payment"]["next_action"]
    assert order["payment"]["provider_id"].startswith("pi_")
    assert order["expires_at"] is not None
    assert {so["status"] for so in order["seller_orders"]} == {"pending"}
    assert stock_of(app, shop.lychee["id"]) == 96  # held until paid or expired
    # Nothing to ship before the money arrives, and the buyer cannot cancel it either.
    part = order["seller_orders"][0]["id"]
    r = shop.household.api.post(f"/seller-orders/{part}/ship")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    r = shop.household.api.post(f"/seller-orders/{part}/cancel", {"reason": "Hết"})
    assert r.status_code == 409


class TestProviderDown:
    @pytest.fixture
    def app_config(self, app_config, closed_port_url):
        return {**app_config, "STRIPE_API_BASE": closed_port_url}

    def test_checkout_answers_502_and_no_stock_is_lost(self, app, shop):
        r = card_order(shop, [(shop.lychee["id"], 5)])
        assert r.status_code == 502, r.get_json()
        assert r.get_json()["error"]["code"] == "payment_provider_error"
        assert stock_of(app, shop.lychee["id"]) == 100
        with app.app_context():
            orders = db.session.scalars(select(Order)).all()
            # The attempt is kept as a failed order (a late success would be refunded).
            assert [o.status for o in orders] == ["payment_failed"]
        # Nothing shows as something to ship or pay.
        assert shop.household.api.get("/seller/orders?status=confirmed").get_json()["total"] == 0

    def test_cash_on_delivery_still_works(self, app, shop):
        r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)]))
        assert r.status_code == 201 and r.get_json()["status"] == "placed"


# ---- refunds ------------------------------------------------------------------------------


def test_buyer_cancels_a_paid_order_and_is_refunded_in_full(app, shop, stripe_config):
    order = card_order(shop, [(shop.lychee["id"], 2), (shop.longan["id"], 1)]).get_json()
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel", {"reason": "Đổi ý"})
    assert r.status_code == 200, r.get_json()
    cancelled = r.get_json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["payment"]["status"] == "refunded"
    assert cancelled["payment"]["refunded_vnd"] == order["total_vnd"]
    charge = provider_intent(stripe_config, order["payment"]["provider_id"])["latest_charge"]
    assert charge["amount_refunded"] == order["total_vnd"] and charge["refunded"] is True
    assert stock_of(app, shop.lychee["id"]) == 100 and stock_of(app, shop.longan["id"]) == 20
    with app.app_context():
        refunds = db.session.scalars(select(Refund)).all()
        assert [(r.amount_vnd, r.status) for r in refunds] == [(order["total_vnd"], "succeeded")]
        assert refunds[0].provider_id.startswith("re_")
    # A second cancel refunds nothing more.
    assert shop.buyer.api.post(f"/orders/{order['id']}/cancel").status_code == 409
    charge = provider_intent(stripe_config, order["payment"]["provider_id"])["latest_charge"]
    assert charge["amount_refunded"] == order["total_vnd"]


def test_household_cancelling_its_part_refunds_only_that_part(app, shop, stripe_config):
    order = card_order(shop, [(shop.lychee["id"], 2), (shop.longan["id"], 1)]).get_json()
    theirs = next(
        so
        for so in order["seller_orders"]
        if so["seller"]["id"] == shop.other_household.seller["id"]
    )
    r = shop.other_household.api.post(
        f"/seller-orders/{theirs['id']}/cancel", {"reason": "Nhãn chưa chín"}
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["order"]["payment"]["status"] == "partially_refunded"
    assert r.get_json()["order"]["payment"]["refunded_vnd"] == 60_000
    charge = provider_intent(stripe_config, order["payment"]["provider_id"])["latest_charge"]
    assert charge["amount_refunded"] == 60_000
    assert stock_of(app, shop.longan["id"]) == 20 and stock_of(app, shop.lychee["id"]) == 98
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "paid"
    # The buyer then cancels the rest: refunded up to the total, never more.
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
    assert r.status_code == 200
    assert r.get_json()["payment"]["status"] == "refunded"
    charge = provider_intent(stripe_config, order["payment"]["provider_id"])["latest_charge"]
    assert charge["amount_refunded"] == order["total_vnd"]
    with app.app_context():
        amounts = sorted(r.amount_vnd for r in db.session.scalars(select(Refund)))
        assert amounts == [60_000, 90_000]


def test_paid_order_delivered_completes_without_refund(app, shop):
    order = card_order(shop, [(shop.lychee["id"], 1)]).get_json()
    part = order["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{part}/ship").status_code == 200
    assert shop.household.api.post(f"/seller-orders/{part}/deliver").status_code == 200
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "completed" and view["payment"]["status"] == "succeeded"
    assert view["payment"]["refunded_vnd"] == 0


class TestRefundWhileProviderDown:
    def test_cancel_answers_502_and_changes_nothing(self, app, shop, closed_port_url):
        order = card_order(shop, [(shop.lychee["id"], 2)]).get_json()
        app.config["STRIPE_API_BASE"] = closed_port_url
        r = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
        assert r.status_code == 502 and r.get_json()["error"]["code"] == "payment_provider_error"
        view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
        assert view["status"] == "paid" and view["payment"]["refunded_vnd"] == 0
        assert stock_of(app, shop.lychee["id"]) == 98
        with app.app_context():
            assert db.session.scalars(select(Refund)).all() == []
        assert order_count(app) == 1


def test_unknown_payment_method_is_the_buyers_mistake_and_no_stock_is_lost(app, shop):
    r = card_order(shop, [(shop.lychee["id"], 2)], "pm_khong_ton_tai")
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == {"card": {"payment_method_id": ["Unknown payment method."]}}
    assert stock_of(app, shop.lychee["id"]) == 100
    with app.app_context():
        assert [o.status for o in db.session.scalars(select(Order))] == ["payment_failed"]


def test_buyer_reading_a_3ds_order_after_the_challenge_sees_it_paid_without_webhook(
    app, shop, stripe_config
):
    from tests.payments_fixtures import authenticate_3ds

    order = card_order(shop, [(shop.lychee["id"], 2)], CARD_3DS).get_json()
    assert order["status"] == "awaiting_payment"
    # Before the challenge the provider still waits: nothing changes.
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "awaiting_payment"
    authenticate_3ds(stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"])
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "paid" and view["payment"]["status"] == "succeeded"
    assert {so["status"] for so in view["seller_orders"]} == {"confirmed"}
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "paid"
    assert stock_of(app, shop.lychee["id"]) == 98


def test_buyer_reading_a_3ds_order_after_a_failed_challenge_sees_it_failed(
    app, shop, stripe_config
):
    from tests.payments_fixtures import authenticate_3ds

    order = card_order(shop, [(shop.lychee["id"], 6)], CARD_3DS).get_json()
    authenticate_3ds(
        stripe_config["STRIPE_API_BASE"], order["payment"]["provider_id"], success=False
    )
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "payment_failed" and view["payment"]["status"] == "failed"
    assert stock_of(app, shop.lychee["id"]) == 100
