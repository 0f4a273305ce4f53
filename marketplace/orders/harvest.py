"""The harvest of a pre-order product: the real yield, allocated to the paid pre-orders.

``POST /products/{id}/harvest {quantity}`` (its household) records the yield once: a
compare-and-set moves the product's ``sale_mode`` pre_order → in_stock, so a second harvest, a
concurrent one, or one on a product that is not a pre-order is 409 ``invalid_transition``, and
a pre-order placed meanwhile is refused (preorders.hold_sale_mode) or included, never lost.

Allocation (``allocate``, also the page's dry run): the pre-ordered seller orders in the order
their deposits were paid (ties by seller order id) get whole lines while the yield lasts, then at
most one partial line, then nothing. Filled and partial ones are ``confirmed`` (a partial line
carries the reduced quantity and total, and the order's totals follow); unfilled ones are
``cancelled`` with ``cancel_reason: harvest_shortfall`` and their deposit refunded in full. A
partial one is refunded the deposit of its unfilled share, ``round_half_up(deposit × unfilled /
ordered)``: at the card provider, or, for a deposit paid by bank transfer, recorded as owed back
to the buyer (a Refund row ``owed``, refunded by hand like every bank-transfer refund). Orders
still waiting for their deposit are expired (a deposit paid later is refunded
in full, orders/services.apply_intent). What is left becomes ordinary stock.

In the same transaction each buyer is told (``preorder.allocated``: what they get, its total, its
ship-by time; ``preorder.cut``: how much was cut and the deposit refunded) and the household of
each confirmed one gets the new seller order message with its harvest-based ship-by time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..catalogue import stock
from ..catalogue.models import Product
from ..catalogue.services import require_owner
from ..clock import utcnow
from ..errors import InvalidTransition
from ..extensions import db
from ..money import services as money
from ..notifications import services as notifications
from ..search.changes import products_changed
from . import preorders, refunds, services
from .models import Order, OrderLine, SellerOrder

SHORTFALL = "harvest_shortfall"


@dataclass(frozen=True)
class PreOrder:
    """A paid pre-order as the allocation sees it."""

    seller_order_id: int
    paid_at: dt.datetime
    quantity: int
    deposit_vnd: int


@dataclass(frozen=True)
class Share:
    """What the harvest gives one pre-order, and the deposit it gives back."""

    pre_order: PreOrder
    allocated: int
    refund_vnd: int

    @property
    def outcome(self) -> str:
        if self.allocated == self.pre_order.quantity:
            return "filled"
        return "partial" if self.allocated else "unfilled"


@dataclass(frozen=True)
class Allocation:
    harvest: int
    shares: tuple[Share, ...]

    @property
    def allocated(self) -> int:
        return sum(share.allocated for share in self.shares)

    @property
    def stock_added(self) -> int:
        return self.harvest - self.allocated

    def count(self, outcome: str) -> int:
        return sum(1 for share in self.shares if share.outcome == outcome)

    @property
    def filled(self) -> int:
        return self.count("filled")

    @property
    def partial(self) -> int:
        return self.count("partial")

    @property
    def unfilled(self) -> int:
        return self.count("unfilled")


def unfilled_deposit_vnd(deposit_vnd: int, ordered: int, allocated: int) -> int:
    """The deposit of the unfilled share: round_half_up(deposit × unfilled / ordered)."""
    unfilled = ordered - allocated
    return (2 * deposit_vnd * unfilled + ordered) // (2 * ordered)


def allocate(pre_orders: Iterable[PreOrder], harvest: int) -> Allocation:
    """Serve pre-orders by deposit payment time (ties: seller order id): whole lines while the
    harvest lasts, then at most one partial line, then none."""
    left = harvest
    shares = []
    for pre_order in sorted(pre_orders, key=lambda p: (p.paid_at, p.seller_order_id)):
        allocated = min(left, pre_order.quantity)
        left -= allocated
        refund = unfilled_deposit_vnd(pre_order.deposit_vnd, pre_order.quantity, allocated)
        shares.append(Share(pre_order, allocated, refund))
    return Allocation(harvest, tuple(shares))


# ---- reading the pre-orders ---------------------------------------------------------------


def _open_order_ids(product_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(SellerOrder.order_id)
            .join(OrderLine, OrderLine.seller_order_id == SellerOrder.id)
            .where(
                OrderLine.product_id == product_id,
                SellerOrder.status.in_(("pending", "pre_ordered")),
            )
            .distinct()
            .order_by(SellerOrder.order_id)
        )
    )


def _as_pre_order(seller_order: SellerOrder, product_id: int) -> PreOrder:
    payment = seller_order.order.payment
    line = next(line for line in seller_order.lines if line.product_id == product_id)
    return PreOrder(
        seller_order_id=seller_order.id,
        paid_at=payment.deposit_paid_at or seller_order.order.created_at,
        quantity=line.quantity,
        deposit_vnd=payment.deposit_vnd or 0,
    )


def pre_ordered(product: Product) -> list[SellerOrder]:
    """The product's paid pre-orders waiting for the harvest, in allocation order."""
    seller_orders = db.session.scalars(
        select(SellerOrder)
        .options(
            joinedload(SellerOrder.order).selectinload(Order.payment),
            joinedload(SellerOrder.order).joinedload(Order.buyer),
            selectinload(SellerOrder.lines),
        )
        .join(OrderLine, OrderLine.seller_order_id == SellerOrder.id)
        .where(OrderLine.product_id == product.id, SellerOrder.status == "pre_ordered")
    ).all()
    return sorted(
        seller_orders,
        key=lambda so: (_as_pre_order(so, product.id).paid_at, so.id),
    )


