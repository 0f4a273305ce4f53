from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import UTCDateTime, utcnow
from ..extensions import db
from ..places import province_name, ward_name

if TYPE_CHECKING:
    from ..delivery.models import DeliveryMethod


class Coop(db.Model):
    __tablename__ = "coops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    # The platform's commission on its households' sales, in basis points (500 = 5 %).
    commission_bps: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    admins: Mapped[list[CoopAdmin]] = relationship(
        back_populates="coop", cascade="all, delete-orphan"
    )
    # What the co-op offers buyers now (delivery.services.offer): checkout loads it with the
    # products it locks, in the same statement. Read-only: methods are changed one by one.
    active_delivery_methods: Mapped[list[DeliveryMethod]] = relationship(
        "DeliveryMethod",
        primaryjoin="and_(Coop.id == DeliveryMethod.coop_id, DeliveryMethod.active.is_(True))",
        order_by="DeliveryMethod.id",
        viewonly=True,
    )

    @property
    def province_name(self) -> str | None:
        return province_name(self.province_code)

    @property
    def ward_name(self) -> str | None:
        return ward_name(self.ward_code)


class CoopAdmin(db.Model):
    __tablename__ = "coop_admins"

    coop_id: Mapped[int] = mapped_column(
        ForeignKey("coops.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    coop: Mapped[Coop] = relationship(back_populates="admins")
    user: Mapped[User] = relationship(back_populates="coop_memberships")


class AuditEntry(db.Model):
    """One moderation action: who did what to which object of a co-op, why, and when."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_coop_created", "coop_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("coops.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(User)
