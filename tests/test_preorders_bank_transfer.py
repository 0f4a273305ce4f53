"""A pre-order's deposit paid by bank transfer: the VietQR asks for the deposit only, the bank
notifier's webhook (a real HTTP call to the served app, with the notifier's API key) makes it
`pre_ordered`, and the harvest serves it by the time its deposit was paid, next to card deposits.
What the harvest gives back of a bank-transfer deposit is recorded as owed to the buyer (refunded by
hand, listed for the platform admin), as every bank-transfer refund."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.payments import vietqr
from marketplace.payments.models import Payment, Refund
from tests.bank_transfer_helpers import BANK_CONFIG, WEBHOOK, audit_is_clean, transaction
from tests.factories import build_world, new_product
from tests.orders_helpers import order_body
from tests.preorders_helpers import buyers, harvest, placed, pre_order, pre_order_product

KEY = BANK_CONFIG["BANK_WEBHOOK_API_KEY"]


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config, **BANK_CONFIG}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


@pytest.fixture
def notifier(live_server):
    """The bank notifier: POSTs a transaction to the served app's webhook over HTTP."""
    session = requests.Session()

    def post(body: dict, key: str | None = KEY) -> requests.Response:
        headers = {"Authorization": f"Apikey {key}"} if key is not None else {}
        return session.post(
            f"{live_server}/api/v1{WEBHOOK}", json=body, headers=headers, timeout=30
        )

    yield post
    session.close()


def bank_pre_order(buyer, product_id: int, quantity: int) -> dict:
    return placed(buyer.api.post("/orders", order_body([(product_id, quantity)], "bank_transfer")))


def stored_payment(app, order_id: int) -> Payment:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        db.session.expunge(payment)
        return payment


def refunds_of(app, order_id: int) -> list[tuple[str, int, str]]:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        return [(r.scope, r.amount_vnd, r.status) for r in payment.refunds]


def test_the_vietqr_asks_for_the_deposit_and_the_exact_transfer_makes_it_pre_ordered(
    app, api, world, notifier
):
    lychee = pre_order_product(world, expected=100)  # 45,000 VND/kg, deposit 30 %
    order = bank_pre_order(world.buyer, lychee["id"], 20)  # 900,000 → deposit 270,000
    assert order["status"] == "awaiting_payment"
    assert [so["status"] for so in order["seller_orders"]] == ["pending"]
    payment = order["payment"]
    assert order["total_vnd"] == 900_000  # the full price stays the order's total
    assert (payment["deposit_vnd"], payment["amount_vnd"], payment["amount_due_vnd"]) == (
        270_000,
        270_000,
        270_000,
    )
    code = payment["vietqr"]
    assert vietqr.crc_is_valid(code)
    assert vietqr.parse(code)["54"] == "270000"  # the deposit, not the 900,000 of the order
    assert vietqr.parse(vietqr.parse(code)["62"]) == {"08": payment["reference"]}
    assert api.get(f"/products/{lychee['id']}").get_json()["stock_quantity"] == 50

    # A wrong key is refused and changes nothing.
    body = transaction(f"CK {payment['reference']} dat coc vai", 270_000)
    r = notifier(body, key="not-the-key")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert world.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "awaiting_payment"

    # The notifier reports the buyer's transfer of exactly the deposit.
    r = notifier(body)
    assert (r.status_code, r.json()) == (200, {"success": True})
    seen = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert seen["status"] == "paid"
    assert [so["status"] for so in seen["seller_orders"]] == ["pre_ordered"]
    assert seen["seller_orders"][0]["ship_by"] is None  # counted from the harvest
    assert seen["payment"]["status"] == "succeeded"
    assert seen["payment"]["amount_received_vnd"] == 270_000
    assert seen["payment"]["vietqr"] is None and seen["payment"]["deposit_paid_at"] is not None
    assert seen["total_vnd"] == 900_000
    # The same transaction delivered again changes nothing (handled once).
    assert notifier(body).status_code == 200
    assert stored_payment(app, order["id"]).amount_received_vnd == 270_000
    assert refunds_of(app, order["id"]) == []
    assert audit_is_clean(app)


