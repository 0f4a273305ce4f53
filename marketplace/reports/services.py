"""Co-op reports as jobs: asked for over the API or the console, built by the worker with its
progress written as it goes, then downloaded as CSV (UTF-8 with a BOM) or XLSX.

`sales_by_household`: seller orders delivered in the period (Vietnam dates, both ends included),
per household of the co-op that had any, and a total row. Aggregated in SQL (three GROUP BY
queries), so 100,000 orders take well under the 30 s budget (bench/README.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from sqlalchemy import Select, case, func, select, update

from ..auth.models import User
from ..catalogue.models import Product
from ..clock import VIETNAM, utcnow
from ..coops.services import get_coop, require_coop_admin
from ..errors import Conflict, NotFound
from ..extensions import db
from ..jobs.queue import job_queue
from ..money.models import LedgerEntry
from ..orders.models import OrderLine, SellerOrder
from ..sellers.models import Seller
from ..unit_of_work import after_commit, transaction
from .models import Report

log = logging.getLogger("marketplace.reports")

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADINGS = {
    "vi": (
        "Mã hộ",
        "Tên hộ",
        "Số đơn đã giao",
        "Kg đã giao",
        "Doanh thu (VND)",
        "Hoa hồng (VND)",
        "Hoàn tiền (VND)",
        "Thực nhận (VND)",
    ),
    "en": (
        "Household code",
        "Display name",
        "Seller orders delivered",
        "Kg delivered",
        "Gross VND",
        "Commission VND",
        "Refunds VND",
        "Net VND",
    ),
}
TOTAL_LABEL = {"vi": "TỔNG", "en": "TOTAL"}
# A report still `running` this long after it started belongs to a worker that died.
STUCK_AFTER = dt.timedelta(hours=1)
# A report `queued` this long was never picked up (its message was lost): the sweep runs it.
UNCLAIMED_AFTER = dt.timedelta(minutes=1)


# ---- asking and reading ---------------------------------------------------------------------


REPORTS_FOR_ADMINS = "Only this co-op's admins ask for its reports."


def request_report(user: User, coop_id: int, data: dict[str, Any]) -> Report:
    """POST /coops/{id}/reports: a queued report, handed to the worker once this commits."""
    coop = get_coop(coop_id)
    require_coop_admin(user, coop.id, REPORTS_FOR_ADMINS)
    report = Report(
        coop_id=coop.id,
        requested_by_id=user.id,
        kind=data["kind"],
        format=data["format"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        locale=user.locale if user.locale in HEADINGS else "vi",
        status="queued",
        progress=0,
        created_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    report_id = report.id

    after_commit(lambda: job_queue().enqueue("run_report", report_id))
    return report


def _visible_reports(user: User) -> Select:
    query = select(Report)
    if not user.is_admin:
        query = query.where(Report.coop_id.in_(user.coop_ids or [-1]))
    return query


def get_report_for(user: User, report_id: int) -> Report:
    """A report of a co-op the caller administers (404 for anyone else)."""
    report = db.session.scalar(_visible_reports(user).where(Report.id == report_id))
    if report is None:
        raise NotFound("No such report.")
    return report


def reports_of_coop(coop_id: int, limit: int = 20) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.coop_id == coop_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        )
    )


def report_file(report: Report) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a finished report; 409 while it is not done."""
    if report.status != "done" or report.content is None:
        raise Conflict(f"The report is {report.status}; its file is not ready.")
    name = f"{report.kind}_{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}_{report.id}"
    return f"{name}.{report.format}", CONTENT_TYPES[report.format], report.content


# ---- building (the worker) ------------------------------------------------------------------


@dataclass
class HouseholdSales:
    code: str
    display_name: str
    delivered: int = 0
    grams: int = 0
    gross_vnd: int = 0
    commission_vnd: int = 0
    refunds_vnd: int = 0

    @property
    def net_vnd(self) -> int:
        return self.gross_vnd - self.commission_vnd - self.refunds_vnd

    @property
    def kg(self) -> float:
        return self.grams / 1000


