"""Bank transfer by VietQR: the buyer gets a code with the amount and the order's reference, pays
from a banking app (in one or several transfers), and the bank notifier's webhook settles the order.
Money that arrives too late, too much, or for an order cancelled after it was paid is recorded as
owed back to the buyer, for the platform admin to refund by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments import vietqr
from marketplace.payments.models import BankTransfer, Payment, Refund
from tests.bank_transfer_helpers import BANK_CONFIG, WEBHOOK, audit_is_clean, notify, transaction
from tests.delivery_helpers import COLD_TRUCK, HA_NOI, new_method
from tests.orders_helpers import build_shop, order_body, order_count, stock_of
from tests.qr_images import decode_svg


@pytest.fixture
def app_config(app_config):
    return {**app_config, **BANK_CONFIG}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def bank_order(shop, items=None) -> dict:
    """2 kg of lychee (90,000) from one household and 1 kg of longan (60,000) from the other."""
    items = items or [(shop.lychee["id"], 2), (shop.longan["id"], 1)]
    r = shop.buyer.api.post("/orders", order_body(items, "bank_transfer"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def transfers_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BankTransfer))


def owed(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [
            (r.scope, r.amount_vnd, r.status)
            for r in db.session.scalars(select(Refund).order_by(Refund.id))
        ]


# ---- checkout -----------------------------------------------------------------------------


def test_buyer_paying_by_bank_transfer_gets_the_reference_and_a_vietqr_to_scan(app, shop):
    order = bank_order(shop)
    assert order["status"] == "awaiting_payment"
    assert {so["status"] for so in order["seller_orders"]} == {"pending"}
    payment = order["payment"]
    reference = order["number"].replace("-", "")
    assert payment["method"] == "bank_transfer" and payment["status"] == "pending"
    assert payment["reference"] == reference
    assert (payment["amount_due_vnd"], payment["amount_received_vnd"]) == (150_000, 0)
    # The code a banking app reads: our account at Vietcombank, the amount, the reference.
    code = payment["vietqr"]
    assert vietqr.crc_is_valid(code)
    top = vietqr.parse(code)
    assert (top["00"], top["01"], top["53"], top["54"], top["58"]) == (
        "01",
        "12",
        "704",
        "150000",
        "VN",
    )
    merchant = vietqr.parse(top["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert vietqr.parse(merchant["01"]) == {"00": "970436", "01": "1023456789"}
    assert vietqr.parse(top["62"]) == {"08": reference}
    # Stock is held for BANK_TRANSFER_TTL_MINUTES.
    assert stock_of(app, shop.lychee["id"]) == 98 and stock_of(app, shop.longan["id"]) == 19
    with app.app_context():
        stored = db.session.get(Order, order["id"])
        assert stored.expires_at - stored.created_at == dt.timedelta(minutes=60)


def test_only_the_buyer_gets_the_code_as_an_svg(app, api, shop):
    order = bank_order(shop)
    path = f"/orders/{order['id']}/vietqr.svg"
    r = shop.buyer.api.get(path)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert b"<svg" in r.data and r.data.rstrip().endswith(b"</svg>")
    # An independent QR reader reads back exactly the payload of the order.
    assert decode_svg(r.get_data(as_text=True)) == [order["payment"]["vietqr"]]
    assert shop.household.api.get(path).status_code == 404  # sees its part, not the code
    part = shop.household.api.get(f"/orders/{order['id']}").get_json()["payment"]
    assert (part["reference"], part["vietqr"], part["amount_received_vnd"]) == (None, None, None)
    assert part["amount_due_vnd"] == 90_000  # its own 2 kg of lychee, not the whole order
    assert shop.world.other_coop_admin.api.get(path).status_code == 404
    assert api.get(path).status_code == 401
    cod = shop.buyer.api.post("/orders", order_body([(shop.rice["id"], 2)])).get_json()
    r = shop.buyer.api.get(f"/orders/{cod['id']}/vietqr.svg")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


class TestUnconfigured:
    @pytest.fixture(params=list(BANK_CONFIG)[:4])
    def app_config(self, app_config, request):
        return {**app_config, request.param: None}

    def test_bank_transfer_answers_503_and_writes_nothing(self, app, shop):
        r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)], "bank_transfer"))
        assert r.status_code == 503, r.get_json()
        assert r.get_json()["error"]["code"] == "payments_unavailable"
        assert order_count(app) == 0 and stock_of(app, shop.lychee["id"]) == 100


def test_a_bank_transfer_order_takes_no_card(app, shop):
    body = order_body([(shop.lychee["id"], 1)], "bank_transfer", "pm_card_visa")
    r = shop.buyer.api.post("/orders", body)
    assert r.status_code == 422 and "card" in r.get_json()["error"]["details"]


# ---- the notifier -------------------------------------------------------------------------


def test_buyer_pays_in_two_transfers_and_the_households_see_the_order_confirmed(app, api, shop):
    order = bank_order(shop)
    reference = order["payment"]["reference"]
    # The first transfer: the reference in lower case between the bank's own text.
    first = transaction(f"MBVCB.3278907687.{reference.lower()}.CT tu 0071000123456", 100_000)
    r = notify(api, first)
    assert r.status_code == 200 and r.get_json() == {"success": True}
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "awaiting_payment"
    assert view["payment"]["amount_received_vnd"] == 100_000
    assert view["payment"]["status"] == "pending"
    # The code now asks for what is still due.
    assert vietqr.parse(view["payment"]["vietqr"])["54"] == "50000"

    # The notifier did not hear our answer and sends the same transaction again.
    r = notify(api, first)
    assert r.status_code == 200 and r.get_json() == {"success": True}
    assert (
        shop.buyer.api.get(f"/orders/{order['id']}").get_json()["payment"]["amount_received_vnd"]
        == 100_000
    )

    # The rest, with the reference written with its dashes.
    r = notify(api, transaction(f"{order['number']} chuyen not", 50_000))
    assert r.status_code == 200
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "paid"
    assert view["payment"]["status"] == "succeeded"
    assert view["payment"]["amount_received_vnd"] == 150_000
    assert view["payment"]["vietqr"] is None and view["expires_at"] is None
    assert {so["status"] for so in view["seller_orders"]} == {"confirmed"}
    for household in (shop.household, shop.other_household):
        mine = household.api.get("/seller/orders?status=confirmed").get_json()
        assert [so["order"]["id"] for so in mine["items"]] == [order["id"]]
    assert shop.buyer.api.get(f"/orders/{order['id']}/vietqr.svg").status_code == 409
    assert transfers_stored(app) == 2 and owed(app) == []
    # Stock stays sold.
    assert stock_of(app, shop.lychee["id"]) == 98
    assert audit_is_clean(app)


def test_paying_too_much_pays_the_order_and_records_the_excess_as_owed(app, api, shop):
    order = bank_order(shop)
    r = notify(api, transaction(f"IBFT {order['payment']['reference']}", 200_000))
    assert r.status_code == 200
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "paid" and view["payment"]["amount_received_vnd"] == 200_000
    refunds = shop.world.admin.api.get("/payments/bank-refunds").get_json()
    assert refunds["total"] == 1
    item = refunds["items"][0]
    assert item["amount_vnd"] == 50_000 and item["status"] == "owed"
    assert item["order"]["number"] == order["number"]
    listed = shop.world.admin.api.get("/payments/bank-transfers?matched=true").get_json()
    assert [(t["outcome"], t["applied_vnd"], t["owed_back_vnd"]) for t in listed["items"]] == [
        ("overpaid", 150_000, 50_000)
    ]


def test_a_transfer_after_expiry_is_recorded_and_owed_back_with_what_had_arrived(app, api, shop):
    order = bank_order(shop)
    reference = order["payment"]["reference"]
    assert notify(api, transaction(reference, 40_000)).status_code == 200
    with app.app_context():
        db.session.execute(
            update(Order)
            .where(Order.id == order["id"])
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert result.exit_code == 0 and result.output.strip() == "expired 1 order"
    assert stock_of(app, shop.lychee["id"]) == 100 and stock_of(app, shop.longan["id"]) == 20

    # The buyer's second transfer arrives after the order expired: never silently lost.
    late = transaction(f"NHAN TU 0912345678 TRACE 552211 ND {reference}", 110_000)
    r = notify(api, late)
    assert r.status_code == 200 and r.get_json() == {"success": True}
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "expired" and view["payment"]["status"] == "expired"
    assert view["payment"]["amount_received_vnd"] == 40_000
    assert sorted((s.split("-")[0], amount, status) for s, amount, status in owed(app)) == [
        ("bank", 110_000, "owed"),
        ("order", 40_000, "owed"),
    ]
    refunds = shop.world.admin.api.get("/payments/bank-refunds").get_json()
    assert sum(item["amount_vnd"] for item in refunds["items"]) == 150_000
    transfers = shop.world.admin.api.get("/payments/bank-transfers?matched=true").get_json()
    assert [t["outcome"] for t in transfers["items"]] == ["owed_back", "partial"]
    assert audit_is_clean(app)


def test_outgoing_and_unmatched_transfers_are_listed_for_the_platform_admin(app, api, shop):
    order = bank_order(shop)
    notify(api, transaction(f"{order['payment']['reference']}", 150_000))
    notify(api, transaction("Tra tien dien thang 11", 500_000, "out"))
    notify(api, transaction("Chuyen tien an trua", 75_000))
    notify(api, transaction("NS261207ZZZZZZZ khong co don nay", 30_000))
    admin = shop.world.admin.api
    unmatched = admin.get("/payments/bank-transfers?matched=false").get_json()
    assert unmatched["total"] == 3
    assert [(t["outcome"], t["amount_vnd"], t["order"]) for t in unmatched["items"]] == [
        ("unmatched", 30_000, None),
        ("unmatched", 75_000, None),
        ("outgoing", 500_000, None),
    ]
    matched = admin.get("/payments/bank-transfers?matched=true").get_json()
    assert [(t["outcome"], t["order"]["id"]) for t in matched["items"]] == [("paid", order["id"])]
    assert admin.get("/payments/bank-transfers").get_json()["total"] == 4
    assert shop.buyer.api.get("/payments/bank-transfers").status_code == 403
    assert shop.world.coop_admin.api.get("/payments/bank-refunds").status_code == 403
    assert api.get("/payments/bank-transfers").status_code == 401
    assert admin.get("/payments/bank-transfers?matched=perhaps").status_code == 422


@pytest.mark.parametrize(
    "authorization",
    [None, "Apikey wrong-key", "Bearer sepay-3f9c1d7e-webhook-key", "sepay-3f9c1d7e-webhook-key"],
)
def test_the_webhook_refuses_a_missing_or_wrong_key_and_writes_nothing(
    app, api, shop, authorization
):
    order = bank_order(shop)
    headers = {"Authorization": authorization} if authorization else {}
    body = transaction(order["payment"]["reference"], 150_000)
    r = api.post(WEBHOOK, json=body, headers=headers)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    # Even a malformed body is refused for the key first.
    r = api.post(WEBHOOK, data="{not json", headers=headers, content_type="application/json")
    assert r.status_code == 401
    assert transfers_stored(app) == 0
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "awaiting_payment"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"transferAmount": "150000"}, 422),
        ({"transferAmount": 150000.5}, 422),
        ({"transferAmount": 150000.0}, 422),
        ({"transferAmount": True}, 422),
        ({"transferAmount": 0}, 422),
        ({"transferAmount": 2**70}, 422),
        ({"accumulated": 1.5}, 422),
        ({"transferType": "sideways"}, 422),
        ({"id": None}, 422),
        ({"id": ""}, 422),
        ({"transactionDate": "hôm qua"}, 422),
        ({"content": "x" * 2001}, 422),
    ],
)
def test_malformed_transactions_are_refused_and_change_nothing(app, api, shop, change, status):
    order = bank_order(shop)
    body = {**transaction(order["payment"]["reference"], 150_000), **change}
    r = notify(api, body)
    assert r.status_code == status and r.get_json()["error"]["code"] == "validation_error"
    assert transfers_stored(app) == 0


def test_bodies_that_are_not_json_objects_are_bad_requests(app, api):
    key = {"Authorization": f"Apikey {BANK_CONFIG['BANK_WEBHOOK_API_KEY']}"}
    assert api.post(WEBHOOK, headers=key).status_code == 400
    r = api.post(WEBHOOK, data="{nope", headers=key, content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    r = api.post(WEBHOOK, data="id=1", headers=key, content_type="text/plain")
    assert r.status_code == 400
    assert notify(api, [1, 2]).status_code == 422
    body = transaction("x", 1)
    del body["transferAmount"]
    assert notify(api, body).status_code == 422
    assert transfers_stored(app) == 0


def test_sepay_ids_may_be_numbers_or_text_and_new_fields_are_ignored(app, api):
    r = notify(api, transaction("Chuyen tien", 10_000, tx_id="sepay-abc-1", newField={"x": 1}))
    assert r.status_code == 200
    with app.app_context():
        stored = db.session.scalars(select(BankTransfer)).one()
        assert stored.provider_id == "sepay-abc-1" and stored.outcome == "unmatched"
        # 14:02:37 in Vietnam is 07:02:37 UTC.
        assert stored.transaction_at == dt.datetime(2026, 12, 7, 7, 2, 37, tzinfo=dt.UTC)


class TestWithoutTheKey:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "BANK_WEBHOOK_API_KEY": None}

    def test_the_webhook_answers_503_and_writes_nothing(self, app, api):
        r = notify(api, transaction("x", 1), key="anything")
        assert r.status_code == 503 and r.get_json()["error"]["code"] == "payments_unavailable"
        assert transfers_stored(app) == 0


# ---- cancellations after payment ----------------------------------------------------------


def test_cancelling_a_paid_bank_transfer_order_owes_what_was_paid(app, api, shop):
    order = bank_order(shop)
    notify(api, transaction(order["payment"]["reference"], 150_000))
    lychee_part = next(
        so for so in order["seller_orders"] if so["seller"]["id"] == shop.household.seller["id"]
    )
    r = shop.household.api.post(
        f"/seller-orders/{lychee_part['id']}/cancel", {"reason": "Mưa đá, vải rụng hết"}
    )
    assert r.status_code == 200, r.get_json()
    assert owed(app) == [(f"seller-order-{lychee_part['id']}", 90_000, "owed")]
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel", {"reason": "Đổi ý"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    assert owed(app)[1] == (f"order-{order['id']}", 60_000, "owed")
    refunds = shop.world.admin.api.get("/payments/bank-refunds").get_json()
    assert sum(item["amount_vnd"] for item in refunds["items"]) == 150_000
    assert stock_of(app, shop.lychee["id"]) == 100 and stock_of(app, shop.longan["id"]) == 20
    # A transfer for the cancelled order is owed back too.
    notify(api, transaction(order["payment"]["reference"], 5_000))
    assert owed(app)[-1][1:] == (5_000, "owed")
    assert audit_is_clean(app)


def test_a_household_cancelling_its_part_owes_back_its_shipping_fee_too(app, api, shop):
    """What was paid for the part is its lines and its delivery: both are owed back (as a card
    is refunded both), and the order's other part keeps its own fee."""
    w = shop.world
    truck = new_method(w.coop_admin, w.coop, COLD_TRUCK)
    body = order_body([(shop.lychee["id"], 2), (shop.longan["id"], 1)], "bank_transfer")
    body["shipping_address"] = dict(HA_NOI)
    body["deliveries"] = [
        {"seller_id": seller["id"], "method_id": truck["id"]}
        for seller in (w.household.seller, w.other_household.seller)
    ]
    r = shop.buyer.api.post("/orders", body)
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    lychee_part = next(
        so for so in order["seller_orders"] if so["seller"]["id"] == w.household.seller["id"]
    )
    fee = lychee_part["shipping_fee_vnd"]
    assert fee == 25_000 + 2 * 4_000  # 2 kg by the cold truck
    notify(api, transaction(order["payment"]["reference"], order["total_vnd"]))
    r = w.household.api.post(f"/seller-orders/{lychee_part['id']}/cancel", {"reason": "Hết hàng"})
    assert r.status_code == 200, r.get_json()
    assert owed(app) == [(f"seller-order-{lychee_part['id']}", 90_000 + fee, "owed")]
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
    assert r.status_code == 200, r.get_json()
    # …and the rest of the order is owed back whole: nothing paid is kept, nothing owed twice.
    assert sum(amount for _, amount, _ in owed(app)) == order["total_vnd"]
    assert audit_is_clean(app)


