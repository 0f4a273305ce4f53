"""The ship-by reminder: a household hears once, on every channel that reaches it, when a
confirmed seller order must ship within 4 hours, whoever runs the sweep and however often."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from marketplace.delivery.deadlines import remind_ship_by_soon
from marketplace.extensions import db
from marketplace.jobs.queue import job_queue
from marketplace.jobs.tasks import PERIODIC
from marketplace.notifications import events
from marketplace.notifications.delivery import deliver_due
from marketplace.notifications.models import Notification
from marketplace.orders.models import SellerOrder
from tests.orders_helpers import build_shop, order_body


@pytest.fixture
def app_config(app_config, channels_config, stripe_config):
    return {**app_config, **channels_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def reminders(app, channel: str | None = "in_app") -> list[Notification]:
    with app.app_context():
        query = select(Notification).where(Notification.event == events.SHIP_BY_SOON)
        if channel:
            query = query.where(Notification.channel == channel)
        rows = list(db.session.scalars(query.order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def place(app, shop, items, ship_within_hours: float) -> dict:
    """A cash-on-delivery order (confirmed at once) whose ship_by is ``ship_within_hours`` away."""
    app.config["SHIP_WITHIN_HOURS"] = ship_within_hours
    r = shop.buyer.api.post("/orders", order_body(items))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def part_of(order: dict, household) -> dict:
    return next(so for so in order["seller_orders"] if so["seller"]["id"] == household.seller["id"])


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else "+84" + phone.lstrip("0")


def test_each_household_is_reminded_once_when_ship_by_is_4_hours_away(
    app, shop, gateway, smtp_server
):
    assert "remind_ship_by_soon" in [job.name for job in PERIODIC]
    assert shop.other_household.api.patch("/me", {"locale": "en"}).status_code == 200
    soon = place(app, shop, [(shop.lychee["id"], 2), (shop.longan["id"], 1)], 3)
    later = place(app, shop, [(shop.lychee["id"], 1)], 24)
    shipped = place(app, shop, [(shop.rice["id"], 2)], 3)
    part = part_of(shipped, shop.household)["id"]
    assert shop.household.api.post(f"/seller-orders/{part}/ship", {}).status_code == 200
    cancelled = place(app, shop, [(shop.lychee["id"], 3)], 3)
    part = part_of(cancelled, shop.household)["id"]
    r = shop.household.api.post(f"/seller-orders/{part}/cancel", {"reason": "Hết hàng"})
    assert r.status_code == 200

    assert job_queue(app).run_periodic("remind_ship_by_soon") == 2
    assert job_queue(app).run_periodic("remind_ship_by_soon") == 0

    rows = reminders(app, channel=None)
    households = (shop.household, shop.other_household)
    assert sorted((n.user_id, n.channel) for n in rows) == sorted(
        (h.id, channel) for h in households for channel in ("in_app", "email", "sms", "zalo")
    )
    for household, locale in zip(households, ("vi", "en"), strict=True):
        ship_by = dt.datetime.fromisoformat(part_of(soon, household)["ship_by"])
        (row,) = [n for n in rows if n.user_id == household.id and n.channel == "in_app"]
        assert row.locale == locale
        assert soon["number"] in row.text and events.format_time(ship_by, locale) in row.text
        for other in (later, shipped, cancelled):
            assert other["number"] not in row.text
    (english,) = [n for n in rows if n.user_id == shop.other_household.id and n.channel == "sms"]
    assert english.text.startswith(
        f"Nông sản: less than 4 hours left to ship order {soon['number']}"
    )

    with app.app_context():
        assert deliver_due()["failed"] == 0  # the reminders, and what came before them
    ship_by = dt.datetime.fromisoformat(part_of(soon, shop.household)["ship_by"])
    shown = events.format_time(ship_by, "vi")
    sms = [r for r in gateway.sent("/sms") if "4 giờ" in r["json"]["text"]]
    assert [r["json"]["to"] for r in sms] == [e164(shop.household.seller["phone"])]
    assert soon["number"] in sms[0]["json"]["text"] and shown in sms[0]["json"]["text"]
    zalo = [
        r["json"]
        for r in gateway.sent("/zns")
        if r["json"]["template_id"] == events.ZALO_TEMPLATES[events.SHIP_BY_SOON]
    ]
    assert sorted(z["template_data"]["order_number"] for z in zalo) == [soon["number"]] * 2
    mails = [m for m in smtp_server[1].to(shop.household.user["email"]) if "trước" in m["Subject"]]
    assert [m["Subject"] for m in mails] == [f"Đơn {soon['number']} cần gửi trước {shown}"]

    # 21 hours on, the 24-hour order is 3 hours from its ship_by: its turn, once.
    with app.app_context():
        moment = dt.datetime.now(dt.UTC) + dt.timedelta(hours=21)
        assert remind_ship_by_soon(now=moment) == 1
        assert remind_ship_by_soon(now=moment) == 0
    assert [later["number"] in n.text for n in reminders(app)] == [False, False, True]


def test_the_command_reminds_and_says_how_many(app, shop):
    place(app, shop, [(shop.lychee["id"], 1)], 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["orders", "remind-ship-by"])
    assert result.exit_code == 0, result.output
    assert "reminded 1 seller order to ship within 4 h" in result.output
    result = runner.invoke(args=["orders", "remind-ship-by"])
    assert "reminded 0 seller orders" in result.output
    assert len(reminders(app)) == 1


def test_two_sweeps_at_once_remind_each_seller_order_once(app, shop):
    orders = [place(app, shop, [(shop.lychee["id"], q)], 3.5) for q in (1, 2, 3, 4, 5)]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        barrier.wait()
        # The function itself, without the queue-wide lock the worker adds: the row's
        # compare-and-set alone decides who reminds.
        with app.app_context():
            results.append(remind_ship_by_soon())

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(results) == 5 and len(results) == 2
    texts = [n.text for n in reminders(app)]
    assert sorted(next(o["number"] for o in orders if o["number"] in t) for t in texts) == sorted(
        o["number"] for o in orders
    )
    with app.app_context():
        marked = db.session.scalars(select(SellerOrder.ship_by_reminded_at)).all()
    assert len(marked) == 5 and all(marked)
    # And the periodic job, twice at once in two threads, finds nothing more.
    assert job_queue(app).run_periodic("remind_ship_by_soon") == 0
    assert len(reminders(app, channel=None)) == 5 * 4
