"""Payment records (one per order), refunds, and the webhook events already handled."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import UTCDateTime, utcnow
from ..extensions import db
from ..state import StateMachine

if TYPE_CHECKING:  # payments never import orders at run time: orders use payments
    from ..orders.models import Order, SellerOrder

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


# Payment state machine: (status, action) → new status.
PAYMENTS = StateMachine(
    "a payment",
    {
        # card: the PaymentIntent's answers while the order awaits payment
        **{
            (status, action): target
            for status in ("pending", "requires_action", "processing")
            for action, target in (
                ("require_action", "requires_action"),
                ("process", "processing"),
                ("succeed", "succeeded"),
                ("fail", "failed"),
                ("expire", "expired"),
            )
        },
        # money that arrived after the order gave its stock back: recorded, then refunded at once
        ("failed", "succeed_late"): "succeeded",
        ("expired", "succeed_late"): "succeeded",
        ("succeeded", "refund_part"): "partially_refunded",
        ("succeeded", "refund_all"): "refunded",
        ("partially_refunded", "refund_part"): "partially_refunded",
        ("partially_refunded", "refund_all"): "refunded",
        # cash on delivery
        ("pending_collection", "collect"): "collected",
        ("pending_collection", "cancel"): "cancelled",
    },
)
CHARGED = ("succeeded", "partially_refunded", "refunded")


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    method: Mapped[str] = mapped_column(String(20))
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
    # Bank transfers: what the buyer writes in the transfer's text (the order number without
    # separators), and what has arrived so far (transfers add up).
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    amount_received_vnd: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Pre-orders: the deposit charged now (= amount_vnd); the rest is paid on delivery.
    deposit_vnd: Mapped[int | None] = mapped_column(BigInteger)
    # When the deposit was paid: the harvest allocates in this order.
    deposit_paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship("Order", back_populates="payment")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def amount_due_vnd(self) -> int:
        """What the buyer owes for the order (a bank transfer's `54` counts down from it)."""
        return self.amount_vnd


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
    # A refund made by hand (bank transfer): when, and the reference of the bank's transfer.
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    refunded_reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    seller_order: Mapped[SellerOrder | None] = relationship("SellerOrder")


class WebhookEvent(db.Model):
    """A provider event, stored under its UNIQUE id in the transaction that handles it: once only."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankTransfer(db.Model):
    """A transaction the bank notifier reported (SePay's shape), stored once under its id.

    ``order_id`` is set when its text named an order's reference (matched); ``outcome`` says what
    it did: paid, partial, overpaid, owed_back (all of it owed back), unmatched or outgoing.
    """

    __tablename__ = "bank_transfers"
    __table_args__ = (Index("ix_bank_transfers_matched", "order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    gateway: Mapped[str | None] = mapped_column(String(100))
    transaction_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    account_number: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[str | None] = mapped_column(Text)
    transfer_type: Mapped[str] = mapped_column(String(3))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    accumulated_vnd: Mapped[int | None] = mapped_column(BigInteger)
    sub_account: Mapped[str | None] = mapped_column(String(100))
    reference_code: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(20))
    applied_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    owed_back_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order | None] = relationship()

    @property
    def matched(self) -> bool:
        return self.order_id is not None
