"""Harvest lots: record one (its units join the stock), the public trace record, one step forward
(the seller orders holding its units) and recall.

Locks are taken in the order checkout and cancellations use (orders, then products, then lots),
so a recall never deadlocks with them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import url_for
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..catalogue import stock
from ..catalogue.models import Product
from ..catalogue.services import require_owner
from ..clock import VIETNAM, today_vn, utcnow
from ..coops.services import can_moderate, record_audit, require_coop_admin
from ..errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from ..extensions import db
from ..notifications import services as notifications
from ..orders import services as orders
from ..orders.models import Order, OrderLine, SellerOrder
from ..payments.models import Refund
from ..places import province_name, ward_name
from ..sellers.models import Certification, Seller
from .models import Lot, LotAllocation

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I look-alikes on a crate label
CODE_LENGTH = 8
RECALL_CANCEL_REASON = "lot_recalled"
# Seller orders a recall cancels: not shipped yet, in an order that was placed or paid.
CANCELLABLE = ("pending", "confirmed")
# Seller orders whose buyer has (or is about to have) the lot's produce: told not to use it.
RECEIVED = ("shipped", "delivered")


def is_code(code: str) -> bool:
    return 4 <= len(code) <= 20 and code.isascii() and code.isalnum()


def has_lots(product_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Lot.product_id == product_id))))


def trace_url(lot: Lot) -> str:
    return url_for("web.trace_page", code=lot.code, _external=True)


# ---- recording a lot ----------------------------------------------------------------------


def _certification(product: Product, cert_id: int | None, harvested_on: dt.date):
    if cert_id is None:
        return None
    cert = db.session.scalar(
        select(Certification).where(
            Certification.id == cert_id, Certification.seller_id == product.seller_id
        )
    )
    if cert is None or cert.verified_at is None:
        raise ValidationError(
            details={"certification_id": ["Not one of your household's verified certifications."]}
        )
    if not cert.valid_from <= harvested_on <= cert.valid_until:
        raise ValidationError(
            details={"certification_id": ["The certification was not valid on the harvest date."]}
        )
    return cert


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Lot.id).where(Lot.code == code)) is None:
            return code


def create_lot(user: User, product: Product, data: dict[str, Any]) -> Lot:
    """The household records a harvest lot of its product; its units join the stock.

    A product's stock comes only through its lots once it has one, so the first lot needs the
    stock at 0 (else 409): then the lots always hold exactly the stock.
    """
    require_owner(user, product)
    if product.status == "archived":
        raise InvalidTransition("An archived product takes no new lots.")
    harvested_on = data["harvested_on"]
    if harvested_on > today_vn():
        raise ValidationError(details={"harvested_on": ["Must not be in the future."]})
    cert = _certification(product, data.get("certification_id"), harvested_on)
    code = (data.get("code") or "").upper() or _new_code()
    if db.session.scalar(select(Lot.id).where(Lot.code == code)) is not None:
        raise Conflict(f"Lot code {code} is taken.", {"code": ["Already taken."]})
    current = db.session.scalar(
        select(Product.stock_quantity).where(Product.id == product.id).with_for_update()
    )
    if current and not has_lots(product.id):
        raise Conflict(
            "This product has stock that came in without a lot: set its stock to 0 first, then "
            "record that stock as lots.",
            {"stock_quantity": current},
        )
    lot = Lot(
        code=code,
        product_id=product.id,
        seller_id=product.seller_id,
        harvested_on=harvested_on,
        quantity=data["quantity"],
        remaining=data["quantity"],
        planting_area_code=data.get("planting_area_code") or None,
        packing_house_code=data.get("packing_house_code") or None,
        certification=cert,
        note=data.get("note") or None,
        status="active",
    )
    db.session.add(lot)
    db.session.flush()  # a concurrent lot with the same code fails here (UNIQUE): 409
    stock.receive_lot(product, lot.quantity, user)
    return lot


def lots_of_product(product_id: int) -> Select:
    return (
        select(Lot)
        .where(Lot.product_id == product_id)
        .options(joinedload(Lot.certification))
        .order_by(Lot.harvested_on.desc(), Lot.id.desc())
    )


# ---- the public trace record --------------------------------------------------------------


def get_lot(code: str) -> Lot:
    """A lot by its code (public: anyone holding a crate label may look it up)."""
    if not is_code(code):
        raise NotFound("No such lot.")
    lot = db.session.scalar(
        select(Lot)
        .where(Lot.code == code.upper())
        .options(
            joinedload(Lot.product).joinedload(Product.seller).joinedload(Seller.coop),
            joinedload(Lot.certification),
            selectinload(Lot.product, Product.photos),
        )
    )
    if lot is None:
        raise NotFound("No such lot.")
    return lot


def _vietnam_dates(moments) -> list[dt.date]:
    return sorted({moment.astimezone(VIETNAM).date() for moment in moments if moment})


def trace_record(lot: Lot) -> dict[str, Any]:
    """The dict behind TraceSchema: origin and dates only, nothing about any buyer."""
    product, seller = lot.product, lot.product.seller
    sold = db.session.execute(
        select(Order.created_at, SellerOrder.shipped_at)
        .join(SellerOrder, SellerOrder.order_id == Order.id)
        .join(OrderLine, OrderLine.seller_order_id == SellerOrder.id)
        .join(LotAllocation, LotAllocation.order_line_id == OrderLine.id)
        .where(LotAllocation.lot_id == lot.id, SellerOrder.status != "cancelled")
    ).all()
    cert = lot.certification
    photos = list(product.photos)
    return {
        "code": lot.code,
        "status": lot.status,
        "product": {
            "id": product.id,
            "name": product.name,
            "images": [photo.url for photo in photos] + list(product.images or []),
            "photos": photos,
        },
        "household": {
            "id": seller.id,
            "display_name": seller.display_name,
            "commune": ward_name(seller.ward_code),
            "province": province_name(seller.province_code),
        },
        "coop": seller.coop,
        "harvested_on": lot.harvested_on,
        "planting_area_code": lot.planting_area_code,
        "packing_house_code": lot.packing_house_code,
        "certification": cert,
        # Shelf life arrives with the delivery feature; null until the product has one.
        "shelf_life_hours": getattr(product, "shelf_life_hours", None),
        "sold_on": _vietnam_dates(placed for placed, _shipped in sold),
        "shipped_on": _vietnam_dates(shipped for _placed, shipped in sold),
        "recalled_at": lot.recalled_at,
        "recall_reason": lot.recall_reason,
        "trace_url": trace_url(lot),
    }


# ---- one step forward, and recall ---------------------------------------------------------


def _may_follow(user: User, lot: Lot) -> bool:
    return lot.product.seller.user_id == user.id or can_moderate(user, lot.product.seller.coop_id)


def lot_orders(user: User, lot: Lot) -> Select:
    """The seller orders holding units of the lot (its household and co-op admins), newest first."""
    if not _may_follow(user, lot):
        raise Forbidden("Only the household and its co-op follow a lot to its orders.")
    return (
        select(
            SellerOrder.id.label("seller_order_id"),
            Order.id.label("order_id"),
            Order.number.label("order_number"),
            SellerOrder.status,
            LotAllocation.quantity,
            Order.created_at.label("placed_at"),
            SellerOrder.shipped_at,
            SellerOrder.delivered_at,
        )
        .join(OrderLine, OrderLine.id == LotAllocation.order_line_id)
        .join(SellerOrder, SellerOrder.id == OrderLine.seller_order_id)
        .join(Order, Order.id == SellerOrder.order_id)
        .where(LotAllocation.lot_id == lot.id)
        .order_by(Order.created_at.desc(), SellerOrder.id.desc())
    )


def _holding(lot_id: int, statuses: tuple[str, ...]) -> list[SellerOrder]:
    return list(
        db.session.scalars(
            select(SellerOrder)
            .join(Order, Order.id == SellerOrder.order_id)
            .where(
                SellerOrder.status.in_(statuses),
                Order.status.in_(orders.OPEN_FOR_HOUSEHOLDS),
                SellerOrder.id.in_(
                    select(OrderLine.seller_order_id)
                    .join(LotAllocation, LotAllocation.order_line_id == OrderLine.id)
                    .where(LotAllocation.lot_id == lot_id)
                ),
            )
            .order_by(SellerOrder.order_id, SellerOrder.id)
        ).unique()
    )


def require_recaller(user: User, lot: Lot) -> None:
    require_coop_admin(
        user,
        lot.product.seller.coop_id,
        "Only an admin of this household's co-op can recall its lots.",
    )


def recall(user: User, lot: Lot, reason: str) -> Lot:
    """A co-op admin recalls a lot: its unsold units leave the stock, the seller orders holding it
    that have not shipped are cancelled (reason `lot_recalled`) and refunded, it is audited, and
    the buyers who received it are told."""
    require_recaller(user, lot)
    if lot.status == "recalled":
        raise InvalidTransition("This lot is already recalled.", {"status": lot.status})
    for order_id in sorted({so.order_id for so in _holding(lot.id, CANCELLABLE)}):
        orders.lock_order(order_id)
    product = db.session.scalar(
        select(Product).where(Product.id == lot.product_id).with_for_update()
    )
    lot = db.session.scalar(
        select(Lot)
        .where(Lot.id == lot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if lot.status == "recalled":
        raise InvalidTransition("This lot is already recalled.", {"status": lot.status})
    lot.status = "recalled"
    lot.recalled_at = utcnow()
    lot.recall_reason = reason
    db.session.flush()
    cancelled = _holding(lot.id, CANCELLABLE)
    for seller_order in cancelled:
        # Units of this lot do not come back (release_lot_units); other lots' units do.
        orders.cancel_seller_order(seller_order, RECALL_CANCEL_REASON)
    unsold, lot.remaining = lot.remaining, 0  # the lot's row is locked: nobody takes units now
    db.session.flush()
    stock.remove_recalled(product, unsold, user)
    record_audit(
        coop_id=lot.product.seller.coop_id,
        actor=user,
        action="lot.recall",
        target_type="lot",
        target_id=lot.id,
        reason=reason,
    )
    notify_recall(lot, [so.id for so in cancelled] + _received(lot.id))
    return lot


def _received(lot_id: int) -> list[int]:
    """Seller orders holding the lot that left the household (shipped or delivered), whatever
    their order's status now (a fully delivered order is `completed`)."""
    return list(
        db.session.scalars(
            select(SellerOrder.id)
            .where(
                SellerOrder.status.in_(RECEIVED),
                SellerOrder.id.in_(
                    select(OrderLine.seller_order_id)
                    .join(LotAllocation, LotAllocation.order_line_id == OrderLine.id)
                    .where(LotAllocation.lot_id == lot_id)
                ),
            )
            .order_by(SellerOrder.id)
        )
    )


