"""Commission, the ledger, balances, COD remittance and payouts.

Every amount is integer VND. A household's ledger is append-only: each entry carries the balance
after it, so entries are written one household at a time under that household's lock (the seller
row: PostgreSQL FOR UPDATE, SQLite's write lock), in the transaction of what causes them.

Balances: an entry of a seller order is *available* once the order was delivered
PAYOUT_HOLD_DAYS ago and, for cash on delivery, its cash was remitted; entries without a seller
order (payouts, adjustments) count at once. Money in an open payout batch is *held*. So
Σ entries = balance = pending + available + held.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, func, insert, literal, or_, select, update

from ..auth.models import User
from ..clock import utcnow
from ..coops.models import Coop
from ..coops.services import can_moderate, get_coop
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..notifications import services as notifications
from ..orders.models import Order, SellerOrder
from ..row_locks import for_update
from ..sellers.models import Seller
from .arithmetic import commission_of
from .models import CodRemittance, LedgerEntry, PayoutBatch, PayoutItem

DEFAULT_MIN_PAYOUT_VND = 50_000


# ---- commission and the ledger --------------------------------------------------------------


def commission_for(seller: Seller, subtotal_vnd: int) -> int:
    """The commission fixed on a seller order when it is placed (its household's co-op's rate)."""
    return commission_of(subtotal_vnd, seller.coop.commission_bps)


def _lock_seller(seller_id: int) -> None:
    db.session.execute(
        for_update(select(Seller.id).where(Seller.id == seller_id), "sellers", [seller_id])
    )


def _balance(seller_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_vnd), 0)).where(
            LedgerEntry.seller_id == seller_id
        )
    )


def _append(seller_id: int, entries: list[dict[str, Any]]) -> list[LedgerEntry]:
    """Write entries for one household, each with the balance after it (household locked)."""
    _lock_seller(seller_id)
    balance = _balance(seller_id)
    written = []
    for entry in entries:
        balance += entry["amount_vnd"]
        written.append(LedgerEntry(seller_id=seller_id, balance_after_vnd=balance, **entry))
    db.session.add_all(written)
    db.session.flush()
    return written


def record_delivery(seller_order: SellerOrder) -> None:
    """A seller order was delivered: its household earned the subtotal, less the commission."""
    entries = [{"kind": "sale", "amount_vnd": seller_order.subtotal_vnd}]
    if seller_order.commission_vnd:
        entries.append({"kind": "commission", "amount_vnd": -seller_order.commission_vnd})
    for entry in entries:
        entry["seller_order_id"] = seller_order.id
    _append(seller_order.seller_id, entries)


def record_refund(seller_order: SellerOrder, refunded_vnd: int, note: str | None = None) -> None:
    """Money given back to the buyer for a delivered seller order: the household gives back what
    was refunded of its sale and the platform gives back the commission on that part."""
    if seller_order.status != "delivered" or refunded_vnd <= 0:
        return
    earlier = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.seller_order_id == seller_order.id,
            LedgerEntry.kind.in_(("refund", "commission")),
        )
    ).all()
    refunded_before = -sum(e.amount_vnd for e in earlier if e.kind == "refund")
    given_back = sum(e.amount_vnd for e in earlier if e.kind == "commission" and e.amount_vnd > 0)
    refunded_vnd = min(refunded_vnd, seller_order.subtotal_vnd - refunded_before)
    if refunded_vnd <= 0:
        return
    # The commission on everything refunded so far, less what was already given back: the sum
    # never exceeds the commission taken, and rounding does not drift over several refunds.
    commission_back = (
        min(
            commission_of(refunded_before + refunded_vnd, seller_order.seller.coop.commission_bps),
            seller_order.commission_vnd,
        )
        - given_back
    )
    entries = [{"kind": "refund", "amount_vnd": -refunded_vnd, "note": note}]
    if commission_back:
        entries.append({"kind": "commission", "amount_vnd": commission_back, "note": note})
    for entry in entries:
        entry["seller_order_id"] = seller_order.id
    _append(seller_order.seller_id, entries)


# ---- balances --------------------------------------------------------------------------------


def _available_condition(now: dt.datetime):
    """SQL: the entry counts as available (its seller order cleared the hold and, COD, the cash
    came in; or it has no seller order). Reads the entry's seller order and order, outer-joined
    by ``_with_orders``: one index lookup per entry, not a scan of every cleared seller order."""
    hold = dt.timedelta(days=float(current_app.config["PAYOUT_HOLD_DAYS"]))
    return or_(
        LedgerEntry.seller_order_id.is_(None),
        and_(
            SellerOrder.delivered_at.is_not(None),
            SellerOrder.delivered_at <= now - hold,
            or_(SellerOrder.cod_remittance_id.is_not(None), Order.payment_method != "cod"),
        ),
    )


def _with_orders(query: Select) -> Select:
    """``query`` over ledger entries, with each entry's seller order and order (if any)."""
    return query.outerjoin(SellerOrder, SellerOrder.id == LedgerEntry.seller_order_id).outerjoin(
        Order, Order.id == SellerOrder.order_id
    )