def _utc_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[from 00:00, the day after `to` 00:00) in Vietnam, as UTC instants."""
    start = dt.datetime.combine(date_from, dt.time(0), VIETNAM).astimezone(dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), VIETNAM)
    return start, end.astimezone(dt.UTC)


def sales_by_household(coop_id: int, date_from: dt.date, date_to: dt.date) -> list[HouseholdSales]:
    """One entry per household of the co-op with seller orders delivered in the period.

    Gross is the seller orders' subtotals (weighed lines at their weighed totals). Commission is
    their `commission_vnd` (fixed when placed, recomputed on weighing) less what the ledger gave
    back on refunds after delivery; refunds are the ledger's `refund` entries of those seller
    orders (what the household gave back). So net = gross − commission − refunds is what the
    ledger credited the household for them. Kilograms: a weighed line counts its packed weight,
    any other line quantity × the product's `unit_weight_g`."""
    start, end = _utc_bounds(date_from, date_to)
    delivered = (
        select(
            SellerOrder.id,
            SellerOrder.seller_id,
            SellerOrder.subtotal_vnd,
            SellerOrder.commission_vnd,
        )
        .join(Seller, Seller.id == SellerOrder.seller_id)
        .where(
            Seller.coop_id == coop_id,
            SellerOrder.status == "delivered",
            SellerOrder.delivered_at >= start,
            SellerOrder.delivered_at < end,
        )
        .subquery()
    )
    by_seller: dict[int, HouseholdSales] = {}
    totals = db.session.execute(
        select(
            delivered.c.seller_id,
            Seller.code,
            Seller.display_name,
            func.count(),
            func.sum(delivered.c.subtotal_vnd),
            func.sum(delivered.c.commission_vnd),
        )
        .join(Seller, Seller.id == delivered.c.seller_id)
        .group_by(delivered.c.seller_id, Seller.code, Seller.display_name)
    )
    for seller_id, code, name, count, gross, commission in totals:
        by_seller[seller_id] = HouseholdSales(
            code=code or str(seller_id),
            display_name=name,
            delivered=count,
            gross_vnd=int(gross or 0),
            commission_vnd=int(commission or 0),
        )
    grams = case(
        (OrderLine.actual_weight_g.is_not(None), OrderLine.actual_weight_g),
        else_=OrderLine.quantity * Product.unit_weight_g,
    )
    weights = db.session.execute(
        select(delivered.c.seller_id, func.sum(grams))
        .join(OrderLine, OrderLine.seller_order_id == delivered.c.id)
        .join(Product, Product.id == OrderLine.product_id)
        .group_by(delivered.c.seller_id)
    )
    for seller_id, total_grams in weights:
        by_seller[seller_id].grams = int(total_grams or 0)
    # After delivery a refund writes `refund` (−amount) and gives back the commission on it
    # (`commission`, +amount) in the ledger (money/services.py record_refund).
    refunds = db.session.execute(
        select(
            delivered.c.seller_id,
            func.sum(case((LedgerEntry.kind == "refund", -LedgerEntry.amount_vnd), else_=0)),
            func.sum(
                case(
                    (
                        (LedgerEntry.kind == "commission") & (LedgerEntry.amount_vnd > 0),
                        LedgerEntry.amount_vnd,
                    ),
                    else_=0,
                )
            ),
        )
        .join(LedgerEntry, LedgerEntry.seller_order_id == delivered.c.id)
        .where(LedgerEntry.kind.in_(("refund", "commission")))
        .group_by(delivered.c.seller_id)
    )
    for seller_id, refunded, commission_back in refunds:
        by_seller[seller_id].refunds_vnd = int(refunded or 0)
        by_seller[seller_id].commission_vnd -= int(commission_back or 0)
    return sorted(by_seller.values(), key=lambda row: (row.code, row.display_name))


