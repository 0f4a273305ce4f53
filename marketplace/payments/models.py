"""Payment records (one per order), refunds, and the webhook events already handled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import UTCDateTime, utcnow
from ..extensions import db
from ..orders.models import Order, SellerOrder

# card: pending → requires_action | succeeded | failed | expired; succeeded → partially_refunded
#       → refunded. cod: pending_collection → collected | cancelled.
PAYMENT_STATUSES = (
    "pending",
    "requires_action",
    "processing",
    "succeeded",
    "failed",
    "expired",
    "partially_refunded",
    "refunded",
    "pending_collection",
    "collected",
    "cancelled",
)


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="vnd")
    # The PaymentIntent id (pi_…) for card payments.
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    next_action: Mapped[dict | None] = mapped_column(JSON)
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    refunded_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="payment")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")


class Refund(db.Model):
    """Money given back through the provider's Refunds API.

    `scope` says what is refunded (`order-42`, `seller-order-17`, `late-payment-9`) and is UNIQUE:
    the same thing is never refunded twice, whatever the provider does with idempotency keys.
    """

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    seller_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="SET NULL")
    )
    scope: Mapped[str] = mapped_column(String(64), unique=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    seller_order: Mapped[SellerOrder | None] = relationship()


class WebhookEvent(db.Model):
    """A provider event, stored under its UNIQUE id in the transaction that handles it: once only."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
