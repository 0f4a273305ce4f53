"""The events sent by the actions that cause them: a COD parcel refused at the door (buyer and
household), a harvest's pre-orders allocated or cut (their buyers) with the new seller order and
its harvest-based ship-by time for the household, and a payout paid (the household). Each reaches
exactly its people, once per channel, through the real local servers; an action that fails sends
nothing; the Zalo ZNS template ids are fixed per event."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.config import ConfigError, build_config
from marketplace.extensions import db
from marketplace.notifications import events
from marketplace.notifications.delivery import deliver_due
from marketplace.notifications.models import Notification
from tests.factories import new_user
from tests.gateways import ZALO_TOKEN
from tests.orders_helpers import build_shop, order_body
from tests.payments_fixtures import CARD_OK
from tests.preorders_helpers import harvest, placed, pre_order, pre_order_product

ALL_CHANNELS = {"in_app", "email", "sms", "zalo"}
ACCOUNT = {"bank_bin": "970436", "account_no": "0123456789", "account_name": "Nguyễn Văn Tư"}


@pytest.fixture
def app_config(app_config, channels_config, stripe_config):
    return {**app_config, **channels_config, **stripe_config, "PAYOUT_HOLD_DAYS": 0}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def stored(app, *kinds: str) -> list[Notification]:
    with app.app_context():
        query = select(Notification).order_by(Notification.id)
        if kinds:
            query = query.where(Notification.event.in_(kinds))
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def reached(app, event: str) -> dict[int, set[str]]:
    """user id → the channels ``event`` was written for (each at most once)."""
    seen: dict[int, list[str]] = {}
    for n in stored(app, event):
        seen.setdefault(n.user_id, []).append(n.channel)
    assert all(len(c) == len(set(c)) for c in seen.values()), seen  # once per channel
    return {user_id: set(channels) for user_id, channels in seen.items()}


def feed_text(app, user_id: int, event: str) -> str:
    (row,) = [n for n in stored(app, event) if n.user_id == user_id and n.channel == "in_app"]
    return row.text


def deliver(app) -> dict[str, int]:
    with app.app_context():
        return deliver_due()


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else "+84" + phone.lstrip("0")


def vn_time(iso: str, locale: str = "vi") -> str:
    return events.format_time(dt.datetime.fromisoformat(iso), locale)


# ---- a COD parcel refused at the door --------------------------------------------------------


def test_a_refused_parcel_tells_its_buyer_and_household_once_on_each_channel_and_nobody_else(
    app, shop, gateway, smtp_server
):
    _, mailbox = smtp_server
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 2), (shop.longan["id"], 1)])
    ).get_json()
    mine = next(
        so for so in order["seller_orders"] if so["seller"]["id"] == shop.household.seller["id"]
    )
    assert shop.household.api.post(f"/seller-orders/{mine['id']}/ship").status_code == 200
    deliver(app)
    gateway.requests.clear()

    r = shop.household.api.post(
        f"/seller-orders/{mine['id']}/refused", {"reason": "Khách không nghe máy"}
    )
    assert r.status_code == 200, r.get_json()

    # The buyer has an e-mail and no phone; the household is reached on its profile's phone.
    assert reached(app, events.SELLER_ORDER_REFUSED) == {
        shop.buyer.id: {"in_app", "email"},
        shop.household.id: ALL_CHANNELS,
    }
    buyer_text = feed_text(app, shop.buyer.id, events.SELLER_ORDER_REFUSED)
    assert order["number"] in buyer_text and "Khách không nghe máy" in buyer_text
    assert "Vườn vải nhà bác Lợi" in buyer_text  # the household's display name
    household_text = feed_text(app, shop.household.id, events.SELLER_ORDER_REFUSED)
    assert household_text == (
        f"Nông sản: người mua đã từ chối nhận đơn {order['number']} (90.000 ₫). "
        "Lý do: Khách không nghe máy."
    )

    assert deliver(app) == {"sent": 4, "failed": 0, "dead": 0}
    phone = e164(shop.household.seller["phone"])
    (sms,) = gateway.sent("/sms")
    assert (sms["json"]["to"], sms["json"]["text"]) == (phone, household_text)
    (zalo,) = gateway.sent("/zns")
    assert zalo["json"]["phone"] == phone.lstrip("+")
    assert zalo["json"]["template_id"] == "300013"
    assert zalo["headers"]["access_token"] == ZALO_TOKEN
    assert zalo["json"]["template_data"]["order_number"] == order["number"]
    (mail,) = [m for m in mailbox.to(shop.buyer.user["email"]) if "từ chối" in m["Subject"]]
    assert order["number"] in mail["Subject"]
    assert deliver(app) == {"sent": 0, "failed": 0, "dead": 0}


def test_a_refusal_that_is_not_allowed_is_refused_and_tells_nobody(app, shop, gateway):
    cod = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)])).get_json()
    card = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 1)], "card", CARD_OK)
    ).get_json()
    card_part = card["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{card_part}/ship").status_code == 200
    before = len(stored(app))

    not_shipped = shop.household.api.post(
        f"/seller-orders/{cod['seller_orders'][0]['id']}/refused", {"reason": "Không nhận"}
    )
    paid_before = shop.household.api.post(
        f"/seller-orders/{card_part}/refused", {"reason": "Không nhận"}
    )
    stranger = shop.other_household.api.post(
        f"/seller-orders/{card_part}/refused", {"reason": "Không nhận"}
    )

    assert (not_shipped.status_code, paid_before.status_code) == (409, 409)
    assert stranger.status_code in (403, 404)
    assert stored(app, events.SELLER_ORDER_REFUSED) == []
    assert len(stored(app)) == before


# ---- a harvest: pre-orders allocated or cut --------------------------------------------------


def test_a_harvest_tells_each_pre_order_buyer_what_they_get_and_the_household_when_to_ship(
    app, api, shop, gateway, smtp_server
):
    world = shop.world
    lychee = pre_order_product(world, expected=100)  # 45,000 ₫/kg, deposit 30 %
    anh = new_user(api, "Phạm Văn Anh", email="anh@example.vn", phone="0912000001")
    binh = new_user(api, "Ngô Thị Bình", email="binh@example.vn", phone="0912000002")
    chi = new_user(api, "Vũ Đức Chí", email="chi@example.vn")
    assert binh.api.patch("/me", {"locale": "en"}).status_code == 200
    first, second, third = (placed(pre_order(b, lychee["id"], 20)) for b in (anh, binh, chi))
    deposit_news = len(stored(app, events.SELLER_ORDER_NEW))
    deliver(app)
    gateway.requests.clear()

    # 30 kg: Anh's 20 whole, Bình's 20 → 10 (partial), Chí's none.
    r = harvest(world.household, lychee["id"], 30)
    assert r.get_json() == {"filled": 1, "partial": 1, "unfilled": 1, "stock_added": 0}

    assert reached(app, events.PREORDER_ALLOCATED) == {anh.id: ALL_CHANNELS}
    assert reached(app, events.PREORDER_CUT) == {
        binh.id: ALL_CHANNELS,
        chi.id: {"in_app", "email"},
    }
    name = "Vải thiều Thanh Hà loại 1"
    seller = "Vườn vải nhà bác Lợi"

    anh_order = anh.api.get(f"/orders/{first['id']}").get_json()
    anh_ship_by = anh_order["seller_orders"][0]["ship_by"]
    assert anh_ship_by is not None
    assert feed_text(app, anh.id, events.PREORDER_ALLOCATED) == (
        f"Nông sản: {seller} đã thu hoạch; đơn đặt trước {first['number']} được xác nhận: "
        f"{name} × 20 kg, tổng 900.000 ₫. Hàng sẽ được gửi trước {vn_time(anh_ship_by)}. "
        "Còn 630.000 ₫ trả khi nhận hàng."  # 900,000 less the 270,000 deposit
    )

    binh_order = binh.api.get(f"/orders/{second['id']}").get_json()
    assert binh_order["payment"]["refunded_vnd"] == 135_000  # 270,000 × 10/20
    binh_ship_by = binh_order["seller_orders"][0]["ship_by"]
    assert feed_text(app, binh.id, events.PREORDER_CUT) == (
        f"Nông sản: {seller}'s harvest fell short for pre-order {second['number']}: "
        f"10 kg of the 20 kg of {name} you pre-ordered cannot be filled. "
        f"You get 10 kg, total 450.000 ₫, shipped by {vn_time(binh_ship_by, 'en')}. "
        "135.000 ₫ of your deposit is refunded to you. "
        "315.000 ₫ is left to pay on delivery."  # 450,000 less the 135,000 deposit kept
    )

    chi_order = chi.api.get(f"/orders/{third['id']}").get_json()
    assert chi_order["status"] == "cancelled"
    assert feed_text(app, chi.id, events.PREORDER_CUT) == (
        f"Nông sản: vụ thu hoạch của {seller} không đủ cho đơn đặt trước {third['number']}: "
        f"thiếu 20 kg {name} trong 20 kg bạn đã đặt. Đơn đặt trước đã được huỷ. "
        "Tiền cọc 270.000 ₫ được hoàn lại cho bạn."
    )

    # The household: the new seller order message again, now with the harvest's ship-by time,
    # for the two pre-orders that ship (at their allocated quantities); none for Chí's.
    news = stored(app, events.SELLER_ORDER_NEW)[deposit_news:]
    assert {(n.user_id, n.channel) for n in news} == {
        (world.household.id, channel) for channel in ALL_CHANNELS
    } and len(news) == 8
    texts = sorted(n.text for n in news if n.channel == "in_app")
    assert texts == sorted(
        [
            f"Nông sản: đơn hàng mới {first['number']}: {name} × 20 kg, tổng 900.000 ₫. "
            f"Hãy gửi hàng trước {vn_time(anh_ship_by)}.",
            f"Nông sản: đơn hàng mới {second['number']}: {name} × 10 kg, tổng 450.000 ₫. "
            f"Hãy gửi hàng trước {vn_time(binh_ship_by)}.",
        ]
    )
    # Nobody else heard of the harvest.
    harvest_rows = stored(app, events.PREORDER_ALLOCATED, events.PREORDER_CUT)
    assert {n.user_id for n in harvest_rows} == {anh.id, binh.id, chi.id}

    assert deliver(app) == {"sent": 13, "failed": 0, "dead": 0}
    sms = {r["json"]["to"]: r["json"]["text"] for r in gateway.sent("/sms")}
    assert len(gateway.sent("/sms")) == 4 and set(sms) == {
        "+84912000001",
        "+84912000002",
        e164(world.household.seller["phone"]),
    }
    assert sms["+84912000002"] == feed_text(app, binh.id, events.PREORDER_CUT)
    zalo = {(r["json"]["phone"], r["json"]["template_id"]) for r in gateway.sent("/zns")}
    household_zalo = e164(world.household.seller["phone"]).lstrip("+")
    assert zalo == {
        ("84912000001", "300008"),
        ("84912000002", "300009"),
        (household_zalo, "300012"),
    }
    _, mailbox = smtp_server
    assert [m["Subject"] for m in mailbox.to("chi@example.vn")] == [
        f"Đã nhận thanh toán đơn {third['number']}",  # the deposit
        f"Đặt trước {third['number']} không đủ hàng",
    ]
    assert deliver(app) == {"sent": 0, "failed": 0, "dead": 0}


def test_a_harvest_that_fails_half_way_tells_nobody(app, api, shop, closed_port_url):
    world = shop.world
    lychee = pre_order_product(world, expected=100)
    anh, binh = (new_user(api, name) for name in ("Phạm Văn Anh", "Ngô Thị Bình"))
    placed(pre_order(anh, lychee["id"], 20))
    placed(pre_order(binh, lychee["id"], 20))
    before = len(stored(app))

    # Anh's pre-order is filled and confirmed first; Bình's refund then cannot reach the
    # provider: the harvest answers 502, its transaction is rolled back, and nobody is told of a
    # harvest that did not happen. Recorded again, each buyer is told once.
    stripe_base = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = closed_port_url
    r = harvest(world.household, lychee["id"], 30)
    assert r.status_code == 502, r.get_json()
    assert stored(app, events.PREORDER_ALLOCATED, events.PREORDER_CUT) == []
    assert len(stored(app)) == before

    app.config["STRIPE_API_BASE"] = stripe_base
    assert harvest(world.household, lychee["id"], 30).status_code == 200
    assert set(reached(app, events.PREORDER_ALLOCATED)) == {anh.id}
    assert set(reached(app, events.PREORDER_CUT)) == {binh.id}


# ---- a payout paid ---------------------------------------------------------------------------


def delivered(shop, household, product_id: int, quantity: int) -> dict:
    order = shop.buyer.api.post("/orders", order_body([(product_id, quantity)])).get_json()
    part = order["seller_orders"][0]["id"]
    assert household.api.post(f"/seller-orders/{part}/ship").status_code == 200
    assert household.api.post(f"/seller-orders/{part}/deliver").status_code == 200
    return order


def test_a_paid_payout_tells_its_household_the_amount_and_account_once(
    app, shop, gateway, smtp_server
):
    world, admin = shop.world, shop.world.admin
    coop_id = world.coop["id"]
    parts = []
    for household, product in ((shop.household, shop.lychee), (shop.other_household, shop.longan)):
        order = delivered(shop, household, product["id"], 2)
        parts.append(order["seller_orders"][0])
        r = household.api.patch(
            f"/sellers/{household.seller['id']}",
            {"payout_account": {**ACCOUNT, "account_no": f"00{household.id}4321"}},
        )
        assert r.status_code == 200, r.get_json()
    cash = sum(p["subtotal_vnd"] + p["shipping_fee_vnd"] for p in parts)
    r = admin.api.post(
        f"/coops/{coop_id}/cod-remittances",
        {"seller_order_ids": [p["id"] for p in parts], "amount_vnd": cash, "reference": "PT-1"},
    )
    assert r.status_code == 201, r.get_json()
    batch = admin.api.post("/payouts", {}).get_json()
    assert len(batch["items"]) == 2
    item = next(i for i in batch["items"] if i["seller_id"] == shop.household.seller["id"])
    deliver(app)
    gateway.requests.clear()
    assert stored(app, events.PAYOUT_PAID) == []  # a batch made is not money paid

    path = f"/payouts/{batch['id']}/items/{item['id']}/paid"
    assert admin.api.post(path, {"reference": "FT26341"}).status_code == 200
    assert admin.api.post(path, {"reference": "FT26341"}).status_code == 409  # once

    # Only the household whose item was paid; the other's is still held.
    assert reached(app, events.PAYOUT_PAID) == {shop.household.id: ALL_CHANNELS}
    amount = events.format_vnd(item["amount_vnd"])
    tail = "4321"
    assert feed_text(app, shop.household.id, events.PAYOUT_PAID) == (
        f"Nông sản: đã chuyển {amount} vào tài khoản Vietcombank số cuối {tail} "
        "của bạn (mã FT26341)."
    )
    assert deliver(app) == {"sent": 3, "failed": 0, "dead": 0}
    (sms,) = gateway.sent("/sms")
    assert sms["json"]["to"] == e164(shop.household.seller["phone"])
    assert amount in sms["json"]["text"]
    (zalo,) = gateway.sent("/zns")
    assert zalo["json"]["template_id"] == "300007"
    assert zalo["json"]["template_data"]["amount_vnd"] == amount
    assert zalo["json"]["template_data"]["account_tail"] == tail
    _, mailbox = smtp_server
    mails = [m for m in mailbox.to(shop.household.user["email"]) if "chuyển" in m["Subject"]]
    assert [m["Subject"] for m in mails] == [f"Đã chuyển tiền {amount}"]
    assert "Vietcombank" in mails[0].get_content()


# ---- Zalo ZNS template ids -------------------------------------------------------------------


def test_zalo_template_ids_are_fixed_per_event_and_every_event_has_one():
    # Registered with Zalo by the operator: they must never move when an event is added.
    assert events.ZALO_TEMPLATES[events.SELLER_ORDER_NEW] == "300012"
    assert events.ZALO_TEMPLATES[events.PAYOUT_PAID] == "300007"
    assert events.ZALO_TEMPLATES[events.SHIP_BY_SOON] == "300015"
    assert events.ZALO_TEMPLATES[events.LOT_RECALLED] == "300005"
    assert {event for event, _ in events.TEXTS} == set(events.ZALO_TEMPLATES)
    assert len(set(events.ZALO_TEMPLATES.values())) == len(events.ZALO_TEMPLATES)


def test_the_operator_overrides_template_ids_in_the_environment(app, shop, gateway, tmp_path):
    env = {"SECRET_KEY": "x", "ZALO_TEMPLATE_IDS": "seller_order.refused=4242, payout.paid = 7"}
    config = build_config(str(tmp_path), env)
    assert config["ZALO_TEMPLATE_IDS"] == {"seller_order.refused": "4242", "payout.paid": "7"}
    assert build_config(str(tmp_path), {"SECRET_KEY": "x"})["ZALO_TEMPLATE_IDS"] == {}
    for bad in ("seller_order.refsed=1", "payout.paid=", "payout.paid=abc", "payout.paid"):
        with pytest.raises(ConfigError, match="ZALO_TEMPLATE_IDS"):
            build_config(str(tmp_path), {"SECRET_KEY": "x", "ZALO_TEMPLATE_IDS": bad})

    app.config["ZALO_TEMPLATE_IDS"] = config["ZALO_TEMPLATE_IDS"]
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)])).get_json()
    part = order["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{part}/ship").status_code == 200
    assert (
        shop.household.api.post(f"/seller-orders/{part}/refused", {"reason": "x"}).status_code
        == 200
    )
    deliver(app)
    by_event = {}
    with app.app_context():
        events_of = dict(db.session.execute(select(Notification.id, Notification.event)).all())
    for r in gateway.sent("/zns"):
        by_event.setdefault(events_of[int(r["json"]["tracking_id"].split("-")[1])], set()).add(
            r["json"]["template_id"]
        )
    assert by_event[events.SELLER_ORDER_REFUSED] == {"4242"}
    assert by_event[events.SELLER_ORDER_NEW] == {"300012"}  # not overridden: the default
