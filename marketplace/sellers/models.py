from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import UTCDateTime, today_vn, utcnow
from ..coops.models import Coop
from ..extensions import db
from ..places import province_name, ward_name


def rating_summary(total: int, count: int) -> dict:
    """``{average, count}`` of visible reviews; the average has two decimals, null without any."""
    return {"average": round(total / count, 2) if count else None, "count": count}


class Seller(db.Model):
    """A farming household's seller profile (one per user)."""

    __tablename__ = "sellers"
    __table_args__ = (Index("ix_sellers_coop_status", "coop_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("coops.id"))
    # Natural key of households loaded by the seed (households.csv `code`); null otherwise.
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    phone: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[int] = mapped_column(Integer)
    address_line: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    farm_area_m2: Mapped[int | None] = mapped_column(Integer)
    # Visible reviews of its products, kept by reviews/services.py (rating = total / count).
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Where payouts go (a NAPAS bank, money/banks.py); all three or none.
    payout_bank_bin: Mapped[str | None] = mapped_column(String(6))
    payout_account_no: Mapped[str | None] = mapped_column(String(19))
    payout_account_name: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(back_populates="seller")
    coop: Mapped[Coop] = relationship()
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="seller", cascade="all, delete-orphan", order_by="Certification.id"
    )

    @property
    def payout_account(self) -> dict | None:
        if not self.payout_bank_bin:
            return None
        return {
            "bank_bin": self.payout_bank_bin,
            "account_no": self.payout_account_no,
            "account_name": self.payout_account_name,
        }

    @property
    def rating(self) -> dict:
        return rating_summary(self.rating_total, self.rating_count)

    @property
    def province_name(self) -> str | None:
        return province_name(self.province_code)

    @property
    def ward_name(self) -> str | None:
        return ward_name(self.ward_code)

    def certifications_valid_on(self, day: dt.date) -> list[Certification]:
        """Its verified certifications whose validity covers ``day``."""
        return [c for c in self.certifications if c.is_shown_to_buyers(day)]

    @property
    def current_certifications(self) -> list[Certification]:
        """What buyers are shown: verified and valid today in Vietnam."""
        return self.certifications_valid_on(today_vn())


class Certification(db.Model):
    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(20))
    certificate_no: Mapped[str] = mapped_column(String(100))
    issued_by: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    seller: Mapped[Seller] = relationship(back_populates="certifications")

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    def is_shown_to_buyers(self, today: dt.date) -> bool:
        return self.verified_at is not None and self.valid_from <= today <= self.valid_until