def test_an_unpaid_bank_transfer_order_is_not_the_households_to_work_on(app, shop):
    order = bank_order(shop)
    part = order["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{part}/ship").status_code == 409
    r = shop.household.api.post(f"/seller-orders/{part}/cancel", {"reason": "Hết hàng"})
    assert r.status_code == 409
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
    assert r.status_code == 409  # nothing paid yet: it expires by itself
    assert owed(app) == []


def test_the_admin_records_a_refund_made_by_hand_once(app, api, shop):
    order = bank_order(shop)
    notify(api, transaction(order["payment"]["reference"], 170_000))  # 20,000 too much
    admin = shop.world.admin.api
    owed_now = admin.get("/payments/bank-refunds").get_json()["items"]
    assert [item["amount_vnd"] for item in owed_now] == [20_000]
    path = f"/payments/bank-refunds/{owed_now[0]['id']}/refunded"
    # Strangers are refused before their body is looked at.
    assert shop.buyer.api.post(path, {"nonsense": True}).status_code == 403
    assert api.post(path, {"nonsense": True}).status_code == 401
    assert admin.post(path, {"reference": ""}).status_code == 422
    r = admin.post(path, {"reference": "FT26341000123"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "refunded"
    assert r.get_json()["refunded_reference"] == "FT26341000123"
    assert admin.get("/payments/bank-refunds").get_json()["total"] == 0
    assert admin.get("/payments/bank-refunds?status=refunded").get_json()["total"] == 1
    again = admin.post(path, {"reference": "FT26341000124"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"
    assert (
        admin.post("/payments/bank-refunds/999999/refunded", {"reference": "X"}).status_code == 404
    )
    assert owed(app) == [(f"bank-transfer-{_transfer_id(app)}", 20_000, "refunded")]


def _transfer_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(BankTransfer.id)).one()


def test_the_money_audit_notices_a_bank_payment_that_does_not_add_up(app, api, shop):
    order = bank_order(shop)
    notify(api, transaction(order["payment"]["reference"], 60_000))
    assert audit_is_clean(app)
    with app.app_context():
        db.session.execute(
            update(Payment)
            .where(Payment.order_id == order["id"])
            .values(amount_received_vnd=70_000)
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "money"])
    assert result.exit_code == 1
    assert "received 70000 but its transfers add up to 60000" in result.output
