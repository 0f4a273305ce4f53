"""Notifications: written in the transaction of what caused them (an outbox), sent by the worker to
e-mail, SMS and Zalo through real local servers, shown in the in-app feed, in each person's
language, retried with backoff then dead, and sent once per channel."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications import events
from marketplace.notifications.delivery import BACKOFF, deliver_due
from marketplace.notifications.models import Notification
from tests.factories import new_household, new_user, product_body
from tests.gateways import SMS_KEY, ZALO_TOKEN
from tests.orders_helpers import build_shop, order_body
from tests.payments_fixtures import CARD_OK


@pytest.fixture
def app_config(app_config, channels_config, stripe_config):
    return {**app_config, **channels_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def stored(app, event: str | None = None) -> list[Notification]:
    with app.app_context():
        query = select(Notification).order_by(Notification.id)
        if event:
            query = query.where(Notification.event == event)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def who_got(app, event: str, channel: str = "in_app") -> list[int]:
    return sorted(n.user_id for n in stored(app, event) if n.channel == channel)


def deliver(app, **kwargs) -> dict[str, int]:
    with app.app_context():
        return deliver_due(**kwargs)


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else "+84" + phone.lstrip("0")


def test_a_cod_order_reaches_each_household_on_every_channel_and_nobody_else(
    app, shop, gateway, smtp_server
):
    _, mailbox = smtp_server
    deliver(app)  # what setting up the shop said (households and listings approved)
    gateway.requests.clear()
    body = order_body([(shop.lychee["id"], 2), (shop.longan["id"], 1)])
    order = shop.buyer.api.post("/orders", body).get_json()
    households = {shop.household.id: shop.household, shop.other_household.id: shop.other_household}

    rows = stored(app, events.SELLER_ORDER_NEW)
    assert {(n.user_id, n.channel) for n in rows} == {
        (uid, channel) for uid in households for channel in ("in_app", "email", "sms", "zalo")
    }
    assert deliver(app) == {"sent": 6, "failed": 0, "dead": 0}  # in_app needs no sending

    for household in households.values():
        part = next(
            so for so in order["seller_orders"] if so["seller"]["id"] == household.seller["id"]
        )
        # The ship-by time as a household reads it: Vietnam time, "14:30 07/12/2026".
        ship_by = events.format_time(dt.datetime.fromisoformat(part["ship_by"]), "vi")
        placed = dt.datetime.fromisoformat(order["created_at"])
        due = dt.datetime.fromisoformat(part["ship_by"]) - placed
        assert abs(due - dt.timedelta(hours=24)) < dt.timedelta(seconds=1)
        phone = e164(household.seller["phone"])
        sms = [r for r in gateway.sent("/sms") if r["json"]["to"] == phone]
        assert len(sms) == 1, gateway.requests
        assert sms[0]["headers"]["Authorization"] == f"Bearer {SMS_KEY}"
        assert order["number"] in sms[0]["json"]["text"]
        assert sms[0]["json"]["text"].endswith(f"Hãy gửi hàng trước {ship_by}.")
        zalo = [r for r in gateway.sent("/zns") if r["json"]["phone"] == phone.lstrip("+")]
        assert len(zalo) == 1
        assert zalo[0]["headers"]["access_token"] == ZALO_TOKEN
        assert zalo[0]["json"]["template_id"] == events.ZALO_TEMPLATES[events.SELLER_ORDER_NEW]
        assert zalo[0]["json"]["template_data"]["order_number"] == order["number"]
        assert zalo[0]["json"]["template_data"]["ship_by"] == ship_by
        assert zalo[0]["json"]["tracking_id"].startswith("notification-")
        mails = [m for m in mailbox.to(household.user["email"]) if order["number"] in m["Subject"]]
        assert len(mails) == 1
        assert f"Hãy gửi hàng trước {ship_by}." in mails[0].get_content()
    lychee_sms = next(
        r for r in gateway.sent("/sms") if r["json"]["to"] == e164(shop.household.seller["phone"])
    )
    assert "Vải thiều Thanh Hà loại 1 × 2 kg" in lychee_sms["json"]["text"]
    assert "90.000 ₫" in lychee_sms["json"]["text"]
    # The buyer paid nothing yet (cash on delivery) and is told nothing; neither are the admins.
    assert shop.buyer.api.get("/me/notifications").get_json()["total"] == 0
    assert all(n.status == "sent" and n.sent_at for n in stored(app, events.SELLER_ORDER_NEW))
    assert deliver(app) == {"sent": 0, "failed": 0, "dead": 0}  # nothing is sent twice
    assert len(gateway.sent("/sms")) == 2
    assert all(r["json"]["to"] for r in gateway.sent("/sms"))


def test_a_card_payment_tells_the_buyer_and_then_the_household(app, shop, gateway):
    body = order_body([(shop.lychee["id"], 3)], "card", CARD_OK)
    order = shop.buyer.api.post("/orders", body).get_json()
    assert order["status"] == "paid"
    assert who_got(app, events.PAYMENT_RECEIVED) == [shop.buyer.id]
    assert who_got(app, events.SELLER_ORDER_NEW) == [shop.household.id]
    feed = shop.buyer.api.get("/me/notifications").get_json()
    assert [item["event"] for item in feed["items"]] == [events.PAYMENT_RECEIVED]
    assert "135.000 ₫" in feed["items"][0]["text"] and order["number"] in feed["items"][0]["text"]


def test_shipping_delivering_and_cancelling_tell_buyer_and_household(app, shop, gateway):
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 1), (shop.longan["id"], 1)])
    ).get_json()
    mine, theirs = (
        next(so for so in order["seller_orders"] if so["seller"]["id"] == h.seller["id"])
        for h in (shop.household, shop.other_household)
    )
    r = shop.household.api.post(
        f"/seller-orders/{mine['id']}/ship", {"carrier": "GHN", "tracking_number": "GHN123"}
    )
    assert r.status_code == 200
    assert who_got(app, events.SELLER_ORDER_SHIPPED) == sorted([shop.buyer.id, shop.household.id])
    shipped = [n for n in stored(app, events.SELLER_ORDER_SHIPPED) if n.user_id == shop.buyer.id]
    assert "GHN GHN123" in shipped[0].text and "Vườn vải nhà bác Lợi" in shipped[0].text

    assert shop.household.api.post(f"/seller-orders/{mine['id']}/deliver").status_code == 200
    assert who_got(app, events.SELLER_ORDER_DELIVERED) == sorted([shop.buyer.id, shop.household.id])
    r = shop.other_household.api.post(f"/seller-orders/{theirs['id']}/cancel", {"reason": "Hết"})
    assert r.status_code == 200
    assert who_got(app, events.SELLER_ORDER_CANCELLED) == sorted(
        [shop.buyer.id, shop.other_household.id]
    )
    cancelled = stored(app, events.SELLER_ORDER_CANCELLED)
    assert all("Hết" in n.text for n in cancelled)
    # The households' SMS go to their profile phones; the buyer has no phone, so e-mail only.
    buyer_channels = {n.channel for n in cancelled if n.user_id == shop.buyer.id}
    assert buyer_channels == {"in_app", "email"}


def test_moderation_tells_the_household(app, api, shop):
    w = shop.world
    pending = w.household.api.post("/products", product_body(name="Vải thiều sớm")).get_json()
    r = w.coop_admin.api.post(f"/products/{pending['id']}/reject", {"reason": "Thiếu ảnh"})
    assert r.status_code == 200
    assert who_got(app, events.LISTING_REJECTED) == [w.household.id]
    assert "Thiếu ảnh" in stored(app, events.LISTING_REJECTED)[0].text
    # Every household of the shop was approved by its co-op admin when it was set up.
    assert who_got(app, events.HOUSEHOLD_APPROVED) == sorted([w.household.id, w.other_household.id])
    assert who_got(app, events.LISTING_APPROVED).count(w.household.id) == 2  # lychee, rice
    refused = new_household(api, w.coop, w.coop_admin, status="rejected")
    assert who_got(app, events.HOUSEHOLD_REJECTED) == [refused.id]
    assert "Thiếu" in stored(app, events.HOUSEHOLD_REJECTED)[0].text


def test_texts_follow_the_users_language_with_vnd_and_vietnam_time(app, shop):
    assert shop.household.api.patch("/me", {"locale": "en"}).get_json()["locale"] == "en"
    assert shop.household.api.patch("/me", {"locale": "fr"}).status_code == 422
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 25)])).get_json()
    (english,) = [n for n in stored(app, events.SELLER_ORDER_NEW) if n.channel == "in_app"]
    assert english.locale == "en"
    assert english.text.startswith(f"Nông sản: new order {order['number']}")
    assert "1.125.000 ₫" in english.text
    ship_by = dt.datetime.fromisoformat(order["seller_orders"][0]["ship_by"])
    assert english.text.endswith(f" Ship it by {events.format_time(ship_by, 'en')}.")
    assert english.data["ship_by"] == events.format_time(ship_by, "en")
    # Times are shown in Vietnam (UTC+7).
    moment = dt.datetime(2026, 12, 7, 20, 30, tzinfo=dt.UTC)
    assert events.format_time(moment, "vi") == "03:30 08/12/2026"
    assert events.format_time(moment, "en") == "8 Dec 2026, 03:30"
    subject, text = events.render(
        events.SELLER_ORDER_NEW,
        events.HOUSEHOLD,
        "vi",
        events.format_values(
            {"order_number": "NS-1", "items": "Vải", "subtotal_vnd": 1250000, "ship_by": moment},
            "vi",
        ),
    )
    assert text.endswith("tổng 1.250.000 ₫. Hãy gửi hàng trước 03:30 08/12/2026.")
    assert subject == "Đơn hàng mới NS-1"


def test_a_failing_gateway_is_retried_with_backoff_then_marked_dead(app, api, gateway):
    with app.app_context():
        app.config.update(SMTP_URL=None, ZALO_ZNS_URL=None)
    buyer = new_user(api, "Đỗ Minh Anh", phone="0912345678")
    gateway.status = 500
    with app.test_request_context():
        from marketplace.auth.models import User
        from marketplace.notifications.services import notify
        from marketplace.unit_of_work import transaction

        with transaction():
            notify(db.session.get(User, buyer.id), events.PAYMENT_RECEIVED, order_number="NS-9")
    start = dt.datetime.now(dt.UTC)
    moment = start
    for wait in BACKOFF:
        assert deliver(app, now=moment) == {"sent": 0, "failed": 1, "dead": 0}
        # Not due again before its backoff has passed.
        assert deliver(app, now=moment + wait - dt.timedelta(seconds=1))["failed"] == 0
        moment += wait
    assert deliver(app, now=moment) == {"sent": 0, "failed": 0, "dead": 1}
    assert deliver(app, now=moment + dt.timedelta(days=1)) == {"sent": 0, "failed": 0, "dead": 0}
    (sms,) = [n for n in stored(app) if n.channel == "sms"]
    assert (sms.status, sms.attempts) == ("dead", 5)
    assert "500" in sms.last_error
    assert len(gateway.sent("/sms")) == 5


def test_a_gateway_back_up_gets_the_retry(app, api, gateway):
    app.config.update(SMTP_URL=None, ZALO_ZNS_URL=None)
    new_user(api, "Đỗ Minh Anh", phone="0912345679")
    shop_buyer_phone = "+84912345679"
    gateway.status = 503
    with app.test_request_context():
        from marketplace.auth.models import User
        from marketplace.notifications.services import notify
        from marketplace.unit_of_work import transaction

        with transaction():
            user = db.session.scalar(select(User).where(User.phone == shop_buyer_phone))
            notify(user, events.PAYMENT_RECEIVED, order_number="NS-10", amount_vnd=50000)
    now = dt.datetime.now(dt.UTC)
    assert deliver(app, now=now)["failed"] == 1
    gateway.status = 200
    assert deliver(app, now=now + dt.timedelta(minutes=1)) == {"sent": 1, "failed": 0, "dead": 0}
    assert [r["json"]["to"] for r in gateway.sent("/sms")] == [shop_buyer_phone] * 2
    (sms,) = [n for n in stored(app) if n.channel == "sms"]
    assert (sms.status, sms.attempts, sms.last_error) == ("sent", 2, None)


def test_a_rolled_back_request_sends_nothing(app, shop, gateway, closed_port_url):
    order = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 2)], "card", CARD_OK)
    ).get_json()
    assert order["status"] == "paid"
    before = len(stored(app))
    # The refund cannot reach the provider: the cancel answers 502 and its transaction (with the
    # notifications it had written) is rolled back.
    app.config["STRIPE_API_BASE"] = closed_port_url
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel", {"reason": "Đổi ý"})
    assert r.status_code == 502
    assert stored(app, events.SELLER_ORDER_CANCELLED) == []
    assert len(stored(app)) == before
    deliver(app)
    assert not any("huỷ" in r["json"].get("text", "") for r in gateway.sent("/sms"))


def test_the_feed_lists_unread_and_marks_only_the_callers_own_read(app, shop):
    for quantity in (1, 2, 3):
        shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], quantity)]))
    household = shop.household.api
    feed = household.get("/me/notifications?unread=true&per_page=2").get_json()
    # approved household + 2 approved listings + 3 new orders
    assert (feed["total"], feed["unread_count"], len(feed["items"])) == (6, 6, 2)
    assert set(feed["items"][0]) == {"id", "event", "channel", "text", "created_at", "read_at"}
    assert feed["items"][0]["event"] == events.SELLER_ORDER_NEW
    assert feed["items"][0]["channel"] == "in_app"
    newest = feed["items"][0]["id"]

    others = shop.other_household.api.get("/me/notifications").get_json()
    # Someone else's ids are ignored.
    r = shop.other_household.api.post("/me/notifications/read", {"ids": [newest]})
    assert r.status_code == 204
    assert household.get("/me/notifications").get_json()["unread_count"] == 6
    assert household.post("/me/notifications/read", {"ids": [newest]}).status_code == 204
    after = household.get("/me/notifications?unread=true").get_json()
    assert (after["total"], after["unread_count"]) == (5, 5)
    assert newest not in [item["id"] for item in after["items"]]
    assert household.get("/me/notifications").get_json()["items"][0]["read_at"] is not None
    assert household.post("/me/notifications/read").status_code == 204
    assert household.get("/me/notifications").get_json()["unread_count"] == 0
    assert shop.other_household.api.get("/me/notifications").get_json() == others
    assert shop.buyer.api.get("/me/notifications?per_page=500").status_code == 422
    assert shop.buyer.api.post("/me/notifications/read", {"ids": ["x"]}).status_code == 422
    assert shop.buyer.api.get("/me/notifications", token="").status_code == 401