def test_a_transfer_of_another_amount_does_not_pay_the_deposit(app, world, notifier):
    lychee = pre_order_product(world, expected=100)
    order = bank_pre_order(world.buyer, lychee["id"], 10)  # 450,000 → deposit 135,000
    reference = order["payment"]["reference"]
    # The buyer typed a wrong amount: 100,000 < the 135,000 due.
    assert notifier(transaction(reference, 100_000)).status_code == 200
    seen = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert seen["status"] == "awaiting_payment"
    assert [so["status"] for so in seen["seller_orders"]] == ["pending"]
    assert seen["payment"]["status"] == "pending" and seen["payment"]["deposit_paid_at"] is None
    assert seen["payment"]["amount_received_vnd"] == 100_000
    assert vietqr.parse(seen["payment"]["vietqr"])["54"] == "35000"  # what is still due
    # A harvest now does not count it: only paid deposits are served, this order is expired and
    # what had arrived is owed back.
    r = harvest(world.household, lychee["id"], 40)
    assert r.get_json() == {
        "filled": 0,
        "partial": 0,
        "unfilled": 0,
        "stock_added": 40,
    }
    seen = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert seen["status"] == "expired"
    assert refunds_of(app, order["id"]) == [(f"order-{order['id']}", 100_000, "owed")]
    assert audit_is_clean(app)


def test_a_buyer_who_transfers_the_full_price_pre_orders_and_is_owed_the_rest_back(
    app, world, notifier
):
    lychee = pre_order_product(world, expected=100)
    order = bank_pre_order(world.buyer, lychee["id"], 10)  # 450,000, deposit 135,000
    assert notifier(transaction(order["payment"]["reference"], 450_000)).status_code == 200
    seen = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert seen["status"] == "paid"
    assert [so["status"] for so in seen["seller_orders"]] == ["pre_ordered"]
    (refund,) = refunds_of(app, order["id"])
    assert refund[1:] == (315_000, "owed")  # more than the deposit: the excess is owed back
    assert audit_is_clean(app)


def test_the_harvest_serves_bank_and_card_deposits_by_payment_time_and_owes_back_the_shortfall(
    app, api, world, notifier
):
    lychee = pre_order_product(world, expected=100)
    anh, binh, chi = buyers(api, 3)
    # Anh orders first but pays by bank transfer only after Bình has paid by card.
    anh_order = bank_pre_order(anh, lychee["id"], 20)  # deposit 270,000
    binh_order = placed(pre_order(binh, lychee["id"], 20))  # card: paid at once
    assert binh_order["status"] == "paid"
    assert notifier(transaction(anh_order["payment"]["reference"], 270_000)).status_code == 200
    chi_order = bank_pre_order(chi, lychee["id"], 20)
    assert notifier(transaction(chi_order["payment"]["reference"], 270_000)).status_code == 200
    paid_at = {
        name: stored_payment(app, o["id"]).deposit_paid_at
        for name, o in (("anh", anh_order), ("binh", binh_order), ("chi", chi_order))
    }
    assert paid_at["binh"] < paid_at["anh"] < paid_at["chi"]

    # 30 kg: Bình (paid first) whole, Anh 10 of 20, Chi nothing.
    r = harvest(world.household, lychee["id"], 30)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"filled": 1, "partial": 1, "unfilled": 1, "stock_added": 0}

    binh_seen = binh.api.get(f"/orders/{binh_order['id']}").get_json()
    assert binh_seen["seller_orders"][0]["status"] == "confirmed"
    assert binh_seen["payment"]["refunded_vnd"] == 0

    anh_seen = anh.api.get(f"/orders/{anh_order['id']}").get_json()
    anh_part = anh_seen["seller_orders"][0]
    assert anh_part["status"] == "confirmed" and anh_part["ship_by"] is not None
    assert (anh_part["lines"][0]["quantity"], anh_part["lines"][0]["pre_ordered_quantity"]) == (
        10,
        20,
    )
    assert anh_seen["total_vnd"] == 450_000
    # Half the deposit (the 10 kg not harvested) is owed back to Anh, by hand.
    assert refunds_of(app, anh_order["id"]) == [(f"harvest-{anh_part['id']}", 135_000, "owed")]

    chi_seen = chi.api.get(f"/orders/{chi_order['id']}").get_json()
    assert chi_seen["status"] == "cancelled"
    assert chi_seen["seller_orders"][0]["status"] == "cancelled"
    assert chi_seen["seller_orders"][0]["cancel_reason"] == "harvest_shortfall"
    chi_part = chi_seen["seller_orders"][0]["id"]
    assert refunds_of(app, chi_order["id"]) == [(f"harvest-{chi_part}", 270_000, "owed")]

    # Each is told that the deposit will be transferred back (by hand), not that it was refunded.
    for buyer, amount in ((anh, "135.000"), (chi, "270.000")):
        cut = [
            n["text"]
            for n in buyer.api.get("/me/notifications").get_json()["items"]
            if n["event"] == "preorder.cut"
        ]
        assert len(cut) == 1 and amount in cut[0], cut
        assert "chuyển khoản trả lại" in cut[0] and "được hoàn lại" not in cut[0], cut

    # The platform admin sees both amounts owed, refunds them by hand and records it.
    admin = world.admin.api
    owed = admin.get("/payments/bank-refunds?status=owed").get_json()
    assert sorted((i["order"]["number"], i["amount_vnd"]) for i in owed["items"]) == sorted(
        [(anh_order["number"], 135_000), (chi_order["number"], 270_000)]
    )
    assert all(i["reason"] == "harvest_shortfall" for i in owed["items"])
    for item in owed["items"]:
        r = admin.post(f"/payments/bank-refunds/{item['id']}/refunded", {"reference": "FT2634"})
        assert r.status_code == 200 and r.get_json()["status"] == "refunded"
    assert admin.get("/payments/bank-refunds?status=owed").get_json()["total"] == 0
    assert audit_is_clean(app)

    # Anh pays the rest on delivery: 450,000 less the 135,000 of the deposit kept.
    household = world.household.api
    assert household.post(f"/seller-orders/{anh_part['id']}/ship").status_code == 200
    assert household.post(f"/seller-orders/{anh_part['id']}/deliver").status_code == 200
    assert stored_payment(app, anh_order["id"]).collected_vnd == 315_000
    assert audit_is_clean(app)


