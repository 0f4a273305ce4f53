from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import UTCDateTime, today_vn, utcnow
from ..extensions import db
from ..sellers.models import Seller, rating_summary

UNITS = ("kg", "g", "box", "bag", "bunch", "piece", "litre", "dozen")
PRODUCT_STATUSES = ("pending_review", "active", "paused", "rejected", "removed", "archived")


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position, Category.id"
    )


class Product(db.Model):
    """A household's listing. Money is integer VND; stock changes only through catalogue/stock.py."""

    __tablename__ = "products"
    __table_args__ = (
        # "newest" orders by (created_at, id): the id makes pages stable and lets the index serve it.
        Index("ix_products_status_created", "status", "created_at", "id"),
        Index("ix_products_status_price", "status", "unit_price_vnd"),
        Index("ix_products_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    # Natural key of products loaded by the seed (products.csv `sku`); null otherwise.
    sku: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    unit: Mapped[str] = mapped_column(String(10))
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    stock_quantity: Mapped[int] = mapped_column(Integer, default=0)
    min_order_quantity: Mapped[int] = mapped_column(Integer, default=1)
    harvest_start: Mapped[dt.date | None] = mapped_column(Date)
    harvest_end: Mapped[dt.date | None] = mapped_column(Date)
    origin_province_code: Mapped[int] = mapped_column(Integer, index=True)
    origin_area: Mapped[str | None] = mapped_column(String(200))
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Visible reviews, kept by reviews/services.py with atomic increments (rating = total / count).
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default="pending_review")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    seller: Mapped[Seller] = relationship()
    category: Mapped[Category] = relationship()

    @property
    def rating(self) -> dict:
        return rating_summary(self.rating_total, self.rating_count)

    @property
    def in_season(self) -> bool:
        """The harvest window contains today's date in Vietnam (False without a window)."""
        if self.harvest_start is None or self.harvest_end is None:
            return False
        return self.harvest_start <= today_vn() <= self.harvest_end


class StockMovement(db.Model):
    """Why a product's stock changed: one row per change, with the quantity it left."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_product_created", "product_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    resulting_quantity: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
