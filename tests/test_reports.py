"""Co-op reports: a co-op admin asks for sales by household, the worker builds it with progress,
and the file (CSV with a BOM, or XLSX) says what the orders say."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import update

from marketplace.clock import VIETNAM
from marketplace.extensions import db
from marketplace.jobs.queue import job_queue
from marketplace.orders.models import SellerOrder
from marketplace.reports.services import run_report
from marketplace.sellers.models import Seller
from tests.factories import new_product
from tests.orders_helpers import build_shop, order_body
from tests.web import browser, text

BODY = {"kind": "sales_by_household", "from": "2026-06-01", "to": "2026-06-30", "format": "csv"}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def deliver_on(app, shop, household, items, vietnam_day: dt.datetime) -> dict:
    """An order of ``items`` delivered by ``household``, its delivery dated in Vietnam time."""
    order = shop.buyer.api.post("/orders", order_body(items)).get_json()
    part = next(so for so in order["seller_orders"] if so["seller"]["id"] == household.seller["id"])
    assert household.api.post(f"/seller-orders/{part['id']}/ship").status_code == 200
    assert household.api.post(f"/seller-orders/{part['id']}/deliver").status_code == 200
    with app.app_context():
        db.session.execute(
            update(SellerOrder)
            .where(SellerOrder.id == part["id"])
            .values(delivered_at=vietnam_day.replace(tzinfo=VIETNAM).astimezone(dt.UTC))
        )
        db.session.commit()
    return part


def build(app, report_id: int) -> str | None:
    with app.app_context():
        return run_report(report_id)


def download(api_as, report_id: int):
    r = api_as.get(f"/reports/{report_id}/file")
    assert r.status_code == 200, r.get_json()
    return r


def test_sales_by_household_counts_what_was_delivered_in_the_period(app, api, shop):
    w = shop.world
    with app.app_context():
        db.session.execute(
            update(Seller).where(Seller.id == w.household.seller["id"]).values(code="HH-001")
        )
        db.session.commit()
    honey = new_product(
        w.other_household,
        w.coop_admin,
        name="Mật ong hoa nhãn",
        unit="g",
        unit_price_vnd=500,
        stock_quantity=1000,
    )
    june = dt.datetime(2026, 6, 1, 0, 30)  # 17:30 on 31 May in UTC: still June in Vietnam
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 2), (shop.rice["id"], 3)], june)
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 1)], dt.datetime(2026, 6, 30, 23, 0))
    deliver_on(app, shop, w.other_household, [(honey["id"], 750)], dt.datetime(2026, 6, 15, 9))
    # Outside the period, or not delivered: not counted.
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 7)], dt.datetime(2026, 7, 1, 0, 5))
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 9)], dt.datetime(2026, 5, 31, 23, 59))
    shop.buyer.api.post("/orders", order_body([(shop.longan["id"], 1)]))

    r = w.coop_admin.api.post(f"/coops/{w.coop['id']}/reports", BODY)
    assert r.status_code == 202
    queued = r.get_json()
    assert (queued["status"], queued["progress"], queued["rows"]) == ("queued", 0, None)
    assert (queued["kind"], queued["from"], queued["to"]) == (
        "sales_by_household",
        "2026-06-01",
        "2026-06-30",
    )
    assert w.coop_admin.api.get(f"/reports/{queued['id']}/file").status_code == 409

    assert build(app, queued["id"]) == "done"
    assert build(app, queued["id"]) is None  # built once, whoever runs it again
    done = w.coop_admin.api.get(f"/reports/{queued['id']}").get_json()
    assert (done["status"], done["progress"], done["rows"]) == ("done", 100, 2)
    assert done["finished_at"] >= done["created_at"]

    r = download(w.coop_admin.api, queued["id"])
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "Mã hộ",
        "Tên hộ",
        "Số đơn đã giao",
        "Kg đã giao",
        "Doanh thu (VND)",
        "Hoa hồng (VND)",
        "Hoàn tiền (VND)",
        "Thực nhận (VND)",
    ]
    lychee_rice = 2 * 45_000 + 3 * 30_000 + 45_000
    other_code = str(w.other_household.seller["id"])
    assert sorted(rows[1:3]) == sorted(
        [
            [
                "HH-001",
                "Vườn vải nhà bác Lợi",
                "2",
                "6",
                str(lychee_rice),
                "0",
                "0",
                str(lychee_rice),
            ],
            [other_code, "Vườn vải nhà bác Lợi", "1", "0.75", "375000", "0", "0", "375000"],
        ]
    )
    total = lychee_rice + 375_000
    assert rows[3] == ["TỔNG", "", "3", "6.75", str(total), "0", "0", str(total)]
    assert len(rows) == 4


def test_xlsx_in_english_for_an_english_speaking_admin(app, api, shop):
    w = shop.world
    w.coop_admin.api.patch("/me", {"locale": "en"})
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 4)], dt.datetime(2026, 6, 10, 10))
    report = w.coop_admin.api.post(
        f"/coops/{w.coop['id']}/reports", {**BODY, "format": "xlsx"}
    ).get_json()
    build(app, report["id"])
    r = download(w.coop_admin.api, report["id"])
    assert r.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert r.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["Household code", "Display name", "Seller orders delivered"]
    assert values[1][2:] == [1, 4, 180_000, 0, 0, 180_000]
    assert values[2][0] == "TOTAL" and values[2][4] == 180_000


def test_only_the_coops_admins_and_platform_admins_see_its_reports(app, api, shop):
    w = shop.world
    coop = w.coop["id"]
    assert api.post(f"/coops/{coop}/reports", BODY).status_code == 401
    assert w.other_coop_admin.api.post(f"/coops/{coop}/reports", BODY).status_code == 403
    assert w.household.api.post(f"/coops/{coop}/reports", BODY).status_code == 403
    assert w.admin.api.post(f"/coops/{coop}/reports", BODY).status_code == 202
    assert w.coop_admin.api.post("/coops/999999/reports", BODY).status_code == 404
    report = w.coop_admin.api.post(f"/coops/{coop}/reports", BODY).get_json()
    build(app, report["id"])
    for stranger in (w.other_coop_admin, w.household, w.buyer):
        assert stranger.api.get(f"/reports/{report['id']}").status_code == 404
        assert stranger.api.get(f"/reports/{report['id']}/file").status_code == 404
    assert w.admin.api.get(f"/reports/{report['id']}/file").status_code == 200
    bad = w.coop_admin.api.post(f"/coops/{coop}/reports", {**BODY, "to": "2026-05-01"})
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["details"]
    assert (
        w.coop_admin.api.post(f"/coops/{coop}/reports", {**BODY, "format": "pdf"}).status_code
        == 422
    )


def test_a_report_asked_while_the_queue_was_down_is_built_by_the_sweep(app, api, shop):
    w = shop.world
    report = w.coop_admin.api.post(f"/coops/{w.coop['id']}/reports", BODY).get_json()
    with app.app_context():
        from marketplace.reports.models import Report

        db.session.execute(
            update(Report)
            .where(Report.id == report["id"])
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        )
        db.session.commit()
    assert job_queue(app).run_periodic("run_forgotten_reports") == 1
    assert job_queue(app).run_periodic("run_forgotten_reports") == 0
    assert w.coop_admin.api.get(f"/reports/{report['id']}").get_json()["status"] == "done"


def test_the_console_asks_for_a_report_and_offers_its_download(app, api, shop):
    w = shop.world
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 2)], dt.datetime(2026, 6, 10, 10))
    b = browser(app, w.coop_admin.user["email"])
    page = b.get(f"/coop/{w.coop['id']}/reports")
    assert page.status_code == 200 and "Doanh số theo hộ" in text(page)
    r = b.post(
        f"/coop/{w.coop['id']}/reports",
        {"from": "2026-06-01", "to": "2026-06-30", "format": "xlsx"},
    )
    assert r.status_code == 302
    page = text(b.get(f"/coop/{w.coop['id']}/reports"))
    assert "Đang chờ" in page and 'hx-trigger="every 2s"' in page
    report_id = w.coop_admin.api.get(f"/reports/{_latest_id(app)}").get_json()["id"]
    build(app, report_id)
    page = text(b.get(f"/coop/{w.coop['id']}/reports"))
    assert "Tải về" in page and "every 2s" not in page
    file = b.get(f"/coop/reports/{report_id}/file")
    assert file.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(file.data)).active["E2"].value == 90_000
    bad = b.post(
        f"/coop/{w.coop['id']}/reports", {"from": "2026-06-30", "to": "2026-06-01", "format": "csv"}
    )
    assert bad.status_code == 422
    other = browser(app, w.other_coop_admin.user["email"])
    assert other.get(f"/coop/{w.coop['id']}/reports").status_code == 403
    assert other.get(f"/coop/reports/{report_id}/file").status_code == 404


def _latest_id(app) -> int:
    from sqlalchemy import func, select

    from marketplace.reports.models import Report

    with app.app_context():
        return db.session.scalar(select(func.max(Report.id)))


def test_the_bell_counts_unread_notifications_on_every_page(app, api, shop):
    shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)]))
    b = browser(app, shop.household.user["email"])
    home = text(b.get("/"))
    # household approved, two listings approved, one new order
    assert 'class="badge unread-count">4<' in home
    page = text(b.get("/notifications"))
    assert "đơn hàng mới" in page and "Đánh dấu tất cả là đã đọc" in page
    assert b.post("/notifications/read", {}).status_code == 302
    assert "unread-count" not in text(b.get("/products"))
    assert shop.household.api.get("/me/notifications").get_json()["unread_count"] == 0
    # Anonymous visitors have no bell.
    assert "unread-count" not in text(browser(app).get("/")) and "🔔" not in text(
        browser(app).get("/")
    )


def test_the_language_switch_sets_a_logged_in_persons_notification_language(app, api, shop):
    b = browser(app, shop.household.user["email"])
    b.get("/?lang=en")
    assert shop.household.api.get("/me").get_json()["locale"] == "en"
    shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)]))
    feed = shop.household.api.get("/me/notifications").get_json()
    assert feed["items"][0]["text"].startswith("Nông sản: new order")
    # A new browser without a language choice shows the account's language.
    assert 'lang="en"' in text(browser(app, shop.household.user["email"]).get("/"))
