"""notify(): the one function the rest of the code calls when something happened that people
should hear about. It adds rows to the outbox in the caller's transaction (flushed with it, never
committed here): a request that rolls back sends nothing, and what commits is sent by the worker
even if it was down at the time.

Channels per recipient: always `in_app` (in the feed at once); `email` when the person has an
e-mail address and SMTP_URL is set; `sms` when there is a phone number and SMS_API_URL is set;
`zalo` when there is a phone number and ZALO_ZNS_URL is set. A household is reached on its
profile's phone (the number its co-op knows), a buyer on the account's phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, insert, inspect, select, update

from ..auth.models import User
from ..clock import utcnow
from ..extensions import db
from ..money.banks import bank_name
from . import events
from .events import BUYER, HOUSEHOLD
from .models import Notification


def _destinations(user: User, phone: str | None) -> dict[str, str | None]:
    config = current_app.config
    channels: dict[str, str | None] = {"in_app": None}
    if user.email and config.get("SMTP_URL"):
        channels["email"] = user.email
    if phone and config.get("SMS_API_URL"):
        channels["sms"] = phone
    if phone and config.get("ZALO_ZNS_URL"):
        channels["zalo"] = phone
    return channels


def _rows(
    user: User, event: str, audience: str, phone: str | None, context: dict[str, Any]
) -> list[dict[str, Any]]:
    locale = user.locale if user.locale in events.LOCALES else events.DEFAULT_LOCALE
    values = events.format_values(context, locale)
    subject, text = events.render(event, audience, locale, values)
    now = utcnow()
    rows = []
    for channel, destination in _destinations(user, phone or user.phone).items():
        in_app = channel == "in_app"
        rows.append(
            {
                "user_id": user.id,
                "event": event,
                "channel": channel,
                "status": "sent" if in_app else "queued",
                "attempts": 0,
                "locale": locale,
                "subject": subject[:200],
                "text": text,
                "data": values,
                "destination": destination,
                "next_attempt_at": None if in_app else now,
                "created_at": now,
                "sent_at": now if in_app else None,
            }
        )
    return rows


def _queue(rows: list[dict[str, Any]]) -> None:
    # One executemany in the caller's transaction, whatever the number of rows and people (no
    # ORM objects: nothing reads their ids, and a checkout's statement count stays flat).
    if rows:
        db.session.execute(insert(Notification), rows)


def notify(
    user: User, event: str, *, audience: str = BUYER, phone: str | None = None, **context: Any
) -> int:
    """Queue ``event`` for ``user`` on every channel that reaches them, in their language;
    returns the number of rows written.

    ``context`` holds the event's values (order_number, *_vnd amounts, datetimes…); ``phone``
    overrides the account's phone (a household's profile phone)."""
    rows = _rows(user, event, audience, phone, context)
    _queue(rows)
    return len(rows)


def notify_household(seller, event: str, **context: Any) -> int:
    """``event`` for a household: its owner's account, on the household profile's phone."""
    return notify(seller.user, event, audience=HOUSEHOLD, phone=seller.phone, **context)


# ---- the events other services emit (one call each) -----------------------------------------


def _items(seller_order) -> str:
    return "; ".join(f"{line.name} × {line.quantity} {line.unit}" for line in seller_order.lines)


def _order_values(seller_order) -> dict[str, Any]:
    return {
        "order_number": seller_order.order.number,
        "seller_name": seller_order.seller.display_name,
        "subtotal_vnd": seller_order.subtotal_vnd,
    }


def _household_rows(seller_orders, event: str) -> list[dict[str, Any]]:
    """``event`` for the household of each seller order (its items, number, subtotal and
    ship_by), on its profile's phone: one statement loads their accounts."""
    if not seller_orders:
        return []
    users = _load_users({so.seller.user_id for so in seller_orders})
    rows = []
    for seller_order in seller_orders:
        context = {
            "items": _items(seller_order),
            "ship_by": seller_order.ship_by,
            **_order_values(seller_order),
        }
        seller = seller_order.seller
        rows += _rows(users[seller.user_id], event, HOUSEHOLD, seller.phone, context)
    return rows


def seller_orders_placed(seller_orders) -> None:
    """Households have new seller orders (COD placed, or card / bank transfer paid): the order
    number, items, subtotal and, once confirmed, the ship-by time in Vietnam time. One statement
    writes every notification."""
    _queue(_household_rows(seller_orders, events.SELLER_ORDER_NEW))


def ship_by_soon(seller_orders) -> None:
    """The ship-by sweep: these confirmed seller orders must ship within 4 hours."""
    _queue(_household_rows(seller_orders, events.SHIP_BY_SOON))


def lot_recalled(lot, reason: str | None, cancelled, received, refunded_vnd: dict[int, int]) -> int:
    """A lot is recalled: each buyer of ``cancelled`` (seller orders the recall cancelled) and
    ``received`` (shipped or delivered ones) hears it once, about their own orders only (order
    numbers, and what is refunded to them: ``refunded_vnd`` by seller order id). Returns the
    number of buyers told."""
    per_buyer: dict[int, dict[str, Any]] = {}
    for group, seller_orders in (("cancelled", cancelled), ("received", received)):
        for seller_order in seller_orders:
            mine = per_buyer.setdefault(
                seller_order.order.buyer_id, {"cancelled": set(), "received": set(), "refund": 0}
            )
            mine[group].add(seller_order.order.number)
            if group == "cancelled":
                mine["refund"] += refunded_vnd.get(seller_order.id, 0)
    if not per_buyer:
        return 0
    users = _load_users(set(per_buyer))
    product = lot.product
    rows = []
    for buyer_id, mine in sorted(per_buyer.items()):
        context = {
            "lot_code": lot.code,
            "product_name": product.name,
            "seller_name": product.seller.display_name,
            "reason": reason,
            "received_orders": ", ".join(sorted(mine["received"])),
            "cancelled_orders": ", ".join(sorted(mine["cancelled"])),
            "refunded_vnd": mine["refund"] or None,
        }
        rows += _rows(users[buyer_id], events.LOT_RECALLED, BUYER, None, context)
    _queue(rows)
    return len(per_buyer)


