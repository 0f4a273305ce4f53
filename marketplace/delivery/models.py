"""Delivery methods: how a co-op gets its households' produce to buyers (pickup or delivery)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import UTCDateTime, utcnow
from ..coops.models import Coop
from ..extensions import db
from ..places import province_name, ward_name

KINDS = ("pickup", "delivery")
MAX_LEAD_TIME_HOURS = 8760  # a year


class DeliveryMethod(db.Model):
    """A co-op's way to hand over produce, with its fee by weight and its lead time.

    Deactivated instead of deleted: seller orders keep pointing at the method they used.
    """

    __tablename__ = "delivery_methods"
    __table_args__ = (Index("ix_delivery_methods_coop_active", "coop_id", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("coops.id"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    # pickup: {province_code, ward_code, address_line, opening_hours}
    pickup_address: Mapped[dict | None] = mapped_column(JSON)
    # delivery: the province codes served; empty serves everywhere
    provinces: Mapped[list[int]] = mapped_column(JSON, default=list)
    base_fee_vnd: Mapped[int] = mapped_column(BigInteger)
    per_kg_fee_vnd: Mapped[int] = mapped_column(BigInteger)
    free_over_vnd: Mapped[int | None] = mapped_column(BigInteger)
    lead_time_hours: Mapped[int] = mapped_column(Integer)
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    coop: Mapped[Coop] = relationship()

    @property
    def pickup_place(self) -> dict | None:
        """The collection point's address with its province and ward names."""
        address = self.pickup_address
        if not address:
            return None
        return {
            **address,
            "province_name": province_name(address.get("province_code")),
            "ward_name": ward_name(address.get("ward_code")),
        }

    def serves(self, province_code: int) -> bool:
        """Pickup serves any buyer (they come to the collection point); delivery its provinces."""
        return self.kind == "pickup" or not self.provinces or province_code in self.provinces
