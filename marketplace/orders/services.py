"""Orders: checkout, the two state machines, who sees what, cancellations, expiry, and the
use cases that the API routes and the pages both call (one function per user action).

Every change to an existing order locks its row first (PostgreSQL `FOR UPDATE`; SQLite's write
lock, row_locks.py), and every status change is a compare-and-set (state.py), so a buyer's cancel,
a household's shipment, a webhook and the expiry job never interleave on one order.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select, true, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import core_insert
from ..auth.models import User
from ..catalogue import stock
from ..catalogue.models import Product
from ..catalogue.services import visible_products
from ..clock import VIETNAM, utcnow
from ..coops.models import Coop
from ..coops.services import can_moderate
from ..delivery import services as delivery
from ..errors import (
    AppError,
    Conflict,
    Forbidden,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from ..extensions import db
from ..http import paginate
from ..lots import allocation as lot_allocation
from ..lots.models import LotAllocation
from ..money import services as money
from ..notifications import events
from ..notifications import services as notifications
from ..payments import bank_transfer
from ..payments import services as payments
from ..payments.models import PAYMENTS, Payment
from ..places import check_place
from ..row_locks import for_update
from ..sellers.models import Seller
from ..state import StateMachine
from . import preorders, weighing
from .models import Order, OrderLine, SellerOrder
from .views import OrderPart, SellerOrderPart

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
    # not shipped by ship_by: cancelled by the sweep (cancel_reason not_shipped_in_time)
    ("confirmed", "miss_ship_by"): "cancelled",
    # a COD parcel refused at the door: terminal, no money, no restock
    ("shipped", "refuse"): "refused",
    # pre-orders (preorders.py): a paid deposit waits for the harvest (harvest.py)
    ("pending", "pre_order"): "pre_ordered",
    ("pre_ordered", "confirm"): "confirmed",
    ("pre_ordered", "cancel"): "cancelled",
}
NOT_SHIPPED_IN_TIME = "not_shipped_in_time"
REFUSALS_COUNTED = dt.timedelta(days=90)
OPEN_FOR_HOUSEHOLDS = ("placed", "paid")  # orders whose seller orders households work on
ORDERS = StateMachine("an order", ORDER_TRANSITIONS)
SELLER_ORDERS = StateMachine("a seller order", SELLER_ORDER_TRANSITIONS)
# A buyer may keep this many unpaid card orders holding the same product at once (3-D Secure
# never completed would otherwise let one buyer hold all of a product's stock).
MAX_UNPAID_PER_PRODUCT = 2

_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I look-alikes


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


def _check_prices(products: dict[int, Product], expected: Mapping[int, int]) -> None:
    """The buyer was shown these unit prices (the checkout page): a price changed since then stops
    the checkout, so nobody is charged a price they never saw."""
    changed = [
        {"product_id": pid, "expected": price, "current": products[pid].unit_price_vnd}
        for pid, price in sorted(expected.items())
        if pid in products and products[pid].unit_price_vnd != price
    ]
    if changed:
        raise Conflict("A price changed since you saw it; check the new price.", {"items": changed})


def _check_unpaid(buyer: User, product_ids: list[int]) -> None:
    """At most MAX_UNPAID_PER_PRODUCT unpaid orders of one buyer may hold the same product."""
    held = db.session.execute(
        select(OrderLine.product_id, func.count(func.distinct(Order.id)))
        .join(SellerOrder, OrderLine.seller_order_id == SellerOrder.id)
        .join(Order, SellerOrder.order_id == Order.id)
        .where(
            Order.buyer_id == buyer.id,
            Order.status == "awaiting_payment",
            Order.expires_at > utcnow(),
            OrderLine.product_id.in_(product_ids),
        )
        .group_by(OrderLine.product_id)
    ).all()
    over = [
        {"product_id": pid, "unpaid_orders": count}
        for pid, count in held
        if count >= MAX_UNPAID_PER_PRODUCT
    ]
    if over:
        raise Conflict(
            "You already have unpaid orders holding this product: pay or cancel them first.",
            {"items": over},
        )


def place_order(
    buyer: User, data: dict[str, Any], expected_prices: Mapping[int, int] | None = None
) -> Order:
    """Validate the items, reserve their stock (all or nothing) and write the order, its seller
    orders (one per household, prices copied), lines and payment record. Writes in the current
    transaction, never commits.

    Cash on delivery: order `placed`, seller orders `confirmed`. Card: order `awaiting_payment`
    until the provider answers, holding the stock until `expires_at`. ``expected_prices``: the
    unit prices the buyer was shown ({product_id: VND}); any other price is 409 ``conflict``.
    """
    address = data["shipping_address"]
    place_errors = check_place(address["province_code"], address["ward_code"])
    if place_errors:
        raise ValidationError(details={"shipping_address": place_errors})
    cod = data["payment_method"] == "cod"
    items = data["items"]
    quantities = {item["product_id"]: item["quantity"] for item in items}
    # One statement loads, checks visibility of and locks every product (in id order), with
    # what checkout reads of them: the category (shelf lives), the household's co-op (commission)
    # with its active delivery methods, and account (its notification); for cash on delivery,
    # also the buyer's refusals. Only the products' rows are locked.
    seller = contains_eager(Product.seller)
    query = (
        visible_products()
        .where(Product.id.in_(list(quantities)))
        .options(
            seller,
            seller.joinedload(Seller.coop).joinedload(Coop.active_delivery_methods),
            seller.joinedload(Seller.user),
            joinedload(Product.category),
        )
    )
    if cod:
        query = query.add_columns(refusal_count(buyer.id).scalar_subquery())
    rows = stock.lock_rows(query)
    products = {row[0].id: row[0] for row in rows}
    if cod:  # checked first, as before the products are looked at
        check_cod_allowed(buyer, rows[0][1] if rows else None)
    _check_items(buyer, items, products)
    pre_order = preorders.check_items(data, products)
    now = utcnow()
    parts = delivery.plan(items, products, address["province_code"], data.get("deliveries"), now)
    if expected_prices:
        _check_prices(products, expected_prices)
    if data["payment_method"] != "cod":
        _check_unpaid(buyer, list(quantities))
    short = stock.shortages(quantities, products)
    if short:
        raise InsufficientStock("Not enough stock for some items.", {"items": short})

    # Card and bank transfer are paid before delivery: the order waits, holding the stock.
    card = data["payment_method"] in ("card", "bank_transfer")
    ttl = current_app.config[
        "BANK_TRANSFER_TTL_MINUTES"
        if data["payment_method"] == "bank_transfer"
        else "RESERVATION_TTL_MINUTES"
    ]
    now = utcnow()
    order = Order(
        created_at=now,
        number=new_order_number(),
        buyer_id=buyer.id,
        status="awaiting_payment" if card else "placed",
        payment_method=data["payment_method"],
        shipping_address=dict(address),
        note=data.get("note") or None,
        expires_at=now + dt.timedelta(minutes=ttl) if card else None,
    )
    by_seller: dict[int, SellerOrder] = {}
    for item in items:
        product = products[item["product_id"]]
        seller_order = by_seller.get(product.seller_id)
        if seller_order is None:
            chosen = parts[product.seller_id].chosen
            seller_order = by_seller[product.seller_id] = SellerOrder(
                order=order,
                seller=product.seller,
                seller_id=product.seller_id,
                status="pending",
                subtotal_vnd=0,
                shipping_fee_vnd=chosen.fee_vnd if chosen else 0,
                delivery_method_id=chosen.method.id if chosen else None,
                delivery=delivery.delivery_snapshot(chosen),
            )
            if not card:
                SELLER_ORDERS.move(seller_order, "confirm", **ship_clock(seller_order, now))
        line_total = product.unit_price_vnd * item["quantity"]
        seller_order.lines.append(
            OrderLine(
                product_id=product.id,
                name=product.name,
                unit=product.unit,
                unit_price_vnd=product.unit_price_vnd,
                quantity=item["quantity"],
                line_total_vnd=line_total,
                catch_weight=product.catch_weight,
            )
        )
        seller_order.subtotal_vnd += line_total
    for seller_order in by_seller.values():
        seller_order.commission_vnd = money.commission_for(
            seller_order.seller, seller_order.subtotal_vnd
        )
    order.items_total_vnd = sum(so.subtotal_vnd for so in by_seller.values())
    order.shipping_total_vnd = sum(so.shipping_fee_vnd for so in by_seller.values())
    order.total_vnd = order.items_total_vnd + order.shipping_total_vnd
    payment = payments.payment_for(
        order, data["payment_method"], (data.get("card") or {}).get("payment_method_id")
    )
    if pre_order is not None:
        preorders.take_deposit(payment, order, pre_order)
    _write(order, list(by_seller.values()), payment)
    if pre_order is not None:
        preorders.hold_sale_mode([pre_order.id])
    lots = stock.Also(lot_allocation.has_lots())
    stock.reserve_stock(
        quantities, reason=f"Order {order.number}", order_id=order.id, locked=products, also=lots
    )
    lot_allocation.take_for_lines(
        (line for so in by_seller.values() for line in so.lines),
        with_lots=[pid for pid, has in lots.values.items() if has],
    )
    if not card:
        notifications.seller_orders_placed(order.seller_orders)
    return order


def _write(order: Order, seller_orders: list[SellerOrder], payment: Payment) -> None:
    """The new order, its seller orders, lines and payment: one Core INSERT … RETURNING per
    table (no unit-of-work flush), then in the session as loaded rows (core_insert.py)."""
    core_insert.insert_rows([order])
    lines = []
    for seller_order in seller_orders:
        seller_order.order_id = order.id
    core_insert.insert_rows(seller_orders)
    for seller_order in seller_orders:
        for line in seller_order.lines:
            line.seller_order_id = seller_order.id
            lines.append(line)
    core_insert.insert_rows(lines)
    payment.order_id = order.id
    core_insert.insert_rows([payment])
    core_insert.attach([order, *seller_orders, *lines, payment])
    set_committed_value(payment, "refunds", [])


def quote(buyer: User, data: dict[str, Any]) -> dict[str, Any]:
    """POST /orders/quote: what delivery each household's part would cost and by when it would
    arrive, checked like an order (visible products, not one's own, minimum quantities) but with
    nothing reserved or written. Returns the dict behind QuoteSchema."""
    address = data["shipping_address"]
    place_errors = check_place(address["province_code"], address["ward_code"])
    if place_errors:
        raise ValidationError(details={"shipping_address": place_errors})
    items = data["items"]
    seller = contains_eager(Product.seller)
    products = {
        product.id: product
        for product in db.session.scalars(
            visible_products()
            .where(Product.id.in_([item["product_id"] for item in items]))
            .options(
                seller,
                # what offer() reads: one statement, as in checkout's locking read
                seller.joinedload(Seller.coop).joinedload(Coop.active_delivery_methods),
                joinedload(Product.category),
            )
        ).unique()
    }
    _check_items(buyer, items, products)
    return delivery.Quote(
        delivery.plan(items, products, address["province_code"], data.get("deliveries"))
    )


# ---- after the provider answered -----------------------------------------------------------


def lock_order(order_id: int, *, skip_locked: bool = False) -> Order | None:
    """The order, its seller orders, lines and payment re-read under a row lock (SQLite: the
    database write lock), so what follows sees the latest committed state.

    ``skip_locked``: None instead of waiting when another transaction holds the order
    (PostgreSQL; SQLite waits for its one write lock).
    """
    order = db.session.scalar(
        for_update(
            _with_relations(select(Order).where(Order.id == order_id)),
            "orders",
            [order_id],
            of=Order,
            skip_locked=skip_locked,
        ).execution_options(populate_existing=True)
    )
    if order is None and not skip_locked:
        raise NotFound("No such order.")
    return order


def _release(order: Order, seller_orders: list[SellerOrder], why: str) -> None:
    quantities: dict[int, int] = defaultdict(int)
    for seller_order in seller_orders:
        for line in seller_order.lines:
            quantities[line.product_id] += line.quantity
    quantities = lot_allocation.release_lot_units(seller_orders, quantities)
    if quantities:
        stock.release_stock(quantities, reason=f"{why} {order.number}", order_id=order.id)


def _cancel_parts(order: Order, parts: list[SellerOrder], reason: str | None) -> None:
    now = utcnow()
    for seller_order in parts:
        SELLER_ORDERS.move(seller_order, "cancel", cancelled_at=now, cancel_reason=reason)


def ship_clock(seller_order: SellerOrder, now: dt.datetime) -> dict[str, dt.datetime | None]:
    """Confirmed now: ship by now + SHIP_WITHIN_HOURS, delivered by then + the lead time."""
    ship_by = now + delivery.ship_within()
    lead = (seller_order.delivery or {}).get("lead_time_hours")
    return {
        "ship_by": ship_by,
        "promised_by": ship_by + dt.timedelta(hours=lead) if lead is not None else None,
    }


def mark_paid(order: Order) -> None:
    """The payment succeeded: order `paid`, every seller order `confirmed` (ship_by counts from
    now)."""
    ORDERS.move(order, "pay", expires_at=None)
    now = utcnow()
    action = preorders.paid_action(order)  # a deposit: pre_ordered until the harvest
    for seller_order in order.seller_orders:
        clock = ship_clock(seller_order, now) if action == "confirm" else {}
        SELLER_ORDERS.move(seller_order, action, **clock)
    notifications.seller_orders_placed(order.seller_orders)
    notifications.payment_received(order)


def _close_unpaid(order: Order, action: str, why: str) -> None:
    ORDERS.move(order, action)
    open_parts = [so for so in order.seller_orders if so.status != "cancelled"]
    _cancel_parts(order, open_parts, None)
    payments.close_unpaid(order.payment, action)
    if order.payment.method == "bank_transfer":
        bank_transfer.owe_received_back(order, f"{why} {order.number}")
    _release(order, open_parts, why)


def close_unpaid_order(order: Order, action: str, why: str) -> None:
    """An unpaid order stops waiting (``fail`` or ``expire``): its parts cancelled, stock back."""
    _close_unpaid(order, action, why)


def mark_payment_failed(order: Order) -> None:
    """Declined: order `payment_failed`, seller orders cancelled, stock released."""
    _close_unpaid(order, "fail", "Payment failed for order")


def apply_intent(order: Order, intent: dict[str, Any]) -> str:
    """Bring a locked order in line with its PaymentIntent; returns the intent's outcome.

    A success for an order no longer waiting (expired, failed) is refunded in full at once; a
    success for a payment already refunded or settled changes nothing (a refunded payment never
    goes back to `succeeded`).
    """
    payment = order.payment
    if order.status != "awaiting_payment":
        if intent.get("status") == "succeeded" and PAYMENTS.allows(payment.status, "succeed_late"):
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
    PAYMENTS.move(payment, "succeed_late")
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
    _close_unpaid(order, "expire", "Reservation expired for order")
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
        selectinload(Order.seller_orders)
        .selectinload(SellerOrder.lines)
        .selectinload(OrderLine.lot_allocations)
        .joinedload(LotAllocation.lot),
        selectinload(Order.seller_orders).joinedload(SellerOrder.seller),
        selectinload(Order.payment).selectinload(Payment.refunds),
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


def get_order_for(user: User, order_id: int) -> Order:
    """The order if ``user`` may see it (404 otherwise); an overdue one is expired first."""
    order = db.session.scalar(
        _with_relations(select(Order).where(Order.id == order_id, _orders_scope(user)))
    )
    if order is None:
        raise NotFound("No such order.")
    now = utcnow()
    if _overdue(order, now):
        expire_order(order.id)
    if any(
        so.status == "confirmed" and so.ship_by is not None and so.ship_by <= now
        for so in order.seller_orders
    ):
        cancel_overdue_shipments_where(SellerOrder.order_id == order.id, now=now)
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


def as_seen_by(user: User, order: Order) -> Order | OrderPart:
    """The order as ``user`` may see it: all of it for its buyer (and platform admins); for a
    household or co-op admin only their seller orders, with amounts of those parts only."""
    if sees_whole_order(user, order):
        return order
    return OrderPart(order, [so for so in order.seller_orders if sees_seller_order(user, so)])


def seller_orders_of(user: User, status: str | None = None) -> Select:
    """GET /seller/orders: the caller's household's seller orders, newest first."""
    if user.seller is None:
        raise Forbidden("Only households have seller orders.")
    query = select(SellerOrder).where(SellerOrder.seller_id == user.seller.id)
    if status:
        query = query.where(SellerOrder.status == status)
    return query.options(
        joinedload(SellerOrder.order).selectinload(Order.payment).selectinload(Payment.refunds),
        joinedload(SellerOrder.seller),
        selectinload(SellerOrder.lines)
        .selectinload(OrderLine.lot_allocations)
        .joinedload(LotAllocation.lot),
    ).order_by(SellerOrder.created_at.desc(), SellerOrder.id.desc())


def get_seller_order_for(user: User, seller_order_id: int) -> SellerOrder:
    seller_order = db.session.scalar(
        select(SellerOrder)
        .where(SellerOrder.id == seller_order_id)
        .options(joinedload(SellerOrder.order), joinedload(SellerOrder.seller))
    )
    if seller_order is None or not sees_seller_order(user, seller_order):
        raise NotFound("No such seller order.")
    return seller_order


# ---- use cases: what the API routes and the pages call ------------------------------------


def list_orders(user: User, status: str | None, page: int, per_page: int) -> dict[str, Any]:
    """GET /orders and "my orders": overdue unpaid orders expire first; each order as the user
    may see it."""
    expire_overdue(_orders_scope(user))
    cancel_overdue_shipments_where(
        SellerOrder.order_id.in_(select(Order.id).where(_orders_scope(user)))
    )
    result = paginate(orders_for(user, status), page, per_page)
    result["items"] = [as_seen_by(user, order) for order in result["items"]]
    return result


def show_order(user: User, order_id: int) -> Order | OrderPart:
    """GET /orders/{id} and the order page: expired lazily when overdue; the buyer's view asks
    the provider about a card payment still waiting (3-D Secure) in case the webhook is late."""
    order = get_order_for(user, order_id)
    if order.buyer_id == user.id:
        refresh_card_payment(order)
    return as_seen_by(user, order)


def list_seller_orders(user: User, status: str | None, page: int, per_page: int) -> dict[str, Any]:
    """GET /seller/orders and the household's orders page: overdue unpaid orders expire first."""
    query = seller_orders_of(user, status)
    cancel_overdue_shipments_where(SellerOrder.seller_id == user.seller.id)
    expire_overdue(
        Order.id.in_(select(SellerOrder.order_id).where(SellerOrder.seller_id == user.seller.id))
    )
    result = paginate(query, page, per_page)
    result["items"] = [SellerOrderPart(so) for so in result["items"]]
    return result


def cancel_order_by_buyer(user: User, order_id: int, reason: str | None = None):
    """POST /orders/{id}/cancel and the order page's cancel button."""
    order = cancel_order(user, get_order_for(user, order_id), reason)
    return as_seen_by(user, order)


def act_on_seller_order(user: User, seller_order_id: int, action: str, **data) -> SellerOrderPart:
    """POST /seller-orders/{id}/ship | deliver | cancel | refused and the household's buttons."""
    seller_order = get_seller_order_for(user, seller_order_id)
    if action == "ship":
        ship(
            user, seller_order, data.get("carrier"), data.get("tracking_number"), data.get("lines")
        )
    elif action == "deliver":
        deliver(user, seller_order)
    elif action == "cancel":
        cancel_part(user, seller_order, data["reason"])
    elif action == "refused":
        refuse(user, seller_order, data["reason"])
    else:  # pragma: no cover - the routes name only these
        raise ValueError(action)
    return SellerOrderPart(seller_order)


# ---- buyer and household actions ----------------------------------------------------------


def cancel_order(user: User, order: Order, reason: str | None = None) -> Order:
    """The buyer cancels before anything shipped: stock back, a card payment refunded in full."""
    require_buyer(user, order)
    order = lock_order(order.id)
    if any(so.status in ("shipped", "delivered") for so in order.seller_orders):
        raise InvalidTransition(
            "Part of this order has shipped; it can no longer be cancelled.",
            {"status": order.status, "action": "cancel"},
        )
    ORDERS.move(order, "cancel")
    open_parts = [so for so in order.seller_orders if so.status != "cancelled"]
    _cancel_parts(order, open_parts, reason or "Cancelled by the buyer")
    for seller_order in open_parts:
        notifications.seller_order_changed(
            seller_order, events.SELLER_ORDER_CANCELLED, reason=reason
        )
    payment = order.payment
    if payment.method == "cod":
        PAYMENTS.move(payment, "cancel")
    elif payment.method == "bank_transfer":
        bank_transfer.owe_for_cancel(order, reason or "Cancelled by the buyer")
    else:
        # The statuses above moved first (compare-and-set): a second cancel racing this one has
        # already failed before the provider is called. No product lock is held during the call.
        payments.refund(
            payment,
            payments.refundable_vnd(payment),
            scope=f"order-{order.id}",
            reason=reason or "Cancelled by the buyer",
        )
    _release(order, open_parts, "Cancelled order")
    db.session.flush()
    return order


def require_household(user: User, seller_order: SellerOrder) -> None:
    """403 unless ``user`` is the household this part belongs to."""
    if seller_order.seller.user_id != user.id:
        raise Forbidden("Only the household this part belongs to can do this.")


def require_refusal_recorder(user: User, seller_order: SellerOrder) -> None:
    """403 unless ``user`` is the household or an admin of its co-op."""
    household = seller_order.seller
    if not (household.user_id == user.id or can_moderate(user, household.coop_id)):
        raise Forbidden("Only the household or its co-op's admins can record a refusal.")


def require_buyer(user: User, order: Order) -> None:
    if order.buyer_id != user.id:
        raise Forbidden("Only the buyer can cancel the whole order.")


def _own_part(user: User, seller_order: SellerOrder) -> Order:
    require_household(user, seller_order)
    # Re-reads the seller orders too, under the order's lock.
    return lock_order(seller_order.order_id)


def _finish_if_done(order: Order) -> None:
    """All parts delivered or cancelled: the order is completed (or cancelled when none shipped)."""
    statuses = {so.status for so in order.seller_orders}
    payment = order.payment
    if statuses <= {"cancelled", "refused"}:
        ORDERS.move(order, "cancel")
        if payment.method == "cod":
            PAYMENTS.move(payment, "cancel")
    elif statuses <= {"delivered", "cancelled", "refused"}:
        ORDERS.move(order, "complete")
        if payment.method == "cod":
            PAYMENTS.move(payment, "collect")


def finish_if_done(order: Order) -> None:
    """The order completes (or is cancelled) when its last open part does."""
    _finish_if_done(order)


def ship(
    user: User, seller_order: SellerOrder, carrier=None, tracking_number=None, lines=None
) -> SellerOrder:
    """Shipped; catch-weight lines need their packed weights (``lines``, weighing.py)."""
    order = _own_part(user, seller_order)
    weighing.check_can_ship(seller_order, lines)
    SELLER_ORDERS.move(
        seller_order,
        "ship",
        carrier=carrier or None,
        tracking_number=tracking_number or None,
        shipped_at=utcnow(),
    )
    weighing.weigh(order, seller_order, lines)
    notifications.seller_order_changed(
        seller_order, events.SELLER_ORDER_SHIPPED, carrier=carrier, tracking_number=tracking_number
    )
    db.session.flush()
    return seller_order


def deliver(user: User, seller_order: SellerOrder) -> SellerOrder:
    """Delivered (cash collected for COD); the last delivery completes the order."""
    order = _own_part(user, seller_order)
    SELLER_ORDERS.move(seller_order, "deliver", delivered_at=utcnow())
    notifications.seller_order_changed(seller_order, events.SELLER_ORDER_DELIVERED)
    if order.payment.method == "cod":
        order.payment.collected_vnd += seller_order.subtotal_vnd + seller_order.shipping_fee_vnd
    elif preorders.is_pre_order(order):  # the rest of a pre-order is paid on delivery
        order.payment.collected_vnd += preorders.balance_due_vnd(order)
    money.record_delivery(seller_order)
    _finish_if_done(order)
    db.session.flush()
    return seller_order


def cancel_part(user: User, seller_order: SellerOrder, reason: str) -> SellerOrder:
    """The household cancels its part: its stock back and its subtotal refunded (card)."""
    order = _own_part(user, seller_order)
    return _cancel_part(order, seller_order, reason)


def cancel_seller_order(seller_order: SellerOrder, reason: str) -> SellerOrder:
    """Cancel one household's part of a placed or paid order on the platform's behalf (a lot
    recall): locked first, then like a household's cancel."""
    return _cancel_part(lock_order(seller_order.order_id), seller_order, reason)


def _cancel_part(
    order: Order, seller_order: SellerOrder, reason: str, action: str = "cancel"
) -> SellerOrder:
    """Cancel one part of a locked order: its stock back, what was paid for it (lines and
    shipping) refunded at the provider (card)."""
    if order.status not in OPEN_FOR_HOUSEHOLDS:
        raise InvalidTransition(
            f"The order is '{order.status}'; only placed or paid orders can be cancelled in part.",
            {"status": seller_order.status, "action": action},
        )
    SELLER_ORDERS.move(seller_order, action, cancelled_at=utcnow(), cancel_reason=reason)
    notifications.seller_order_changed(seller_order, events.SELLER_ORDER_CANCELLED, reason=reason)
    if order.payment.method == "card":
        payments.refund(
            order.payment,
            seller_order.subtotal_vnd + seller_order.shipping_fee_vnd,
            scope=f"seller-order-{seller_order.id}",
            seller_order=seller_order,
            reason=reason,
        )
    elif order.payment.method == "bank_transfer":
        bank_transfer.owe_for_part(order, seller_order, reason)
    _release(order, [seller_order], "Household cancelled its part of order")
    _finish_if_done(order)
    db.session.flush()
    return seller_order


def refuse(user: User, seller_order: SellerOrder, reason: str) -> SellerOrder:
    """A shipped COD parcel was refused at the door: `refused` (terminal). No money changes
    hands and the produce is not restocked (it has travelled and may have spoiled)."""
    require_refusal_recorder(user, seller_order)
    order = lock_order(seller_order.order_id)
    if order.payment_method != "cod":
        raise InvalidTransition(
            "Only cash-on-delivery parcels can be refused; this order was paid beforehand.",
            {"status": seller_order.status, "action": "refuse"},
        )
    SELLER_ORDERS.move(seller_order, "refuse", refused_at=utcnow(), cancel_reason=reason)
    notifications.seller_order_changed(seller_order, events.SELLER_ORDER_REFUSED, reason=reason)
    _finish_if_done(order)
    db.session.flush()
    return seller_order


def refusal_count(buyer_id: int, now: dt.datetime | None = None) -> Select:
    """The count of this buyer's seller orders refused at the door in the last 90 days."""
    since = (now or utcnow()) - REFUSALS_COUNTED
    return (
        select(func.count(SellerOrder.id))
        .join(Order, Order.id == SellerOrder.order_id)
        .where(
            Order.buyer_id == buyer_id,
            SellerOrder.status == "refused",
            SellerOrder.refused_at >= since,
        )
    )


def refusals_of(buyer_id: int, now: dt.datetime | None = None) -> int:
    """Seller orders of this buyer refused at the door in the last 90 days."""
    return db.session.scalar(refusal_count(buyer_id, now)) or 0


def check_cod_allowed(buyer: User, refusals: int | None = None) -> None:
    """After COD_REFUSAL_LIMIT refusals in 90 days a buyer pays before delivery (422).
    ``refusals``: the count when the caller has read it already (checkout, with its products)."""
    limit = current_app.config["COD_REFUSAL_LIMIT"]
    if (refusals_of(buyer.id) if refusals is None else refusals) >= limit:
        raise ValidationError(
            "Cash on delivery is not available: pay by card or bank transfer.",
            {
                "payment_method": [
                    f"{limit} or more deliveries were refused in the last 90 days; "
                    "pay before delivery."
                ]
            },
        )


# ---- ship-by deadlines --------------------------------------------------------------------


def overdue_shipment_ids(where=None, *, limit: int | None = None, now=None) -> list[int]:
    """Confirmed seller orders whose ship_by has passed (matching ``where``), oldest first."""
    query = select(SellerOrder.id).where(
        SellerOrder.status == "confirmed", SellerOrder.ship_by <= (now or utcnow())
    )
    if where is not None:
        query = query.where(where)
    query = query.order_by(SellerOrder.ship_by, SellerOrder.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def cancel_overdue_shipment(seller_order_id: int, now: dt.datetime | None = None) -> bool:
    """Cancel one seller order not shipped by its ship_by (`not_shipped_in_time`): stock back,
    its paid part refunded. False when it shipped or changed meanwhile (or is held elsewhere)."""
    now = now or utcnow()
    order_id = db.session.scalar(
        select(SellerOrder.order_id).where(SellerOrder.id == seller_order_id)
    )
    order = lock_order(order_id, skip_locked=True) if order_id is not None else None
    if order is None:
        return False
    seller_order = next(so for so in order.seller_orders if so.id == seller_order_id)
    if seller_order.status != "confirmed" or seller_order.ship_by is None:
        return False
    if seller_order.ship_by > now:
        return False
    try:
        _cancel_part(order, seller_order, NOT_SHIPPED_IN_TIME, "miss_ship_by")
    except InvalidTransition:
        return False  # shipped by a transaction that committed after we read it
    return True


SHIP_BY_REMINDER = dt.timedelta(hours=4)


def _ship_by_soon(now: dt.datetime):
    return (
        (SellerOrder.status == "confirmed")
        & (SellerOrder.ship_by > now)
        & (SellerOrder.ship_by <= now + SHIP_BY_REMINDER)
        & SellerOrder.ship_by_reminded_at.is_(None)
    )


def remind_ship_by_soon(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Tell the households of up to ``limit`` confirmed seller orders whose ship_by is within
    SHIP_BY_REMINDER that it is near, in the caller's transaction; returns how many were told.

    Each seller order is claimed with a compare-and-set UPDATE of ``ship_by_reminded_at`` (only
    rows still unreminded match), and only the rows this transaction claimed are notified: two
    sweeps at once, or one run twice, remind each seller order once."""
    now = now or utcnow()
    candidates = list(
        db.session.scalars(
            select(SellerOrder.id)
            .where(_ship_by_soon(now))
            .order_by(SellerOrder.ship_by, SellerOrder.id)
            .limit(limit)
        )
    )
    if not candidates:
        return 0
    claimed = list(
        db.session.execute(
            update(SellerOrder)
            .where(SellerOrder.id.in_(candidates), _ship_by_soon(now))
            .values(ship_by_reminded_at=now)
            .returning(SellerOrder.id),
            execution_options={"synchronize_session": False},
        ).scalars()
    )
    if not claimed:
        return 0
    seller_orders = list(
        db.session.scalars(
            select(SellerOrder)
            .where(SellerOrder.id.in_(claimed))
            .options(
                joinedload(SellerOrder.order),
                joinedload(SellerOrder.seller),
                selectinload(SellerOrder.lines),
            )
            .order_by(SellerOrder.id)
        )
    )
    notifications.ship_by_soon(seller_orders)
    return len(seller_orders)


def cancel_overdue_shipments_where(where=None, *, limit: int | None = 50, now=None) -> int:
    """The lazy sweep behind reads, inside the caller's transaction; the number cancelled."""
    now = now or utcnow()
    return sum(
        1
        for so_id in overdue_shipment_ids(where, limit=limit, now=now)
        if cancel_overdue_shipment(so_id, now)
    )