@dataclass(frozen=True)
class Harvested:
    """What a harvest did to one pre-order: ``line`` (its product's line, at the quantity
    allocated) out of ``ordered``; ``refunded_vnd`` of the deposit given back; ``balance_vnd``
    left to pay on delivery."""

    seller_order: Any
    line: Any
    ordered: int
    refunded_vnd: int
    balance_vnd: int
    owed_vnd: int = 0  # a bank-transfer deposit: sent back by hand, not refunded at once

    @property
    def cancelled(self) -> bool:
        return self.seller_order.status == "cancelled"


def pre_orders_harvested(harvested: list[Harvested]) -> None:
    """A harvest was recorded: each pre-order's buyer hears whether it was filled (allocated:
    what they get, its total, when it ships, what is left to pay) or cut (how much, what is
    left if any, the deposit refunded); the household of each confirmed one gets the new seller
    order message with its harvest-based ship-by time. One statement writes them all."""
    if not harvested:
        return
    buyers = _load_users({h.seller_order.order.buyer_id for h in harvested})
    rows = []
    for h in harvested:
        seller_order, line = h.seller_order, h.line
        context: dict[str, Any] = {
            **_order_values(seller_order),
            "product_name": line.name,
            "refunded_vnd": h.refunded_vnd or None,
            "owed_vnd": h.owed_vnd or None,
        }
        if not h.cancelled:
            context |= {
                "items": _items(seller_order),
                "ship_by": seller_order.ship_by,
                "balance_vnd": h.balance_vnd or None,
            }
        cut = h.ordered - (0 if h.cancelled else line.quantity)
        if cut:
            event = events.PREORDER_CUT
            context |= {
                "cut_quantity": f"{cut} {line.unit}",
                "ordered_quantity": f"{h.ordered} {line.unit}",
                "kept_quantity": None if h.cancelled else f"{line.quantity} {line.unit}",
                "pre_order_cancelled": "yes" if h.cancelled else None,
            }
        else:
            event = events.PREORDER_ALLOCATED
        rows += _rows(buyers[seller_order.order.buyer_id], event, BUYER, None, context)
    confirmed = [h.seller_order for h in harvested if not h.cancelled]
    _queue(rows + _household_rows(confirmed, events.SELLER_ORDER_NEW))


def payout_paid(item) -> None:
    """A payout item was marked paid: its household hears the amount, the bank and the last
    digits of the account it went to, and the treasurer's reference."""
    notify_household(
        item.seller,
        events.PAYOUT_PAID,
        amount_vnd=item.amount_vnd,
        bank_name=bank_name(item.bank_bin) or item.bank_bin,
        account_tail=item.account_no[-4:],
        reference=item.reference,
    )


def _load_users(ids: set[int]) -> dict[int, User]:
    """These accounts in one query (none when the session has them all already)."""
    known = {}
    for user_id in ids:
        user = db.session.identity_map.get(db.session.identity_key(User, user_id))
        if user is None or inspect(user).expired:
            return {
                user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))
            }
        known[user_id] = user
    return known


def seller_order_changed(seller_order, event: str, **extra: Any) -> None:
    """Shipped, delivered, cancelled or refused: the buyer and the household hear of it."""
    values = {**_order_values(seller_order), **extra}
    notify(seller_order.order.buyer, event, audience=BUYER, **values)
    notify_household(seller_order.seller, event, **values)


def payment_received(order) -> None:
    notify(
        order.buyer,
        events.PAYMENT_RECEIVED,
        order_number=order.number,
        amount_vnd=order.total_vnd,
    )


def listing_moderated(product, action: str, reason: str | None = None) -> None:
    event = {"approve": events.LISTING_APPROVED, "reject": events.LISTING_REJECTED}.get(action)
    if event:
        notify_household(product.seller, event, product_name=product.name, reason=reason)


def household_moderated(seller, action: str, reason: str | None = None) -> None:
    event = {"approve": events.HOUSEHOLD_APPROVED, "reject": events.HOUSEHOLD_REJECTED}.get(action)
    if event:
        notify_household(seller, event, display_name=seller.display_name, reason=reason)


# ---- the in-app feed ------------------------------------------------------------------------


def _feed_of(user: User):
    return (Notification.user_id == user.id) & (Notification.channel == "in_app")


def feed(user: User, unread: bool = False) -> Select:
    """GET /me/notifications: the caller's in-app notifications, newest first."""
    query = select(Notification).where(_feed_of(user))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(_feed_of(user), Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the caller's notifications read (all when ``ids`` is None); others' are untouched."""
    query = update(Notification).where(_feed_of(user), Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    return db.session.execute(query.values(read_at=utcnow())).rowcount or 0