def preview(user: User, product: Product, quantity: int) -> tuple[Allocation, list[SellerOrder]]:
    """The allocation the harvest would make now, without writing anything (the page's dry run)."""
    require_owner(user, product)
    if product.sale_mode != "pre_order":
        raise InvalidTransition(
            "This product is not waiting for its harvest.",
            {"sale_mode": product.sale_mode, "action": "harvest"},
        )
    waiting = pre_ordered(product)
    return allocate([_as_pre_order(so, product.id) for so in waiting], quantity), waiting


# ---- recording it -------------------------------------------------------------------------


def _mark_harvested(product: Product, quantity: int, now: dt.datetime) -> None:
    """pre_order → in_stock, once (compare-and-set on the sale mode)."""
    values = {
        "sale_mode": "in_stock",
        "harvested_quantity": quantity,
        "harvested_at": now,
        "updated_at": now,
    }
    moved = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.sale_mode == "pre_order")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.refresh(product, ["sale_mode"])
        raise InvalidTransition(
            "This product is not a pre-order waiting for its harvest (it may be recorded already).",
            {"sale_mode": product.sale_mode, "action": "harvest"},
        )
    for name, value in values.items():
        set_committed_value(product, name, value)
    products_changed([product.id])


def record_harvest(user: User, product: Product, quantity: int) -> Allocation:
    """Record the yield of ``product`` and allocate it (see the module's docstring)."""
    require_owner(user, product)
    now = utcnow()
    _mark_harvested(product, quantity, now)  # first: it holds the product until commit
    waiting: list[SellerOrder] = []
    for order_id in _open_order_ids(product.id):
        order = services.lock_order(order_id)
        if order.status == "awaiting_payment":
            services.close_unpaid_order(order, "expire", "Harvest recorded before the deposit of")
            continue
        waiting += [so for so in order.seller_orders if so.status == "pre_ordered"]
    allocation = allocate([_as_pre_order(so, product.id) for so in waiting], quantity)
    by_id = {so.id: so for so in waiting}
    harvested = [
        _apply(by_id[share.pre_order.seller_order_id], product.id, share, now)
        for share in allocation.shares
    ]
    notifications.pre_orders_harvested(harvested)
    stock.set_stock(product, allocation.stock_added, "Harvest: left after the pre-orders", user)
    db.session.flush()
    return allocation


def _apply(
    seller_order: SellerOrder, product_id: int, share: Share, now: dt.datetime
) -> notifications.Harvested:
    order = seller_order.order
    line = next(line for line in seller_order.lines if line.product_id == product_id)
    line.pre_ordered_quantity = line.quantity
    if share.outcome == "unfilled":
        services.SELLER_ORDERS.move(
            seller_order, "cancel", cancelled_at=now, cancel_reason=SHORTFALL
        )
    else:
        if share.outcome == "partial":
            cut = line.unit_price_vnd * (line.quantity - share.allocated)
            line.quantity = share.allocated
            line.line_total_vnd -= cut
            seller_order.subtotal_vnd -= cut
            order.items_total_vnd -= cut
            order.total_vnd -= cut
            seller_order.commission_vnd = money.commission_for(
                seller_order.seller, seller_order.subtotal_vnd
            )
        # A confirmed pre-order counts its shipping deadline from the harvest.
        services.SELLER_ORDERS.move(
            seller_order, "confirm", **services.ship_clock(seller_order, now)
        )
    given = 0
    if share.refund_vnd:
        given = refunds.give_back(
            order,
            share.refund_vnd,
            scope=f"harvest-{seller_order.id}",
            seller_order=seller_order,
            reason=SHORTFALL,
        )
    if share.outcome == "unfilled":
        services.finish_if_done(order)
        balance = 0
    else:
        balance = preorders.balance_due_vnd(order)
    # A card deposit is refunded now; a bank transfer's is owed, sent back by hand.
    by_transfer = order.payment.method == "bank_transfer"
    return notifications.Harvested(
        seller_order,
        line,
        share.pre_order.quantity,
        0 if by_transfer else given,
        balance,
        owed_vnd=given if by_transfer else 0,
    )