@dataclass
class Balance:
    pending_vnd: int
    available_vnd: int
    held_vnd: int
    paid_out_vnd: int

    @property
    def balance_vnd(self) -> int:
        return self.pending_vnd + self.available_vnd + self.held_vnd


def balances(seller_ids: list[int] | None = None, now: dt.datetime | None = None) -> dict:
    """{seller_id: Balance} in one statement, whatever the number of households."""
    now = now or utcnow()
    available = _available_condition(now)
    held = (
        select(func.coalesce(func.sum(PayoutItem.amount_vnd), 0))
        .where(PayoutItem.seller_id == LedgerEntry.seller_id, PayoutItem.status == "held")
        .scalar_subquery()
    )
    query = _with_orders(
        select(
            LedgerEntry.seller_id,
            func.sum(LedgerEntry.amount_vnd),
            func.sum(case((available, LedgerEntry.amount_vnd), else_=0)),
            func.sum(case((LedgerEntry.kind == "payout", -LedgerEntry.amount_vnd), else_=0)),
            held,
        )
    ).group_by(LedgerEntry.seller_id)
    if seller_ids is not None:
        query = query.where(LedgerEntry.seller_id.in_(seller_ids))
    result = {}
    for seller_id, total, avail, paid_out, h in db.session.execute(query):
        result[seller_id] = Balance(
            pending_vnd=total - avail, available_vnd=avail - h, held_vnd=h, paid_out_vnd=paid_out
        )
    return result


def _seller_for_money(user: User, seller_id: int) -> Seller:
    """A household's money is seen by the household, its co-op's admins and platform admins."""
    seller = db.session.get(Seller, seller_id)
    if seller is None or not (
        seller.user_id == user.id or can_moderate(user, seller.coop_id) or user.is_admin
    ):
        raise NotFound("No such seller.")
    return seller


def balance_of(user: User, seller_id: int) -> Balance:
    seller = _seller_for_money(user, seller_id)
    return balances([seller.id]).get(seller.id) or Balance(0, 0, 0, 0)


def ledger_of(user: User, seller_id: int) -> Select:
    seller = _seller_for_money(user, seller_id)
    return (
        select(LedgerEntry)
        .where(LedgerEntry.seller_id == seller.id)
        .order_by(LedgerEntry.id.desc())
    )


# ---- cash on delivery ------------------------------------------------------------------------


def _cod_collected(seller_order: SellerOrder) -> int:
    return seller_order.subtotal_vnd + (getattr(seller_order, "shipping_fee_vnd", 0) or 0)


def _coop_for_money(user: User, coop_id: int) -> Coop:
    coop = get_coop(coop_id)
    if not (user.is_admin or can_moderate(user, coop.id)):
        raise Forbidden("Only this co-op's admins can see what it owes.")
    return coop


def _outstanding_query(coop_id: int) -> Select:
    return (
        select(SellerOrder)
        .join(Seller, Seller.id == SellerOrder.seller_id)
        .join(Order, Order.id == SellerOrder.order_id)
        .where(
            Seller.coop_id == coop_id,
            Order.payment_method == "cod",
            SellerOrder.status == "delivered",
            SellerOrder.cod_remittance_id.is_(None),
        )
        .order_by(SellerOrder.delivered_at, SellerOrder.id)
    )


