"""Orders: checkout, the two state machines, who sees what, cancellations, expiry.

Every change to an existing order locks its row first (PostgreSQL `FOR UPDATE`), so a buyer's
cancel, a household's shipment, a webhook and the expiry job never interleave on one order.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from typing import Any

from flask import current_app
from sqlalchemy import Select, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..auth.models import User
from ..catalogue import stock
from ..catalogue.models import Product
from ..catalogue.services import visible_products
from ..clock import VIETNAM, utcnow
from ..coops.services import can_moderate
from ..errors import (
    AppError,
    Forbidden,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from ..extensions import db
from ..payments import services as payments
from ..payments.models import Payment
from ..places import check_place
from ..sellers.models import Seller
from .models import Order, OrderLine, SellerOrder

# Order state machine: (status, action) → new status. Anything else is 409 invalid_transition.
ORDER_TRANSITIONS: dict[tuple[str, str], str] = {
    ("awaiting_payment", "pay"): "paid",
    ("awaiting_payment", "fail"): "payment_failed",
    ("awaiting_payment", "expire"): "expired",
    ("placed", "complete"): "completed",
    ("paid", "complete"): "completed",
    ("placed", "cancel"): "cancelled",
    ("paid", "cancel"): "cancelled",
}
# Seller order state machine. `confirm` happens by itself when the order is paid (card) or
# placed (COD); there is no endpoint for it.
SELLER_ORDER_TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "confirm"): "confirmed",
    ("confirmed", "ship"): "shipped",
    ("shipped", "deliver"): "delivered",
    ("pending", "cancel"): "cancelled",
    ("confirmed", "cancel"): "cancelled",
}
OPEN_FOR_HOUSEHOLDS = ("placed", "paid")  # orders whose seller orders households work on

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I look-alikes


def _move(obj: Order | SellerOrder, table: dict[tuple[str, str], str], action: str) -> None:
    new_status = table.get((obj.status, action))
    if new_status is None:
        what = "an order" if isinstance(obj, Order) else "a seller order"
        raise InvalidTransition(
            f"Cannot {action} {what} in status '{obj.status}'.",
            {"status": obj.status, "action": action},
        )
    obj.status = new_status


def new_order_number() -> str:
    """`NS-251125-7K3QXPM`: the date in Vietnam and 7 random characters (32⁷ per day)."""
    day = dt.datetime.now(VIETNAM).strftime("%y%m%d")
    return f"NS-{day}-{''.join(secrets.choice(_NUMBER_ALPHABET) for _ in range(7))}"


# ---- checkout -----------------------------------------------------------------------------


def _check_items(buyer: User, items: list[dict], products: dict[int, Product]) -> None:
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        product = products.get(item["product_id"])
        if product is None:
            errors[index] = {"product_id": ["No such product on sale."]}
        elif product.seller.user_id == buyer.id:
            errors[index] = {"product_id": ["You cannot buy your own product."]}
        elif item["quantity"] < product.min_order_quantity:
            errors[index] = {
                "quantity": [f"At least {product.min_order_quantity} {product.unit} per order."]
            }
    if errors:
        raise ValidationError(details={"items": errors})


def place_order(buyer: User, data: dict[str, Any]) -> Order:
    """Validate the items, reserve their stock (all or nothing) and write the order, its seller
    orders (one per household, prices copied), lines and payment record. Flushes, never commits.

    Cash on delivery: order `placed`, seller orders `confirmed`. Card: order `awaiting_payment`
    until the provider answers, holding the stock until `expires_at`.
    """
    address = data["shipping_address"]
    place_errors = check_place(address["province_code"], address["ward_code"])
    if place_errors:
        raise ValidationError(details={"shipping_address": place_errors})
    items = data["items"]
    quantities = {item["product_id"]: item["quantity"] for item in items}
    # One statement loads, checks visibility of and locks every product (in id order).
    products = stock.lock_products(
        visible_products()
        .where(Product.id.in_(list(quantities)))
        .options(contains_eager(Product.seller))
    )
    _check_items(buyer, items, products)
    short = stock.shortages(quantities, products)
    if short:
        raise InsufficientStock("Not enough stock for some items.", {"items": short})

    card = data["payment_method"] == "card"
    now = utcnow()
    order = Order(
        created_at=now,
        number=new_order_number(),
        buyer_id=buyer.id,
        status="awaiting_payment" if card else "placed",
        payment_method=data["payment_method"],
        shipping_address=dict(address),
        note=data.get("note") or None,
        expires_at=(
            now + dt.timedelta(minutes=current_app.config["RESERVATION_TTL_MINUTES"])
            if card
            else None
        ),
    )
    by_seller: dict[int, SellerOrder] = {}
    for item in items:
        product = products[item["product_id"]]
        seller_order = by_seller.get(product.seller_id)
        if seller_order is None:
            seller_order = by_seller[product.seller_id] = SellerOrder(
                order=order, seller=product.seller, status="pending", subtotal_vnd=0
            )
            if not card:
                _move(seller_order, SELLER_ORDER_TRANSITIONS, "confirm")
        line_total = product.unit_price_vnd * item["quantity"]
        seller_order.lines.append(
            OrderLine(
                product_id=product.id,
                name=product.name,
                unit=product.unit,
                unit_price_vnd=product.unit_price_vnd,
                quantity=item["quantity"],
                line_total_vnd=line_total,
            )
        )
        seller_order.subtotal_vnd += line_total
    order.items_total_vnd = sum(so.subtotal_vnd for so in by_seller.values())
    order.total_vnd = order.items_total_vnd  # no shipping fee yet
    db.session.add(order)
    payments.new_payment(
        order, data["payment_method"], (data.get("card") or {}).get("payment_method_id")
    )
    db.session.flush()
    stock.reserve_stock(
        quantities, reason=f"Order {order.number}", order_id=order.id, locked=products
    )
    return order


# ---- after the provider answered -----------------------------------------------------------


def lock_order(order_id: int, *, skip_locked: bool = False) -> Order | None:
    """The order, its seller orders, lines and payment re-read under a row lock.

    ``skip_locked``: None instead of waiting when another transaction holds the order.
    """
    order = db.session.scalar(
        _with_relations(select(Order).where(Order.id == order_id))
        .with_for_update(of=Order, skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    if order is None and not skip_locked:
        raise NotFound("No such order.")
    return order


def _release(order: Order, seller_orders: list[SellerOrder], why: str) -> None:
    quantities: dict[int, int] = defaultdict(int)
    for seller_order in seller_orders:
        for line in seller_order.lines:
            quantities[line.product_id] += line.quantity
    if quantities:
        stock.release_stock(quantities, reason=f"{why} {order.number}", order_id=order.id)


def mark_paid(order: Order) -> None:
    """The card payment succeeded: order `paid`, every seller order `confirmed`."""
    _move(order, ORDER_TRANSITIONS, "pay")
    order.expires_at = None
    for seller_order in order.seller_orders:
        _move(seller_order, SELLER_ORDER_TRANSITIONS, "confirm")


def _close_unpaid(order: Order, action: str, payment_status: str, why: str) -> None:
    _move(order, ORDER_TRANSITIONS, action)
    open_parts = [so for so in order.seller_orders if so.status != "cancelled"]
    for seller_order in open_parts:
        _move(seller_order, SELLER_ORDER_TRANSITIONS, "cancel")
        seller_order.cancelled_at = utcnow()
    if order.payment.status not in ("failed", "expired"):
        order.payment.status = payment_status
    _release(order, open_parts, why)


def mark_payment_failed(order: Order) -> None:
    """Declined: order `payment_failed`, seller orders cancelled, stock released."""
    _close_unpaid(order, "fail", "failed", "Payment failed for order")


def apply_intent(order: Order, intent: dict[str, Any]) -> str:
    """Bring a locked order in line with its PaymentIntent; returns the intent's outcome.

    A success for an order no longer waiting (expired, failed) is refunded in full at once.
    """
    payment = order.payment
    if order.status != "awaiting_payment":
        if intent.get("status") == "succeeded" and order.status in ("expired", "payment_failed"):
            if intent.get("id") and not payment.provider_id:
                payment.provider_id = intent["id"]
            refund_late_payment(order)
        return intent.get("status") or ""
    outcome = payments.record_intent(payment, intent)
    if outcome == "succeeded":
        mark_paid(order)
    elif outcome == "declined":
        mark_payment_failed(order)
    db.session.flush()
    return outcome


def refund_late_payment(order: Order) -> None:
    """Money arrived for an order that no longer holds stock: give it all back."""
    payment = order.payment
    payment.status = "succeeded"
    payments.refund(
        payment,
        payment.amount_vnd,
        scope=f"late-payment-{payment.id}",
        reason=f"Paid after order {order.number} was {order.status}",
    )


# ---- expiry -------------------------------------------------------------------------------


def _overdue(order: Order, now: dt.datetime) -> bool:
    return (
        order.status == "awaiting_payment"
        and order.expires_at is not None
        and order.expires_at <= now
    )


def expire_order(order_id: int, now: dt.datetime | None = None) -> bool:
    """Expire one unpaid card order past its TTL (locked first); True when it was expired."""
    now = now or utcnow()
    # Skip an order another transaction holds (a webhook, a cancel, another expiry): it is being
    # dealt with, and waiting here while holding other orders' product rows could deadlock.
    order = lock_order(order_id, skip_locked=True)
    if order is None or not _overdue(order, now):
        return False
    _close_unpaid(order, "expire", "expired", "Reservation expired for order")
    db.session.flush()
    return True


def overdue_order_ids(where=None, *, limit: int | None = None, now=None) -> list[int]:
    query = select(Order.id).where(
        Order.status == "awaiting_payment", Order.expires_at <= (now or utcnow())
    )
    if where is not None:
        query = query.where(where)
    query = query.order_by(Order.expires_at, Order.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def expire_overdue(where=None, *, limit: int | None = 50, now=None) -> int:
    """Expire overdue orders (those matching ``where``); the number expired."""
    now = now or utcnow()
    return sum(
        1 for oid in overdue_order_ids(where, limit=limit, now=now) if expire_order(oid, now)
    )


# ---- who sees what ------------------------------------------------------------------------


def _seller_order_scope(user: User):
    """SQL condition: seller orders the user sees as a household or co-op admin (None: none)."""
    conditions = []
    if user.seller is not None:
        conditions.append(SellerOrder.seller_id == user.seller.id)
    if user.coop_ids:
        conditions.append(
            SellerOrder.seller_id.in_(select(Seller.id).where(Seller.coop_id.in_(user.coop_ids)))
        )
    return or_(*conditions) if conditions else None


def _orders_scope(user: User):
    if user.is_admin:
        return true()
    scope = Order.buyer_id == user.id
    seller_scope = _seller_order_scope(user)
    if seller_scope is not None:
        scope = or_(scope, Order.id.in_(select(SellerOrder.order_id).where(seller_scope)))
    return scope


def _with_relations(query: Select) -> Select:
    return query.options(
        selectinload(Order.seller_orders).selectinload(SellerOrder.lines),
        selectinload(Order.seller_orders).joinedload(SellerOrder.seller),
        selectinload(Order.payment),
    )


def orders_for(user: User, status: str | None = None) -> Select:
    """Orders the user bought, and those holding seller orders the user sees, newest first."""
    query = select(Order).where(_orders_scope(user))
    if status:
        query = query.where(Order.status == status)
    return _with_relations(query.order_by(Order.created_at.desc(), Order.id.desc()))


def expire_overdue_holding(product_ids: list[int]) -> int:
    """Expire overdue orders holding stock of these products (checkout found them short)."""
    holding = (
        select(SellerOrder.order_id)
        .join(OrderLine, OrderLine.seller_order_id == SellerOrder.id)
        .where(OrderLine.product_id.in_(product_ids))
    )
    return expire_overdue(Order.id.in_(holding))


def expire_overdue_for(user: User) -> int:
    """The lazy expiry behind GET /orders: overdue orders the user may see."""
    return expire_overdue(_orders_scope(user))


def get_order_for(user: User, order_id: int) -> Order:
    """The order if ``user`` may see it (404 otherwise); an overdue one is expired first."""
    order = db.session.scalar(
        _with_relations(select(Order).where(Order.id == order_id, _orders_scope(user)))
    )
    if order is None:
        raise NotFound("No such order.")
    if _overdue(order, utcnow()):
        expire_order(order.id)
    return order


def refresh_card_payment(order: Order) -> Order:
    """An order still waiting for its card payment (3-D Secure, processing) asks the provider how
    the PaymentIntent stands, in case the webhook is late or lost. Best effort: when the provider
    cannot be asked, the order is shown as it is."""
    payment = order.payment
    if (
        order.status != "awaiting_payment"
        or payment.method != "card"
        or not payment.provider_id
        or payment.status not in ("requires_action", "processing")
    ):
        return order
    try:
        intent = payments.provider().retrieve_payment_intent(payment.provider_id)
    except (AppError, ValueError):
        return order
    if intent.get("status") in ("succeeded", "requires_payment_method", "canceled"):
        apply_intent(lock_order(order.id), intent)
    return order


def sees_whole_order(user: User, order: Order) -> bool:
    return order.buyer_id == user.id or user.is_admin


def sees_seller_order(user: User, seller_order: SellerOrder) -> bool:
    return (
        seller_order.order.buyer_id == user.id
        or seller_order.seller.user_id == user.id
        or can_moderate(user, seller_order.seller.coop_id)
    )


def payment_view(payment: Payment) -> dict[str, Any]:
    return {
        "method": payment.method,
        "status": payment.status,
        "provider_id": payment.provider_id,
        "amount_vnd": payment.amount_vnd,
        "refunded_vnd": payment.refunded_vnd,
        "next_action": payment.next_action,
        "failure_code": payment.failure_code,
    }


def seller_order_view(seller_order: SellerOrder) -> dict[str, Any]:
    return {
        "id": seller_order.id,
        "seller": seller_order.seller,
        "status": seller_order.status,
        "subtotal_vnd": seller_order.subtotal_vnd,
        "carrier": seller_order.carrier,
        "tracking_number": seller_order.tracking_number,
        "cancel_reason": seller_order.cancel_reason,
        "shipped_at": seller_order.shipped_at,
        "delivered_at": seller_order.delivered_at,
        "cancelled_at": seller_order.cancelled_at,
        "lines": seller_order.lines,
    }


def order_view(order: Order, user: User | None = None) -> dict[str, Any]:
    """The dict behind OrderSchema; a household or co-op admin sees only its seller orders."""
    parts = order.seller_orders
    if user is not None and not sees_whole_order(user, order):
        parts = [so for so in parts if sees_seller_order(user, so)]
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "payment": payment_view(order.payment),
        "items_total_vnd": order.items_total_vnd,
        "total_vnd": order.total_vnd,
        "seller_orders": [seller_order_view(so) for so in parts],
        "shipping_address": order.shipping_address,
        "note": order.note,
        "expires_at": order.expires_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def seller_order_detail(seller_order: SellerOrder) -> dict[str, Any]:
    order = seller_order.order
    return {
        **seller_order_view(seller_order),
        "created_at": seller_order.created_at,
        "order": {
            "id": order.id,
            "number": order.number,
            "status": order.status,
            "payment": payment_view(order.payment),
            "shipping_address": order.shipping_address,
            "note": order.note,
            "created_at": order.created_at,
        },
    }


def seller_orders_of(user: User, status: str | None = None) -> Select:
    """GET /seller/orders: the caller's household's seller orders, newest first."""
    if user.seller is None:
        raise Forbidden("Only households have seller orders.")
    query = select(SellerOrder).where(SellerOrder.seller_id == user.seller.id)
    if status:
        query = query.where(SellerOrder.status == status)
    return query.options(
        joinedload(SellerOrder.order).selectinload(Order.payment),
        joinedload(SellerOrder.seller),
        selectinload(SellerOrder.lines),
    ).order_by(SellerOrder.created_at.desc(), SellerOrder.id.desc())


def expire_overdue_for_household(user: User) -> int:
    if user.seller is None:
        return 0
    return expire_overdue(
        Order.id.in_(select(SellerOrder.order_id).where(SellerOrder.seller_id == user.seller.id))
    )


def get_seller_order_for(user: User, seller_order_id: int) -> SellerOrder:
    seller_order = db.session.scalar(
        select(SellerOrder)
        .where(SellerOrder.id == seller_order_id)
        .options(joinedload(SellerOrder.order), joinedload(SellerOrder.seller))
    )
    if seller_order is None or not sees_seller_order(user, seller_order):
        raise NotFound("No such seller order.")
    return seller_order


# ---- buyer and household actions ----------------------------------------------------------


def cancel_order(user: User, order: Order, reason: str | None = None) -> Order:
    """The buyer cancels before anything shipped: stock back, a card payment refunded in full."""
    if order.buyer_id != user.id:
        raise Forbidden("Only the buyer can cancel the whole order.")
    order = lock_order(order.id)
    if any(so.status in ("shipped", "delivered") for so in order.seller_orders):
        raise InvalidTransition(
            "Part of this order has shipped; it can no longer be cancelled.",
            {"status": order.status, "action": "cancel"},
        )
    _move(order, ORDER_TRANSITIONS, "cancel")
    open_parts = [so for so in order.seller_orders if so.status != "cancelled"]
    now = utcnow()
    for seller_order in open_parts:
        _move(seller_order, SELLER_ORDER_TRANSITIONS, "cancel")
        seller_order.cancelled_at = now
        seller_order.cancel_reason = reason or "Cancelled by the buyer"
    payment = order.payment
    if payment.method == "cod":
        payment.status = "cancelled"
    else:
        # The provider is called before the stock rows are touched: no product lock is held
        # during the network call.
        payments.refund(
            payment,
            payments.refundable_vnd(payment),
            scope=f"order-{order.id}",
            reason=reason or "Cancelled by the buyer",
        )
    _release(order, open_parts, "Cancelled order")
    db.session.flush()
    return order


def _own_part(user: User, seller_order: SellerOrder) -> Order:
    if seller_order.seller.user_id != user.id:
        raise Forbidden("Only the household this part belongs to can do this.")
    # Re-reads the seller orders too, under the order's lock.
    return lock_order(seller_order.order_id)


def _finish_if_done(order: Order) -> None:
    """All parts delivered or cancelled: the order is completed (or cancelled when none shipped)."""
    statuses = {so.status for so in order.seller_orders}
    payment = order.payment
    if statuses == {"cancelled"}:
        _move(order, ORDER_TRANSITIONS, "cancel")
        if payment.method == "cod":
            payment.status = "cancelled"
    elif statuses <= {"delivered", "cancelled"}:
        _move(order, ORDER_TRANSITIONS, "complete")
        if payment.method == "cod":
            payment.status = "collected"


def ship(user: User, seller_order: SellerOrder, carrier=None, tracking_number=None) -> SellerOrder:
    _own_part(user, seller_order)
    _move(seller_order, SELLER_ORDER_TRANSITIONS, "ship")
    seller_order.carrier = carrier or None
    seller_order.tracking_number = tracking_number or None
    seller_order.shipped_at = utcnow()
    db.session.flush()
    return seller_order


def deliver(user: User, seller_order: SellerOrder) -> SellerOrder:
    """Delivered (cash collected for COD); the last delivery completes the order."""
    order = _own_part(user, seller_order)
    _move(seller_order, SELLER_ORDER_TRANSITIONS, "deliver")
    seller_order.delivered_at = utcnow()
    if order.payment.method == "cod":
        order.payment.collected_vnd += seller_order.subtotal_vnd
    _finish_if_done(order)
    db.session.flush()
    return seller_order


def cancel_part(user: User, seller_order: SellerOrder, reason: str) -> SellerOrder:
    """The household cancels its part: its stock back and its subtotal refunded (card)."""
    order = _own_part(user, seller_order)
    if order.status not in OPEN_FOR_HOUSEHOLDS:
        raise InvalidTransition(
            f"The order is '{order.status}'; only placed or paid orders can be cancelled in part.",
            {"status": seller_order.status, "action": "cancel"},
        )
    _move(seller_order, SELLER_ORDER_TRANSITIONS, "cancel")
    seller_order.cancelled_at = utcnow()
    seller_order.cancel_reason = reason
    if order.payment.method == "card":
        payments.refund(
            order.payment,
            seller_order.subtotal_vnd,
            scope=f"seller-order-{seller_order.id}",
            seller_order=seller_order,
            reason=reason,
        )
    _release(order, [seller_order], "Household cancelled its part of order")
    _finish_if_done(order)
    db.session.flush()
    return seller_order
