"""Pages show times as the clock in Vietnam shows them (Asia/Ho_Chi_Minh, UTC+7), whatever the
page's language: 20:00 UTC is 03:00 the next morning for a household racing its ship-by deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template_string
from sqlalchemy import update

from marketplace.extensions import db
from marketplace.orders.models import Order, SellerOrder
from tests.factories import build_world, new_product
from tests.orders_helpers import order_body
from tests.web import browser, text

EVENING_UTC = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)


def _render(app, source: str, lang: str, **values) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return render_template_string(source, **values)


@pytest.mark.parametrize(
    ("lang", "shown"), [("vi", "03:00 08/12/2026"), ("en", "8 Dec 2026, 03:00")]
)
def test_a_utc_evening_is_the_next_morning_in_vietnam(app, lang, shown):
    assert _render(app, "{{ t|moment }}", lang, t=EVENING_UTC) == shown
    # stored timestamps may come back naive (SQLite): they are UTC
    assert _render(app, "{{ t|moment }}", lang, t=EVENING_UTC.replace(tzinfo=None)) == shown
    # an aware time in another zone (New York, 15:00) is the same instant
    new_york = EVENING_UTC.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert _render(app, "{{ t|moment }}", lang, t=new_york) == shown
    assert _render(app, "{{ t|moment }}", lang, t=None) == ""


def test_the_day_of_a_timestamp_is_its_day_in_vietnam(app):
    assert _render(app, "{{ t|day }}", "vi", t=EVENING_UTC) == "08/12/2026"
    assert _render(app, "{{ d|day }}", "vi", d=dt.date(2026, 12, 7)) == "07/12/2026"
    morning = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)  # 08:00 the same day in Vietnam
    assert _render(app, "{{ t|day }}", "en", t=morning) == "7 Dec 2026"


def test_the_ship_by_deadline_order_time_and_promised_date_are_in_vietnam_time(app, api):
    world = build_world(app, api)
    lychee = new_product(world.household, world.coop_admin)
    order = world.buyer.api.post("/orders", order_body([(lychee["id"], 2)])).get_json()
    part = order["seller_orders"][0]["id"]
    # Ship by 20:00 UTC two days from now (03:00 the day after in Vietnam), placed at 20:00 UTC
    # a day ago, promised a day after the deadline.
    today = dt.datetime.now(dt.UTC).date()
    ship_by = dt.datetime.combine(today + dt.timedelta(days=2), dt.time(20, 0), dt.UTC)
    placed_at = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(20, 0), dt.UTC)
    with app.app_context():
        db.session.execute(
            update(SellerOrder)
            .where(SellerOrder.id == part)
            .values(ship_by=ship_by, promised_by=ship_by + dt.timedelta(hours=24))
        )
        db.session.execute(
            update(Order).where(Order.id == order["id"]).values(created_at=placed_at)
        )
        db.session.commit()

    def vn(moment: dt.datetime) -> str:
        return (moment + dt.timedelta(hours=7)).strftime("%H:%M %d/%m/%Y")

    assert vn(ship_by).startswith("03:00 ")
    household = text(browser(app, world.household.user["email"]).get("/dashboard/orders"))
    assert f"Gửi hàng trước {vn(ship_by)}" in household
    buyer = text(browser(app, world.buyer.user["email"]).get(f"/orders/{order['id']}"))
    assert vn(placed_at) in buyer  # the order's time
    assert f"Gửi hàng trước {vn(ship_by)}" in buyer
    assert f"Giao đến trước {vn(ship_by + dt.timedelta(hours=24))}" in buyer
    utc_text = ship_by.strftime("%H:%M %d/%m/%Y")
    assert utc_text not in household and utc_text not in buyer
