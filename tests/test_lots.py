"""Traceability: a household records harvest lots from its certified orchard; checkout takes the
oldest lot first and the seller order names the lots; a buyer scans the crate label and sees
where the fruit came from (never who bought it); the co-op recalls a lot."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from marketplace.catalogue.models import Product, StockMovement
from marketplace.clock import today_vn
from marketplace.extensions import db
from marketplace.lots.models import Lot, LotAllocation
from marketplace.notifications import events
from marketplace.notifications.delivery import deliver_due
from marketplace.notifications.events import format_vnd
from marketplace.notifications.models import Notification
from tests.factories import new_product, new_user
from tests.orders_helpers import ADDRESS, build_shop, order_body, stock_of
from tests.payments_fixtures import CARD_OK


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def days_ago(n: int) -> str:
    return (today_vn() - dt.timedelta(days=n)).isoformat()


def verified_cert(shop, **overrides) -> dict:
    w = shop.world
    body = {
        "scheme": "vietgap",
        "certificate_no": "VG-31-0042",
        "issued_by": "Sở NN&PTNT Hải Phòng",
        "valid_from": days_ago(300),
        "valid_until": (today_vn() + dt.timedelta(days=300)).isoformat(),
        **overrides,
    }
    seller_id = w.household.seller["id"]
    cert = w.household.api.post(f"/sellers/{seller_id}/certifications", body).get_json()
    r = w.coop_admin.api.post(f"/sellers/{seller_id}/certifications/{cert['id']}/verify")
    assert r.status_code == 200, r.get_json()
    return cert


def lot_product(shop, **overrides) -> dict:
    """A lychee listing whose stock comes only from lots (listed with stock 0)."""
    return new_product(
        shop.household, shop.world.coop_admin, name="Vải thiều lô", stock_quantity=0, **overrides
    )


def record_lot(shop, product_id: int, quantity: int, harvested_on: str, **extra) -> dict:
    body = {"harvested_on": harvested_on, "quantity": quantity, **extra}
    r = shop.household.api.post(f"/products/{product_id}/lots", body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def lots_remaining(app, product_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.coalesce(func.sum(Lot.remaining), 0)).where(Lot.product_id == product_id)
        )


def recall_notices(app, channel: str | None = "in_app") -> list[Notification]:
    """The lot.recalled notifications written so far (on ``channel``; all channels for None)."""
    with app.app_context():
        query = select(Notification).where(Notification.event == events.LOT_RECALLED)
        if channel:
            query = query.where(Notification.channel == channel)
        rows = list(db.session.scalars(query.order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def deliver_due_now(app) -> None:
    with app.app_context():
        deliver_due()


def lot_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Lot.id)))


# ---- recording lots --------------------------------------------------------------------------


def test_household_records_a_lot_from_its_certified_orchard(app, api, shop):
    cert = verified_cert(shop)
    product = lot_product(shop)

    lot = record_lot(
        shop,
        product["id"],
        120,
        days_ago(1),
        planting_area_code="VN-HPTH-0042",
        packing_house_code="PH-31-007",
        certification_id=cert["id"],
        note="Hái sáng sớm",
    )

    assert set(lot) >= {
        "id",
        "code",
        "product_id",
        "harvested_on",
        "quantity",
        "remaining",
        "planting_area_code",
        "packing_house_code",
        "certification",
        "status",
        "trace_url",
    }
    assert 4 <= len(lot["code"]) <= 20 and lot["code"].isalnum()
    assert (lot["quantity"], lot["remaining"], lot["status"]) == (120, 120, "active")
    assert lot["certification"]["certificate_no"] == "VG-31-0042"
    assert lot["trace_url"].endswith(f"/t/{lot['code']}")
    assert stock_of(app, product["id"]) == 120
    with app.app_context():
        movement = db.session.scalars(
            select(StockMovement)
            .where(StockMovement.product_id == product["id"])
            .order_by(StockMovement.id.desc())
        ).first()
        assert (movement.delta, movement.reason) == (120, "lot")


def test_a_code_may_be_given_and_is_unique(app, api, shop):
    product = lot_product(shop)
    record_lot(shop, product["id"], 5, days_ago(0), code="th2026a")
    assert api.get("/lots/TH2026A").status_code == 200
    r = shop.household.api.post(
        f"/products/{product['id']}/lots",
        {"harvested_on": days_ago(0), "quantity": 5, "code": "TH2026A"},
    )
    assert r.status_code == 409
    assert stock_of(app, product["id"]) == 5


@pytest.mark.parametrize(
    "change, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"harvested_on": "FUTURE"}, "harvested_on"),
        ({"code": "ab"}, "code"),
        ({"code": "LÔ-01"}, "code"),
        ({"certification_id": "OTHER"}, "certification_id"),
        ({"certification_id": "UNVERIFIED"}, "certification_id"),
    ],
)
def test_bad_lots_are_422_and_nothing_is_written(app, api, shop, change, field):
    product = lot_product(shop)
    change = dict(change)
    if change.get("harvested_on") == "FUTURE":
        change["harvested_on"] = (today_vn() + dt.timedelta(days=1)).isoformat()
    if change.get("certification_id") == "OTHER":
        other = shop.other_household
        cert = other.api.post(
            f"/sellers/{other.seller['id']}/certifications",
            {
                "scheme": "organic",
                "certificate_no": "ORG-1",
                "issued_by": "X",
                "valid_from": days_ago(10),
                "valid_until": days_ago(-100),
            },
        ).get_json()
        shop.world.coop_admin.api.post(
            f"/sellers/{other.seller['id']}/certifications/{cert['id']}/verify"
        )
        change["certification_id"] = cert["id"]
    if change.get("certification_id") == "UNVERIFIED":
        seller_id = shop.household.seller["id"]
        cert = shop.household.api.post(
            f"/sellers/{seller_id}/certifications",
            {
                "scheme": "ocop",
                "certificate_no": "OCOP-9",
                "issued_by": "UBND",
                "valid_from": days_ago(10),
                "valid_until": days_ago(-100),
            },
        ).get_json()
        change["certification_id"] = cert["id"]
    body = {"harvested_on": days_ago(1), "quantity": 10, **change}

    r = shop.household.api.post(f"/products/{product['id']}/lots", body)

    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["details"]
    assert lot_count(app) == 0 and stock_of(app, product["id"]) == 0


def test_a_lot_for_another_households_product_is_refused(app, api, shop):
    body = {"harvested_on": days_ago(1), "quantity": 10}
    r = shop.other_household.api.post(f"/products/{shop.lychee['id']}/lots", body)
    assert r.status_code == 403
    assert shop.buyer.api.post(f"/products/{shop.lychee['id']}/lots", body).status_code == 403
    assert api.post(f"/products/{shop.lychee['id']}/lots", body).status_code == 401
    assert lot_count(app) == 0 and stock_of(app, shop.lychee["id"]) == 100


def test_stock_of_a_product_with_lots_moves_only_through_lots(app, api, shop):
    # The lychee has 100 units that came in without a lot: its first lot waits for stock 0.
    body = {"harvested_on": days_ago(1), "quantity": 10}
    r = shop.household.api.post(f"/products/{shop.lychee['id']}/lots", body)
    assert r.status_code == 409 and lot_count(app) == 0
    assert (
        shop.household.api.patch(f"/products/{shop.lychee['id']}", {"stock_quantity": 0})
    ).status_code == 200
    record_lot(shop, shop.lychee["id"], 10, days_ago(1))
    r = shop.household.api.post(
        f"/products/{shop.lychee['id']}/stock-adjustments", {"delta": 5, "reason": "thêm"}
    )
    assert r.status_code == 409
    r = shop.household.api.patch(f"/products/{shop.lychee['id']}", {"stock_quantity": 50})
    assert r.status_code == 409
    assert stock_of(app, shop.lychee["id"]) == 10 == lots_remaining(app, shop.lychee["id"])


# ---- checkout takes the oldest lot first ---------------------------------------------------------


def test_checkout_takes_the_oldest_lot_first_and_a_line_spans_lots(app, api, shop):
    product = lot_product(shop)
    newer = record_lot(shop, product["id"], 5, days_ago(1))
    older = record_lot(shop, product["id"], 3, days_ago(3))

    r = shop.buyer.api.post("/orders", order_body([(product["id"], 4)]))

    assert r.status_code == 201, r.get_json()
    line = r.get_json()["seller_orders"][0]["lines"][0]
    assert line["lots"] == [
        {"code": older["code"], "quantity": 3},
        {"code": newer["code"], "quantity": 1},
    ]
    order = shop.buyer.api.get(f"/orders/{r.get_json()['id']}").get_json()
    assert order["seller_orders"][0]["lines"][0]["lots"] == line["lots"]
    assert stock_of(app, product["id"]) == 4 == lots_remaining(app, product["id"])
    # Cancelled: the units go back to the lots they came from.
    assert shop.buyer.api.post(f"/orders/{order['id']}/cancel", {}).status_code == 200
    assert stock_of(app, product["id"]) == 8 == lots_remaining(app, product["id"])
    assert api.get(f"/lots/{older['code']}").get_json()["sold_on"] == []


def test_buyers_racing_for_lot_units_never_take_one_twice(app, api, shop):
    product = lot_product(shop)
    for days in (5, 3, 1):
        record_lot(shop, product["id"], 7, days_ago(days))
    buyers = [new_user(api, f"Khách {i}") for i in range(8)]
    body = order_body([(product["id"], 2)])

    def buy(i):
        client = app.test_client()
        return client.post(
            "/api/v1/orders", json=body, headers={"Authorization": f"Bearer {buyers[i % 8].token}"}
        ).status_code

    with cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(buy, range(16)))

    # 21 units, 2 per order: ten orders, then 409 insufficient_stock (one unit left).
    assert statuses.count(201) == 10 and statuses.count(409) == 6, statuses
    sold = 20
    assert stock_of(app, product["id"]) == 21 - sold == lots_remaining(app, product["id"])
    with app.app_context():
        allocated = db.session.execute(
            select(LotAllocation.lot_id, func.sum(LotAllocation.quantity)).group_by(
                LotAllocation.lot_id
            )
        ).all()
        lots = {lot.id: lot for lot in db.session.scalars(select(Lot))}
        assert sum(q for _, q in allocated) == sold
        for lot_id, quantity in allocated:
            assert quantity + lots[lot_id].remaining == lots[lot_id].quantity
        assert all(lot.remaining >= 0 for lot in lots.values())
    assert stock_of(app, product["id"]) == 1


# ---- the trace record ----------------------------------------------------------------------------


def test_scanning_the_label_shows_where_the_fruit_came_from_and_never_the_buyer(app, api, shop):
    cert = verified_cert(shop)
    product = lot_product(shop)
    lot = record_lot(
        shop,
        product["id"],
        20,
        days_ago(2),
        planting_area_code="VN-HPTH-0042",
        packing_house_code="PH-31-007",
        certification_id=cert["id"],
    )
    order = shop.buyer.api.post("/orders", order_body([(product["id"], 3)])).get_json()
    assert (
        shop.household.api.post(f"/seller-orders/{order['seller_orders'][0]['id']}/ship", {})
    ).status_code == 200

    r = api.get(f"/lots/{lot['code'].lower()}")

    assert r.status_code == 200
    trace = r.get_json()
    assert trace["code"] == lot["code"] and trace["status"] == "active"
    assert trace["product"]["name"] == "Vải thiều lô"
    assert trace["household"]["display_name"] == shop.household.seller["display_name"]
    assert trace["household"]["commune"] == "Xã Thanh Hà"
    assert trace["household"]["province"] == "Thành phố Hải Phòng"
    assert trace["coop"]["name"] == shop.world.coop["name"]
    assert trace["harvested_on"] == days_ago(2)
    assert (trace["planting_area_code"], trace["packing_house_code"]) == (
        "VN-HPTH-0042",
        "PH-31-007",
    )
    assert trace["certification"] == {
        "scheme": "vietgap",
        "certificate_no": "VG-31-0042",
        "valid_until": cert["valid_until"],
    }
    assert trace["shelf_life_hours"] == 72  # lychee keeps 3 days at room temperature
    assert trace["sold_on"] == [today_vn().isoformat()]
    assert trace["shipped_on"] == [today_vn().isoformat()]
    text = json.dumps(trace, ensure_ascii=False)
    for private in (
        ADDRESS["recipient_name"],
        ADDRESS["address_line"],
        "912345678",
        shop.buyer.user["full_name"],
        shop.buyer.user["email"],
        order["number"],
        shop.household.seller["phone"],
        shop.household.seller["address_line"],
    ):
        assert private not in text
    page = api.client.get(f"/t/{lot['code']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vải thiều lô" in html and "VN-HPTH-0042" in html
    assert ADDRESS["recipient_name"] not in html and shop.buyer.user["full_name"] not in html


def test_the_qr_code_is_an_svg_of_the_trace_url(app, api, shop):
    product = lot_product(shop)
    lot = record_lot(shop, product["id"], 5, days_ago(0))
    r = api.client.get(f"/api/v1/lots/{lot['code']}/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert b"<svg" in r.data and b"<path" in r.data
    assert api.get("/lots/NOSUCHLOT/qr.svg").status_code == 404
    assert api.get("/lots/x/qr.svg").status_code == 404


# ---- one step forward and recall -----------------------------------------------------------------


def test_lot_orders_for_the_household_and_its_coop_only(app, api, shop):
    product = lot_product(shop)
    lot = record_lot(shop, product["id"], 5, days_ago(0))
    order = shop.buyer.api.post("/orders", order_body([(product["id"], 2)])).get_json()
    path = f"/lots/{lot['code']}/orders"
    for viewer in (shop.household, shop.world.coop_admin):
        r = viewer.api.get(path)
        assert r.status_code == 200
        (item,) = r.get_json()["items"]
        assert item["seller_order_id"] == order["seller_orders"][0]["id"]
        assert (item["quantity"], item["status"]) == (2, "confirmed")
    assert shop.buyer.api.get(path).status_code == 403
    assert shop.other_household.api.get(path).status_code == 403
    assert shop.world.other_coop_admin.api.get(path).status_code == 403
    assert api.get(path).status_code == 401


def test_coop_recalls_a_lot_end_to_end(app, api, shop):
    product = lot_product(shop)
    bad = record_lot(shop, product["id"], 10, days_ago(4))
    good = record_lot(shop, product["id"], 10, days_ago(1))
    received = new_user(api, "Trịnh Văn Nam")
    delivered = received.api.post("/orders", order_body([(product["id"], 2)])).get_json()
    so_delivered = delivered["seller_orders"][0]["id"]
    shop.household.api.post(f"/seller-orders/{so_delivered}/ship", {})
    shop.household.api.post(f"/seller-orders/{so_delivered}/deliver")
    # 10 - 2 = 8 left in the bad lot; this order spans it (8) and the good lot (1).
    waiting = shop.buyer.api.post("/orders", order_body([(product["id"], 9)])).get_json()
    card = new_user(api, "Vũ Thị Hằng")
    paid = card.api.post(
        "/orders", order_body([(product["id"], 1)], method="card", card=CARD_OK)
    ).get_json()
    assert paid["status"] == "paid", paid
    assert paid["seller_orders"][0]["lines"][0]["lots"] == [{"code": good["code"], "quantity": 1}]
    assert stock_of(app, product["id"]) == 8 == lots_remaining(app, product["id"])
    path = f"/lots/{bad['code']}/recall"
    assert shop.household.api.post(path, {"reason": "x"}).status_code == 403
    assert shop.world.other_coop_admin.api.post(path, {"reason": "x"}).status_code == 403

    r = shop.world.coop_admin.api.post(path, {"reason": "Dư lượng thuốc bảo vệ thực vật"})

    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["remaining"]) == ("recalled", 0)
    cancelled = shop.buyer.api.get(f"/orders/{waiting['id']}").get_json()
    assert cancelled["seller_orders"][0]["status"] == "cancelled"
    assert cancelled["seller_orders"][0]["cancel_reason"] == "lot_recalled"
    # The delivered order stays as it was; the card order of the good lot too.
    assert received.api.get(f"/orders/{delivered['id']}").get_json()["status"] == "completed"
    assert card.api.get(f"/orders/{paid['id']}").get_json()["seller_orders"][0]["status"] == (
        "confirmed"
    )
    # Stock: the bad lot's units are gone (none back from the cancelled order), the good lot's
    # unit taken by the cancelled order came back.
    assert stock_of(app, product["id"]) == 9 == lots_remaining(app, product["id"])
    # Told: the buyer who received the lot and the one whose order it cancelled, once each, about
    # their own order only; not the card buyer (other lot), nor the households or admins.
    told = recall_notices(app)
    assert sorted(n.user_id for n in told) == sorted([received.id, shop.buyer.id])
    mine = {n.user_id: n.text for n in told}
    for text in mine.values():
        assert "Vải thiều lô" in text and bad["code"] in text and "Dư lượng thuốc" in text
        assert paid["number"] not in text and "Vũ Thị Hằng" not in text
    assert delivered["number"] in mine[received.id] and "đừng sử dụng" in mine[received.id]
    assert waiting["number"] not in mine[received.id] and "huỷ" not in mine[received.id]
    assert waiting["number"] in mine[shop.buyer.id] and "đã được huỷ" in mine[shop.buyer.id]
    # Cash on delivery: nothing was paid, so nothing is said to be refunded.
    assert delivered["number"] not in mine[shop.buyer.id] and "hoàn" not in mine[shop.buyer.id]
    trace = api.get(f"/lots/{bad['code']}").get_json()
    assert trace["status"] == "recalled" and trace["recall_reason"].startswith("Dư lượng")
    audit = shop.world.coop_admin.api.get(f"/coops/{shop.world.coop['id']}/audit").get_json()
    assert audit["items"][0]["action"] == "lot.recall"
    assert shop.world.coop_admin.api.post(path, {"reason": "again"}).status_code == 409
    assert len(recall_notices(app)) == 2  # a refused second recall tells nobody again
    # A recalled lot is not sold again.
    r = shop.buyer.api.post("/orders", order_body([(product["id"], 9)]))
    assert r.status_code == 201
    assert r.get_json()["seller_orders"][0]["lines"][0]["lots"] == [
        {"code": good["code"], "quantity": 9}
    ]


def test_recall_refunds_a_paid_card_order_that_had_not_shipped(app, api, shop):
    product = lot_product(shop)
    lot = record_lot(shop, product["id"], 4, days_ago(2))
    paid = shop.buyer.api.post(
        "/orders", order_body([(product["id"], 3)], method="card", card=CARD_OK)
    ).get_json()
    assert paid["status"] == "paid"

    r = shop.world.coop_admin.api.post(f"/lots/{lot['code']}/recall", {"reason": "Nhiễm khuẩn"})

    assert r.status_code == 200
    after = shop.buyer.api.get(f"/orders/{paid['id']}").get_json()
    assert after["status"] == "cancelled"
    assert after["payment"]["refunded_vnd"] == paid["total_vnd"]
    assert stock_of(app, product["id"]) == 0 == lots_remaining(app, product["id"])
    with app.app_context():
        assert db.session.get(Product, product["id"]).stock_quantity == 0
    (notice,) = recall_notices(app)
    assert notice.user_id == shop.buyer.id
    assert f"Bạn được hoàn lại {format_vnd(paid['total_vnd'])}." in notice.text


def test_recall_tells_each_buyer_once_about_all_their_orders_and_nobody_else(
    app, api, shop, smtp_server
):
    product = lot_product(shop)
    lot = record_lot(shop, product["id"], 20, days_ago(3))
    app.config["SMTP_URL"] = smtp_server[0]
    nam = new_user(api, "Trịnh Văn Nam")
    english = new_user(api, "Peter Nguyen")
    assert english.api.patch("/me", {"locale": "en"}).status_code == 200
    bystander = new_user(api, "Lê Thị Mai")

    def buy(buyer, quantity, then=()):
        order = buyer.api.post("/orders", order_body([(product["id"], quantity)])).get_json()
        part = order["seller_orders"][0]["id"]
        for action in then:
            assert shop.household.api.post(f"/seller-orders/{part}/{action}", {}).status_code == 200
        return order

    nam_delivered = buy(nam, 2, ("ship", "deliver"))
    nam_waiting = buy(nam, 3)
    english_shipped = buy(english, 1, ("ship",))
    english_waiting = buy(english, 4)
    # A seller order cancelled before the recall, and one refused at the door: not told.
    cancelled_before = buy(bystander, 1)
    r = bystander.api.post(f"/orders/{cancelled_before['id']}/cancel", {"reason": "Đổi ý"})
    assert r.status_code == 200
    refused = buy(bystander, 1, ("ship",))
    r = shop.household.api.post(
        f"/seller-orders/{refused['seller_orders'][0]['id']}/refused", {"reason": "Không nhận"}
    )
    assert r.status_code == 200, r.get_json()
    # Another product's buyer: not told either.
    other = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)])).get_json()

    r = shop.world.coop_admin.api.post(f"/lots/{lot['code']}/recall", {"reason": "Nấm mốc"})
    assert r.status_code == 200, r.get_json()

    told = recall_notices(app, channel=None)
    assert sorted({n.user_id for n in told}) == sorted([nam.id, english.id])
    # Once each, on each channel that reaches them (the feed, e-mail).
    assert sorted((n.user_id, n.channel) for n in told) == sorted(
        (uid, channel) for uid in (nam.id, english.id) for channel in ("in_app", "email")
    )
    mine = {n.user_id: n for n in told if n.channel == "in_app"}
    vi_text = mine[nam.id].text
    assert mine[nam.id].locale == "vi" and mine[english.id].locale == "en"
    assert f"Đơn {nam_delivered['number']} của bạn có hàng thuộc lô này" in vi_text
    assert f"trong đơn {nam_waiting['number']} của bạn đã được huỷ" in vi_text
    en_text = mine[english.id].text
    assert en_text.startswith(f"Nông sản: the co-op has recalled lot {lot['code']}")
    assert f"Your order {english_shipped['number']} holds produce of this lot" in en_text
    assert f"It is cancelled from your order {english_waiting['number']}." in en_text
    others = [nam_delivered, nam_waiting, cancelled_before, refused, other]
    assert not any(o["number"] in en_text for o in others)
    assert not any(o["number"] in vi_text for o in [english_shipped, english_waiting, *others[2:]])
    assert "Peter" not in vi_text and "Trịnh" not in en_text and "Lê Thị Mai" not in en_text
    mails = smtp_server[1]
    deliver_due_now(app)

    def recall_mails(actor) -> list:
        return [m for m in mails.to(actor.user["email"]) if lot["code"] in m["Subject"]]

    (mail,) = recall_mails(english)
    assert mail["Subject"] == f"Lot {lot['code']} recalled: Vải thiều lô"
    assert mail.get_content().strip() == en_text
    assert len(recall_mails(nam)) == 1
    assert recall_mails(bystander) == [] and recall_mails(shop.buyer) == []


def test_a_recall_that_fails_tells_nobody_then_succeeds_once(app, api, shop, closed_port_url):
    product = lot_product(shop)
    lot = record_lot(shop, product["id"], 6, days_ago(2))
    delivered = shop.buyer.api.post("/orders", order_body([(product["id"], 2)])).get_json()
    part = delivered["seller_orders"][0]["id"]
    shop.household.api.post(f"/seller-orders/{part}/ship", {})
    shop.household.api.post(f"/seller-orders/{part}/deliver")
    card = new_user(api, "Vũ Thị Hằng")
    paid = card.api.post(
        "/orders", order_body([(product["id"], 3)], method="card", card=CARD_OK)
    ).get_json()
    assert paid["status"] == "paid"
    stripe_base = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = closed_port_url  # the refund cannot reach the provider
    path = f"/lots/{lot['code']}/recall"

    r = shop.world.coop_admin.api.post(path, {"reason": "Nhiễm khuẩn"})

    assert r.status_code == 502, r.get_json()
    assert recall_notices(app, channel=None) == []
    assert api.get(f"/lots/{lot['code']}").get_json()["status"] == "active"
    assert card.api.get(f"/orders/{paid['id']}").get_json()["status"] == "paid"
    with app.app_context():
        cancelled = db.session.scalars(
            select(Notification).where(Notification.event == events.SELLER_ORDER_CANCELLED)
        ).all()
    assert cancelled == []

    app.config["STRIPE_API_BASE"] = stripe_base
    assert shop.world.coop_admin.api.post(path, {"reason": "Nhiễm khuẩn"}).status_code == 200
    assert sorted(n.user_id for n in recall_notices(app)) == sorted([shop.buyer.id, card.id])
