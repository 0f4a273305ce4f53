from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..catalogue.models import Product
from ..clock import UTCDateTime, utcnow
from ..extensions import db


class Review(db.Model):
    """A buyer's rating of a product they received; one per buyer and product."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("product_id", "buyer_id"),
        Index("ix_reviews_product_created", "product_id", "created_at"),
        Index("ix_reviews_seller_created", "seller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id])

    @property
    def status(self) -> str:
        return "hidden" if self.hidden_at is not None else "visible"

    @property
    def author_name(self) -> str:
        """The buyer's given name and family initial ("Anh Đ."): never the full name."""
        words = (self.buyer.full_name or "").split()
        if len(words) < 2:
            return words[0] if words else "—"
        return f"{words[-1]} {words[0][0]}."

    @property
    def reply(self) -> dict | None:
        if self.reply_text is None:
            return None
        return {"text": self.reply_text, "created_at": self.replied_at}
