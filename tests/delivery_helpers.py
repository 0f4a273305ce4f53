"""Arranging delivery stories: a co-op's delivery methods and a buyer's address in Hà Nội."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from marketplace.delivery.models import DeliveryMethod
from marketplace.extensions import db
from marketplace.orders.models import SellerOrder
from tests.orders_helpers import ADDRESS

HA_NOI = {**ADDRESS, "province_code": 1, "ward_code": 4, "address_line": "Số 8 phố Đội Cấn"}

PICKUP = {
    "kind": "pickup",
    "name": "Nhận tại kho hợp tác xã",
    "pickup_address": {
        "province_code": 31,
        "ward_code": 10813,
        "address_line": "Kho lạnh thôn Thúy Lâm",
        "opening_hours": "6:00–18:00",
    },
    "base_fee_vnd": 0,
    "per_kg_fee_vnd": 0,
    "lead_time_hours": 0,
    "cold_chain": False,
}
COLD_TRUCK = {
    "kind": "delivery",
    "name": "Xe lạnh đi Hà Nội",
    "provinces": [1],
    "base_fee_vnd": 25_000,
    "per_kg_fee_vnd": 4_000,
    "free_over_vnd": 1_000_000,
    "lead_time_hours": 24,
    "cold_chain": True,
}
POST = {
    "kind": "delivery",
    "name": "Chuyển phát tiêu chuẩn",
    "base_fee_vnd": 20_000,
    "per_kg_fee_vnd": 3_000,
    "lead_time_hours": 48,
    "cold_chain": False,
}


def new_method(coop_admin, coop: dict, body: dict) -> dict:
    r = coop_admin.api.post(f"/coops/{coop['id']}/delivery-methods", body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def method_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(DeliveryMethod.id)))


def make_overdue(app, seller_order_id: int) -> None:
    """Its ship_by passed a second ago."""
    with app.app_context():
        db.session.execute(
            update(SellerOrder)
            .where(SellerOrder.id == seller_order_id)
            .values(ship_by=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        db.session.commit()
