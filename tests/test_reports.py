"""Co-op reports: a co-op admin asks for sales by household, the worker builds it with progress,
and the file (CSV with a BOM, or XLSX) says what the orders say."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
import requests
from sqlalchemy import update

from marketplace.clock import VIETNAM
from marketplace.extensions import db
from marketplace.jobs.queue import job_queue
from marketplace.orders.models import SellerOrder
from marketplace.reports.services import run_report
from marketplace.sellers.models import Seller
from tests.factories import new_product
from tests.orders_helpers import build_shop, order_body
from tests.payments_fixtures import CARD_OK, TEST_SECRET_KEY
from tests.test_webhook import deliver as webhook
from tests.test_webhook import event, provider_get
from tests.web import browser, text

BODY = {"kind": "sales_by_household", "from": "2026-06-01", "to": "2026-06-30", "format": "csv"}


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def deliver_on(
    app, shop, household, items, vietnam_day: dt.datetime, *, method="cod", weights=None
) -> dict:
    """An order of ``items`` delivered by ``household``, its delivery dated in Vietnam time;
    ``weights`` ({product_id: grams}) weighs catch-weight lines when it ships."""
    order = shop.buyer.api.post(
        "/orders", order_body(items, method, CARD_OK if method == "card" else None)
    ).get_json()
    part = next(so for so in order["seller_orders"] if so["seller"]["id"] == household.seller["id"])
    lines = [{"product_id": pid, "actual_weight_g": g} for pid, g in (weights or {}).items()]
    r = household.api.post(f"/seller-orders/{part['id']}/ship", {"lines": lines} if lines else {})
    assert r.status_code == 200, r.get_json()
    assert household.api.post(f"/seller-orders/{part['id']}/deliver").status_code == 200
    with app.app_context():
        db.session.execute(
            update(SellerOrder)
            .where(SellerOrder.id == part["id"])
            .values(delivered_at=vietnam_day.replace(tzinfo=VIETNAM).astimezone(dt.UTC))
        )
        db.session.commit()
    return {**part, "order_id": order["id"], "payment": order["payment"]}


def refund_at_provider(app, stripe_config, part: dict, amount: int) -> None:
    """Money given back from the provider's dashboard after delivery (charge.refunded)."""
    intent_id = part["payment"]["provider_id"]
    r = requests.post(
        f"{stripe_config['STRIPE_API_BASE']}/v1/refunds",
        data={"payment_intent": intent_id, "amount": str(amount)},
        headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
        timeout=10,
    )
    r.raise_for_status()
    charge = provider_get(stripe_config, f"/v1/payment_intents/{intent_id}")["latest_charge"]
    r = webhook(app.test_client(), event("charge.refunded", charge))
    assert r.status_code == 200, r.get_json()


def build(app, report_id: int) -> str | None:
    with app.app_context():
        return run_report(report_id)


def download(api_as, report_id: int):
    r = api_as.get(f"/reports/{report_id}/file")
    assert r.status_code == 200, r.get_json()
    return r


def kg_text(grams: int) -> str:
    return f"{grams / 1000:.3f}".rstrip("0").rstrip(".")


def expected_row(shop, household, parts: list[dict], code: str) -> list:
    """What the report must say for ``household``, read from its delivered seller orders as the
    buyer sees them now, the products' unit weights and the household's ledger."""
    seen = []
    for part in parts:
        order = shop.buyer.api.get(f"/orders/{part['order_id']}").get_json()
        seen += [so for so in order["seller_orders"] if so["id"] == part["id"]]
    assert [so["status"] for so in seen] == ["delivered"] * len(parts)
    grams = 0
    for so in seen:
        for line in so["lines"]:
            if line["actual_weight_g"] is not None:
                grams += line["actual_weight_g"]
            else:
                product = shop.buyer.api.get(f"/products/{line['product_id']}").get_json()
                grams += line["quantity"] * product["unit_weight_g"]
    ids = {so["id"] for so in seen}
    ledger = household.api.get(f"/sellers/{household.seller['id']}/ledger?per_page=100")
    entries = [e for e in ledger.get_json()["items"] if e["seller_order_id"] in ids]
    refunds = -sum(e["amount_vnd"] for e in entries if e["kind"] == "refund")
    given_back = sum(
        e["amount_vnd"] for e in entries if e["kind"] == "commission" and e["amount_vnd"] > 0
    )
    gross = sum(so["subtotal_vnd"] for so in seen)
    commission = sum(so["commission_vnd"] for so in seen) - given_back
    net = gross - commission - refunds
    # What the household was credited for them: sale − commission + refund entries.
    assert net == sum(e["amount_vnd"] for e in entries)
    name = seen[0]["seller"]["display_name"]
    return [code, name, len(seen), grams, gross, commission, refunds, net]


