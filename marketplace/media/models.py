from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..catalogue.models import Product
from ..clock import UTCDateTime, utcnow
from ..extensions import db
from . import storage

MAX_PHOTOS = 10


class ProductImage(db.Model):
    """An uploaded photo of a product, stored in two sizes under content-hashed keys."""

    __tablename__ = "product_images"
    # Two uploads racing for the same position: the constraint lets one win (409 for the other).
    __table_args__ = (UniqueConstraint("product_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # 1 = the first photo shown
    # Storage keys (paths under MEDIA_DIR or in the bucket) of the 1200 and 400 px renditions.
    key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumbnail_width: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(
        backref=backref("photos", order_by="ProductImage.position", passive_deletes=True)
    )

    @property
    def url(self) -> str:
        return storage.url_of(self.key)

    @property
    def thumbnail_url(self) -> str:
        return storage.url_of(self.thumbnail_key)