def _table(rows: list[HouseholdSales], locale: str) -> list[list[Any]]:
    total = HouseholdSales(code=TOTAL_LABEL[locale], display_name="")
    table: list[list[Any]] = [list(HEADINGS[locale])]
    for row in rows:
        for name in ("delivered", "grams", "gross_vnd", "commission_vnd", "refunds_vnd"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    for row in [*rows, total]:
        table.append(
            [
                row.code,
                row.display_name,
                row.delivered,
                row.kg,
                row.gross_vnd,
                row.commission_vnd,
                row.refunds_vnd,
                row.net_vnd,
            ]
        )
    return table


def _kg_text(value: Any) -> Any:
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else value


def to_csv(table: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so that spreadsheet programs read the Vietnamese names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in table:
        writer.writerow([_kg_text(value) for value in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: list[list[Any]], title: str) -> bytes:
    out = io.BytesIO()
    with xlsxwriter.Workbook(out, {"in_memory": True}) as book:
        sheet = book.add_worksheet(title[:31])
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0"})
        kg = book.add_format({"num_format": "0.###"})
        sheet.write_row(0, 0, table[0], bold)
        for index, line in enumerate(table[1:], start=1):
            last = index == len(table) - 1
            sheet.write_string(index, 0, str(line[0]), bold if last else None)
            sheet.write_string(index, 1, str(line[1]))
            sheet.write_number(index, 2, line[2])
            sheet.write_number(index, 3, line[3], kg)
            for column in range(4, 8):
                sheet.write_number(index, column, line[column], money)
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 32)
        sheet.set_column(2, 7, 16)
    return out.getvalue()


def _claim(report_id: int) -> bool:
    result = db.session.execute(
        update(Report)
        .where(Report.id == report_id, Report.status == "queued")
        .values(status="running", started_at=utcnow(), progress=5)
    )
    return result.rowcount == 1


def _progress(report_id: int, progress: int) -> None:
    with transaction():
        db.session.execute(update(Report).where(Report.id == report_id).values(progress=progress))


def run_report(report_id: int) -> str | None:
    """Build one report (the worker's `run_report` job); a report another worker took, or one
    already built, is left alone. Returns its final status, or None when it was not ours."""
    with transaction():
        if not _claim(report_id):
            return None
    try:
        with transaction():
            report = db.session.get(Report, report_id)
            kind, fmt, locale = report.kind, report.format, report.locale
            coop_id, date_from, date_to = report.coop_id, report.date_from, report.date_to
        _progress(report_id, 10)
        rows = sales_by_household(coop_id, date_from, date_to)
        db.session.rollback()  # end the read transaction before the next write
        _progress(report_id, 70)
        table = _table(rows, locale)
        content = to_csv(table) if fmt == "csv" else to_xlsx(table, kind)
        with transaction():
            db.session.execute(
                update(Report)
                .where(Report.id == report_id)
                .values(
                    status="done",
                    progress=100,
                    rows=len(rows),
                    content=content,
                    finished_at=utcnow(),
                    error=None,
                )
            )
        return "done"
    except Exception as exc:
        log.exception("report %s failed", report_id)
        db.session.rollback()
        _fail(report_id, f"{type(exc).__name__}: {exc}")
        return "failed"


def _fail(report_id: int, error: str) -> None:
    with transaction():
        db.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(status="failed", error=error[:1000], finished_at=utcnow())
        )


def run_forgotten_reports() -> int:
    """The periodic catch-up: run reports whose job message was lost (queue down when they were
    asked for) and fail those left `running` by a worker that died. Returns how many it ran."""
    now = utcnow()
    with transaction():
        stuck = list(
            db.session.scalars(
                select(Report.id).where(
                    Report.status == "running", Report.started_at < now - STUCK_AFTER
                )
            )
        )
        waiting = list(
            db.session.scalars(
                select(Report.id)
                .where(Report.status == "queued", Report.created_at < now - UNCLAIMED_AFTER)
                .order_by(Report.id)
            )
        )
    for report_id in stuck:
        _fail(report_id, "The worker building it stopped; ask for it again.")
    return sum(1 for report_id in waiting if run_report(report_id) is not None)