def cod_outstanding(user: User, coop_id: int) -> dict[str, Any]:
    """What a co-op owes for delivered cash-on-delivery seller orders not yet remitted."""
    coop = _coop_for_money(user, coop_id)
    items = [
        {
            "seller_order_id": so.id,
            "amount_vnd": _cod_collected(so),
            "delivered_at": so.delivered_at,
        }
        for so in db.session.scalars(_outstanding_query(coop.id))
    ]
    return {"items": items, "total_vnd": sum(i["amount_vnd"] for i in items)}


def record_remittance(
    user: User, coop_id: int, seller_order_ids: list[int], amount_vnd: int, reference: str
) -> CodRemittance:
    """The cash for these delivered COD seller orders was handed over: each once, exact amount."""
    if not user.is_admin:
        raise Forbidden("Only a platform admin records cash received.")
    coop = get_coop(coop_id)
    ids = sorted(set(seller_order_ids))
    if len(ids) != len(seller_order_ids):
        raise ValidationError(details={"seller_order_ids": ["Each seller order once."]})
    found = {
        so.id: so
        for so in db.session.scalars(
            select(SellerOrder)
            .join(Seller, Seller.id == SellerOrder.seller_id)
            .join(Order, Order.id == SellerOrder.order_id)
            .where(
                SellerOrder.id.in_(ids),
                Seller.coop_id == coop.id,
                Order.payment_method == "cod",
                SellerOrder.status == "delivered",
            )
        )
    }
    wrong = [i for i in ids if i not in found]
    if wrong:
        raise ValidationError(
            "Only delivered cash-on-delivery seller orders of this co-op's households.",
            {"seller_order_ids": [f"Not a delivered COD seller order of this co-op: {wrong}"]},
        )
    already = [i for i in ids if found[i].cod_remittance_id is not None]
    if already:
        raise Conflict("Some seller orders were remitted already.", {"seller_order_ids": already})
    owed = sum(_cod_collected(found[i]) for i in ids)
    if amount_vnd != owed:
        raise ValidationError(
            f"These seller orders collected {owed} VND, not {amount_vnd}.",
            {"amount_vnd": [f"Must equal what the seller orders collected: {owed}."]},
        )
    remittance = CodRemittance(
        coop_id=coop.id, amount_vnd=amount_vnd, reference=reference, recorded_by_id=user.id
    )
    db.session.add(remittance)
    db.session.flush()
    # Compare-and-set: a seller order remitted by a concurrent request is not remitted twice.
    marked = db.session.execute(
        update(SellerOrder)
        .where(SellerOrder.id.in_(ids), SellerOrder.cod_remittance_id.is_(None))
        .values(cod_remittance_id=remittance.id)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != len(ids):
        raise Conflict("Some seller orders were remitted meanwhile.", {"seller_order_ids": ids})
    for so in found.values():
        db.session.expire(so, ["cod_remittance_id"])
    return remittance


# ---- payouts ---------------------------------------------------------------------------------


def create_batch(user: User, min_amount_vnd: int = DEFAULT_MIN_PAYOUT_VND) -> PayoutBatch:
    """Every household with a bank account whose available balance reaches the minimum gets an
    item holding all of it; held money is not available to another batch."""
    if not user.is_admin:
        raise Forbidden("Only a platform admin makes payout batches.")
    # One batch at a time: a concurrent batch waits here, then sees this one's holds.
    _lock_all_payouts()
    batch = PayoutBatch(status="open", min_amount_vnd=min_amount_vnd, created_by_id=user.id)
    db.session.add(batch)
    db.session.flush()
    # One INSERT … SELECT, whatever the number of households: each one's available balance (as
    # balances() computes it: available entries less what open batches hold) with its account.
    available = _available_condition(utcnow())
    earned = (
        _with_orders(
            select(
                LedgerEntry.seller_id.label("seller_id"),
                func.sum(case((available, LedgerEntry.amount_vnd), else_=0)).label("available"),
            )
        )
        .group_by(LedgerEntry.seller_id)
        .subquery()
    )
    held = (
        select(
            PayoutItem.seller_id.label("seller_id"), func.sum(PayoutItem.amount_vnd).label("held")
        )
        .where(PayoutItem.status == "held")
        .group_by(PayoutItem.seller_id)
        .subquery()
    )
    amount = earned.c.available - func.coalesce(held.c.held, 0)
    rows = (
        select(
            literal(batch.id),
            Seller.id,
            amount,
            Seller.payout_bank_bin,
            Seller.payout_account_no,
            Seller.payout_account_name,
            literal("held"),
        )
        .join(earned, earned.c.seller_id == Seller.id)
        .outerjoin(held, held.c.seller_id == Seller.id)
        .where(Seller.payout_bank_bin.is_not(None), amount >= max(min_amount_vnd, 1))
        .order_by(Seller.id)
    )
    db.session.execute(
        insert(PayoutItem).from_select(
            [
                "batch_id",
                "seller_id",
                "amount_vnd",
                "bank_bin",
                "account_no",
                "account_name",
                "status",
            ],
            rows,
        )
    )
    batch.total_vnd = db.session.scalar(
        select(func.coalesce(func.sum(PayoutItem.amount_vnd), 0)).where(
            PayoutItem.batch_id == batch.id
        )
    )
    db.session.flush()
    db.session.expire(batch, ["items"])  # loaded (in id order) when the answer is written
    return batch


def _lock_all_payouts() -> None:
    """Batches are made one at a time: an advisory lock on PostgreSQL, the write lock on SQLite
    (taken by the batch insert that follows)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(7_405_001)))


def get_batch(user: User, batch_id: int) -> PayoutBatch:
    if not user.is_admin:
        raise NotFound("No such payout batch.")
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound("No such payout batch.")
    return batch


def list_batches(user: User) -> Select:
    if not user.is_admin:
        raise Forbidden("Only a platform admin sees payout batches.")
    return select(PayoutBatch).order_by(PayoutBatch.id.desc())


def mark_paid(user: User, batch_id: int, item_id: int, reference: str) -> PayoutItem:
    """The treasurer transferred this item: write its `payout` entry (once)."""
    batch = get_batch(user, batch_id)
    item = db.session.get(PayoutItem, item_id)
    if item is None or item.batch_id != batch.id:
        raise NotFound("No such payout item.")
    now = utcnow()
    paid = db.session.execute(
        update(PayoutItem)
        .where(PayoutItem.id == item.id, PayoutItem.status == "held")
        .values(status="paid", reference=reference, paid_at=now)
        .execution_options(synchronize_session=False)
    )
    if paid.rowcount != 1:
        raise Conflict("This payout item is paid already.")
    db.session.expire(item)
    notifications.payout_paid(item)
    _append(
        item.seller_id,
        [
            {
                "kind": "payout",
                "amount_vnd": -item.amount_vnd,
                "payout_id": batch.id,
                "payout_item_id": item.id,
                "note": reference,
            }
        ],
    )
    if (
        db.session.scalar(
            select(func.count())
            .select_from(PayoutItem)
            .where(PayoutItem.batch_id == batch.id, PayoutItem.status == "held")
        )
        == 0
    ):
        batch.status = "paid"
    db.session.flush()
    return item


def export_csv(user: User, batch_id: int) -> str:
    """The bank batch file: bank_bin,account_no,account_name,amount_vnd,description."""
    batch = get_batch(user, batch_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["bank_bin", "account_no", "account_name", "amount_vnd", "description"])
    for item in batch.items:
        writer.writerow(
            [item.bank_bin, item.account_no, item.account_name, item.amount_vnd, item.description]
        )
    return out.getvalue()


def money_totals() -> dict[str, int]:
    """Σ ledger per kind (for the property tests and the audit)."""
    return dict(
        db.session.execute(
            select(LedgerEntry.kind, func.sum(LedgerEntry.amount_vnd)).group_by(LedgerEntry.kind)
        ).all()
    )