def notify_recall(lot: Lot, seller_order_ids: list[int]) -> int:
    """Tell the buyers of these seller orders, once each, that ``lot`` is recalled: those the
    recall just cancelled (and what is refunded to them) and those that were shipped or
    delivered (do not use it). Written to the outbox in the recall's transaction: a recall that
    rolls back tells nobody. Returns the number of buyers told."""
    if not seller_order_ids:
        return 0
    seller_orders = list(
        db.session.scalars(
            select(SellerOrder)
            .where(SellerOrder.id.in_(seller_order_ids))
            .options(joinedload(SellerOrder.order))
            .order_by(SellerOrder.id)
        )
    )
    cancelled = [so for so in seller_orders if so.status == "cancelled"]
    received = [so for so in seller_orders if so.status in RECEIVED]
    refunded = dict(
        db.session.execute(
            select(Refund.seller_order_id, func.sum(Refund.amount_vnd))
            .where(
                Refund.seller_order_id.in_([so.id for so in cancelled] or [-1]),
                Refund.status != "failed",
            )
            .group_by(Refund.seller_order_id)
        ).all()
    )
    return notifications.lot_recalled(
        lot,
        lot.recall_reason,
        cancelled,
        received,
        {so_id: int(amount or 0) for so_id, amount in refunded.items()},
    )
