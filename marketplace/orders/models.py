from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import UTCDateTime, utcnow
from ..extensions import db
from ..sellers.models import Seller

ORDER_STATUSES = (
    "awaiting_payment",
    "paid",
    "payment_failed",
    "expired",
    "placed",
    "completed",
    "cancelled",
)
PAYMENT_METHODS = ("card", "cod", "bank_transfer")
SELLER_ORDER_STATUSES = (
    "pending",
    "pre_ordered",
    "confirmed",
    "shipped",
    "delivered",
    "refused",
    "cancelled",
)


class Order(db.Model):
    """A buyer's checkout: one or more seller orders (one per household), paid once."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_buyer_created", "buyer_id", "created_at"),
        Index("ix_orders_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str] = mapped_column(String(20))
    items_total_vnd: Mapped[int] = mapped_column(BigInteger)
    shipping_total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    # {recipient_name, phone (E.164), province_code, ward_code, address_line}
    shipping_address: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    # Unpaid card and bank-transfer orders hold stock until then (RESERVATION_TTL_MINUTES,
    # BANK_TRANSFER_TTL_MINUTES).
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    buyer: Mapped[User] = relationship()
    seller_orders: Mapped[list[SellerOrder]] = relationship(
        back_populates="order", order_by="SellerOrder.id"
    )
    payment: Mapped[Payment] = relationship(  # noqa: F821
        "Payment", back_populates="order", uselist=False
    )


class SellerOrder(db.Model):
    """One household's part of an order: its lines, shipped and paid out separately."""

    __tablename__ = "seller_orders"
    __table_args__ = (
        Index("ix_seller_orders_seller_status", "seller_id", "status"),
        # the ship-by sweep: confirmed seller orders by deadline
        Index("ix_seller_orders_status_ship_by", "status", "ship_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    status: Mapped[str] = mapped_column(String(20))
    subtotal_vnd: Mapped[int] = mapped_column(BigInteger)
    # round_half_up(subtotal × the co-op's commission_bps / 10000), fixed when placed.
    commission_vnd: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The COD remittance that brought its cash in (delivered cash-on-delivery seller orders).
    cod_remittance_id: Mapped[int | None] = mapped_column(
        ForeignKey("cod_remittances.id"), index=True
    )
    shipping_fee_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    delivery_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_methods.id"), index=True
    )
    # The method as chosen: {method_id, kind, name, cold_chain, lead_time_hours}; null when the
    # co-op has no methods (delivered as arranged with the household).
    delivery: Mapped[dict | None] = mapped_column(JSON)
    ship_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    promised_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the household was told ship_by is 4 hours away (set once, compare-and-set).
    ship_by_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    refused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    carrier: Mapped[str | None] = mapped_column(String(200))
    tracking_number: Mapped[str | None] = mapped_column(String(200))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="seller_orders")
    seller: Mapped[Seller] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="seller_order", order_by="OrderLine.id"
    )

    @property
    def late(self) -> bool:
        """Delivered after the date promised to the buyer."""
        return (
            self.delivered_at is not None
            and self.promised_by is not None
            and self.delivered_at > self.promised_by
        )


class OrderLine(db.Model):
    """A product bought, with its name, unit and price copied at checkout."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_vnd: Mapped[int] = mapped_column(BigInteger)
    # Pre-orders: the quantity ordered before the harvest cut it (null otherwise).
    pre_ordered_quantity: Mapped[int | None] = mapped_column(Integer)
    # Catch-weight lines (copied from the product at checkout) are priced by the weight found
    # at packing (null until weighed).
    catch_weight: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    actual_weight_g: Mapped[int | None] = mapped_column(Integer)

    seller_order: Mapped[SellerOrder] = relationship(back_populates="lines")
    # Which harvest lots its units came from (lots/models.py; empty for products without lots).
    lot_allocations: Mapped[list[LotAllocation]] = relationship(  # noqa: F821
        "LotAllocation", back_populates="line", order_by="LotAllocation.id", passive_deletes=True
    )


class IdempotencyRecord(db.Model):
    """An `Idempotency-Key` a buyer sent to POST /orders, the body's fingerprint and the answer.

    The UNIQUE (user_id, key) constraint decides concurrent duplicates: the first insert wins.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # in_progress until the answer is stored (then done)
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict | None] = mapped_column(JSON)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
