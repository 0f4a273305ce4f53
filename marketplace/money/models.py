"""The ledger of what each household earned and was paid, COD cash handed over, payout batches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import UTCDateTime, utcnow
from ..extensions import db
from ..payments.vietqr import transfer_payload
from ..sellers.models import Seller

LEDGER_KINDS = ("sale", "commission", "refund", "payout", "adjustment")


class LedgerEntry(db.Model):
    """One signed amount in a household's account. Append-only: never updated or deleted (no code
    path does; PostgreSQL refuses it with a trigger, migration 0014)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_seller_id", "seller_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    seller_order_id: Mapped[int | None] = mapped_column(ForeignKey("seller_orders.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id"))
    payout_item_id: Mapped[int | None] = mapped_column(ForeignKey("payout_items.id"), unique=True)
    balance_after_vnd: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CodRemittance(db.Model):
    """Cash that a co-op handed over for delivered cash-on-delivery seller orders."""

    __tablename__ = "cod_remittances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("coops.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutBatch(db.Model):
    """Money set aside for households with a bank account, paid item by item by a treasurer."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open → paid
    min_amount_vnd: Mapped[int] = mapped_column(BigInteger)
    total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[PayoutItem]] = relationship(back_populates="batch", order_by="PayoutItem.id")


class PayoutItem(db.Model):
    """One household's transfer in a batch; the bank account is copied when the batch is made."""

    __tablename__ = "payout_items"
    __table_args__ = (UniqueConstraint("batch_id", "seller_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    bank_bin: Mapped[str] = mapped_column(String(6))
    account_no: Mapped[str] = mapped_column(String(19))
    account_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="held")  # held → paid
    reference: Mapped[str | None] = mapped_column(String(200))
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    batch: Mapped[PayoutBatch] = relationship(back_populates="items")
    seller: Mapped[Seller] = relationship()

    @property
    def description(self) -> str:
        """The transfer's message: short ASCII naming the batch and item (banks keep ~25)."""
        return f"NONGSAN PAYOUT {self.batch_id} {self.id}"

    @property
    def vietqr(self) -> str:
        """The VietQR payload a treasurer scans to make this transfer."""
        return transfer_payload(self.bank_bin, self.account_no, self.amount_vnd, self.description)

    @property
    def payout_account(self) -> dict:
        return {
            "bank_bin": self.bank_bin,
            "account_no": self.account_no,
            "account_name": self.account_name,
        }