def test_a_household_cancelling_a_bank_transfer_pre_order_owes_back_the_deposit_only(
    app, world, notifier
):
    lychee = pre_order_product(world, expected=100)
    order = bank_pre_order(world.buyer, lychee["id"], 10)  # 450,000, deposit 135,000
    assert notifier(transaction(order["payment"]["reference"], 135_000)).status_code == 200
    part = order["seller_orders"][0]["id"]
    r = world.household.api.post(f"/seller-orders/{part}/cancel", {"reason": "Sâu bệnh"})
    assert r.status_code == 200, r.get_json()
    # What was paid (the deposit), not the 450,000 the order would have cost.
    assert refunds_of(app, order["id"]) == [(f"seller-order-{part}", 135_000, "owed")]
    assert audit_is_clean(app)


def test_cash_on_delivery_is_still_refused_for_a_pre_order(app, world):
    lychee = pre_order_product(world, expected=100)
    r = world.buyer.api.post("/orders", order_body([(lychee["id"], 5)], "cod"))
    assert r.status_code == 422
    message = r.get_json()["error"]["details"]["payment_method"][0]
    assert "card or bank transfer" in message
    with app.app_context():
        assert db.session.scalar(select(Refund.id)) is None


def test_a_lighter_crate_paid_by_bank_transfer_is_owed_back_its_difference(app, world, notifier):
    crate = new_product(world.household, world.coop_admin, catch_weight=True)  # 45,000 VND/kg
    order = placed(
        world.buyer.api.post("/orders", order_body([(crate["id"], 5)], "bank_transfer"))
    )  # 225,000 paid in full
    assert notifier(transaction(order["payment"]["reference"], 225_000)).status_code == 200
    part = order["seller_orders"][0]["id"]
    r = world.household.api.post(
        f"/seller-orders/{part}/ship",
        {"lines": [{"product_id": crate["id"], "actual_weight_g": 4_700}]},
    )
    assert r.status_code == 200, r.get_json()
    # 4.7 kg cost 211,500: the 13,500 paid for the missing 300 g is owed back.
    assert world.buyer.api.get(f"/orders/{order['id']}").get_json()["total_vnd"] == 211_500
    assert refunds_of(app, order["id"]) == [(f"weighed-{part}", 13_500, "owed")]
    assert audit_is_clean(app)
