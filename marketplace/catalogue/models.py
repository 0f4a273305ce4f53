from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import UTCDateTime, today_vn, utcnow
from ..coops.models import Coop
from ..extensions import db
from ..places import province_name
from ..sellers.models import Certification, Seller, rating_summary

UNITS = ("kg", "g", "box", "bag", "bunch", "piece", "litre", "dozen")
# Units whose weight is known; the others need `unit_weight_g` when the product is created.
UNIT_WEIGHTS_G = {"kg": 1000, "litre": 1000, "g": 1}
PRODUCT_STATUSES = ("pending_review", "active", "paused", "rejected", "removed", "archived")
# A pre-order product sells part of its forecast until its harvest is recorded, then in_stock.
SALE_MODES = ("in_stock", "pre_order")


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # How long its produce keeps at ambient temperature, and cooled (null: not known).
    shelf_life_hours: Mapped[int | None] = mapped_column(Integer)
    cold_shelf_life_hours: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position, Category.id"
    )

    @property
    def parent_slug(self) -> str | None:
        # The parent is usually in the session already (the tree is read whole): no statement.
        return self.parent.slug if self.parent_id is not None else None


class Product(db.Model):
    """A household's listing. Money is integer VND; stock changes only through catalogue/stock.py."""

    __tablename__ = "products"
    __table_args__ = (
        # Each sort orders by (its column, id): the id makes pages stable and lets the index
        # serve the page in order, however many rows tie on the column.
        Index("ix_products_status_created", "status", "created_at", "id"),
        Index("ix_products_status_price", "status", "unit_price_vnd", "id"),
        Index("ix_products_status_name", "status", "name", "id"),
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
    # Grams per unit sold (delivery fees are by weight).
    unit_weight_g: Mapped[int] = mapped_column(Integer, default=1000)
    # Its own shelf life in hours; null follows its category's.
    own_shelf_life_hours: Mapped[int | None] = mapped_column("shelf_life_hours", Integer)
    # Harvest pre-orders (orders/preorders.py): the forecast, the share of it sold ahead, the
    # deposit; the harvest recorded once (sale_mode moves pre_order → in_stock with it).
    sale_mode: Mapped[str] = mapped_column(
        String(10), default="in_stock", server_default="in_stock"
    )
    expected_quantity: Mapped[int | None] = mapped_column(Integer)
    pre_order_cap_pct: Mapped[int] = mapped_column(Integer, default=70, server_default="70")
    deposit_pct: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    harvested_quantity: Mapped[int | None] = mapped_column(Integer)
    harvested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A kg product weighed at packing: its lines are priced by their weight (orders/weighing.py).
    catch_weight: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Visible reviews, kept by reviews/services.py with atomic increments (rating = total / count).
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default="pending_review")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    seller: Mapped[Seller] = relationship()
    category: Mapped[Category] = relationship()

    @property
    def shelf_life_hours(self) -> int | None:
        """Its own shelf life, else its category's (None: not known, no limit)."""
        if self.own_shelf_life_hours is not None:
            return self.own_shelf_life_hours
        return self.category.shelf_life_hours

    @property
    def cold_shelf_life_hours(self) -> int | None:
        """Kept cooled: its category's cold shelf life, never less than its own shelf life."""
        ambient = self.shelf_life_hours
        cold = self.category.cold_shelf_life_hours
        if cold is None or ambient is None:
            return ambient if cold is None else cold
        return max(ambient, cold)

    @property
    def rating(self) -> dict:
        return rating_summary(self.rating_total, self.rating_count)

    @property
    def origin(self) -> dict:
        return {
            "province_code": self.origin_province_code,
            "province_name": province_name(self.origin_province_code),
            "area": self.origin_area,
        }

    @property
    def coop(self) -> Coop:
        return self.seller.coop

    @property
    def shown_certifications(self) -> list[Certification]:
        """Its household's certifications that buyers are shown today."""
        return self.seller.current_certifications

    @property
    def image_urls(self) -> list[str]:
        """Uploaded photos (their 1200 px size) in their order, then the URLs given with the
        listing."""
        return [photo.url for photo in self.photos] + list(self.images or [])

    @property
    def in_season(self) -> bool:
        """The harvest window contains today's date in Vietnam (False without a window)."""
        if self.harvest_start is None or self.harvest_end is None:
            return False
        return self.harvest_start <= today_vn() <= self.harvest_end

    @property
    def pre_order_allowance(self) -> int | None:
        """How much may be pre-ordered in all: floor(expected × cap / 100); None when not a
        pre-order."""
        if self.sale_mode != "pre_order" or self.expected_quantity is None:
            return None
        return self.expected_quantity * self.pre_order_cap_pct // 100


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
