from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalogue.models import Product
from ..clock import UTCDateTime, utcnow
from ..extensions import db
from ..orders.models import OrderLine
from ..sellers.models import Certification, Seller

LOT_STATUSES = ("active", "recalled")


class Lot(db.Model):
    """A harvest lot: units of one product that came in together and can be traced.

    Invariant: for a product with lots, the sum of its lots' ``remaining`` is its stock.
    """

    __tablename__ = "lots"
    __table_args__ = (Index("ix_lots_product_harvested", "product_id", "harvested_on", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    harvested_on: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    planting_area_code: Mapped[str | None] = mapped_column(String(50))
    packing_house_code: Mapped[str | None] = mapped_column(String(50))
    certification_id: Mapped[int | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    recalled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recall_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    seller: Mapped[Seller] = relationship()
    certification: Mapped[Certification | None] = relationship()


class LotAllocation(db.Model):
    """Units of a lot that an order line took at checkout."""

    __tablename__ = "lot_allocations"
    __table_args__ = (UniqueConstraint("order_line_id", "lot_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    lot: Mapped[Lot] = relationship()
    line: Mapped[OrderLine] = relationship(back_populates="lot_allocations")

    @property
    def code(self) -> str:
        return self.lot.code