@pytest.fixture
def june(app, shop, stripe_config):
    """June's deliveries (and some outside it) of both households of the co-op, with a counted
    unit (box, g), a weighed crate paid by card and refunded in part after delivery; returns the
    expected rows {household code: row} (kg in grams)."""
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
    mango_box = new_product(
        w.other_household,
        w.coop_admin,
        name="Hộp xoài cát Hoà Lộc",
        unit="box",
        unit_weight_g=2_500,
        unit_price_vnd=180_000,
        stock_quantity=20,
    )
    crate = new_product(w.household, w.coop_admin, name="Thùng vải cân", catch_weight=True)
    june_1 = dt.datetime(2026, 6, 1, 0, 30)  # 17:30 on 31 May in UTC: still June in Vietnam
    mine = [
        deliver_on(app, shop, w.household, [(shop.lychee["id"], 2), (shop.rice["id"], 3)], june_1),
        deliver_on(app, shop, w.household, [(shop.lychee["id"], 1)], dt.datetime(2026, 6, 30, 23)),
        # Weighed lighter at packing (refunded then: the subtotal is the weighed one), and
        # 20,000 VND more refunded from the provider's dashboard after delivery.
        deliver_on(
            app,
            shop,
            w.household,
            [(crate["id"], 5)],
            dt.datetime(2026, 6, 20, 8),
            method="card",
            weights={crate["id"]: 4_700},
        ),
    ]
    refund_at_provider(app, stripe_config, mine[2], 20_000)
    theirs = [
        deliver_on(app, shop, w.other_household, [(honey["id"], 750)], dt.datetime(2026, 6, 15, 9)),
        deliver_on(
            app, shop, w.other_household, [(mango_box["id"], 3)], dt.datetime(2026, 6, 16, 10)
        ),
    ]
    # Outside the period, or not delivered: not counted.
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 7)], dt.datetime(2026, 7, 1, 0, 5))
    deliver_on(app, shop, w.household, [(shop.lychee["id"], 9)], dt.datetime(2026, 5, 31, 23, 59))
    shop.buyer.api.post("/orders", order_body([(shop.longan["id"], 1)]))
    other_code = str(w.other_household.seller["id"])
    rows = {
        "HH-001": expected_row(shop, w.household, mine, "HH-001"),
        other_code: expected_row(shop, w.other_household, theirs, other_code),
    }
    # The scenario is what it says: a weighed crate, a box and a refund after delivery count.
    assert rows["HH-001"][3] == (2 + 1) * 1000 + 3 * 1000 + 4_700
    assert rows[other_code][3] == 750 + 3 * 2_500
    assert rows["HH-001"][6] == 20_000
    assert all(row[5] > 0 for row in rows.values())
    return rows


def total_of(rows: dict, label: str) -> list:
    values = [sum(row[i] for row in rows.values()) for i in range(2, 8)]
    return [label, "", *values]


def test_sales_by_household_counts_what_was_delivered_in_the_period(app, api, shop, june):
    w = shop.world
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

    def as_csv(row: list) -> list[str]:
        return [str(value) if i != 3 else kg_text(value) for i, value in enumerate(row)]

    assert sorted(rows[1:3]) == sorted(as_csv(row) for row in june.values())
    assert rows[3] == as_csv(total_of(june, "TỔNG"))
    assert len(rows) == 4


def test_xlsx_in_english_for_an_english_speaking_admin(app, api, shop, june):
    w = shop.world
    w.coop_admin.api.patch("/me", {"locale": "en"})
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
    assert values[0] == [
        "Household code",
        "Display name",
        "Seller orders delivered",
        "Kg delivered",
        "Gross VND",
        "Commission VND",
        "Refunds VND",
        "Net VND",
    ]

    def as_xlsx(row: list) -> list:
        return [row[0], row[1], row[2], row[3] / 1000, *row[4:]]

    assert sorted(values[1:3], key=str) == sorted((as_xlsx(r) for r in june.values()), key=str)
    # numbers are numbers (the money columns are integers)
    assert all(isinstance(v, int) for line in values[1:] for v in line[4:])
    total = as_xlsx(total_of(june, "TOTAL"))
    assert values[3][0] == "TOTAL" and values[3][2:] == total[2:]
    assert len(values) == 4


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
