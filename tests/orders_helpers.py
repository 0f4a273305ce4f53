"""Arranging order stories: a shop with two households' active products, and order bodies."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.factories import World, build_world, new_product

ADDRESS = {
    "recipient_name": "Đỗ Minh Anh",
    "phone": "0912 345 678",
    "province_code": 31,
    "ward_code": 10813,
    "address_line": "Số 5 ngõ 12, thôn Hạ",
}


def order_body(items, method: str = "cod", card: str | None = None, **extra) -> dict:
    body = {
        "items": [{"product_id": pid, "quantity": qty} for pid, qty in items],
        "shipping_address": dict(ADDRESS),
        "payment_method": method,
        **extra,
    }
    if card is not None:
        body["card"] = {"payment_method_id": card}
    return body


@dataclass
class Shop:
    world: World
    lychee: dict  # household's product, 45,000 VND/kg, stock 100
    rice: dict  # household's product, 30,000 VND/kg, stock 50, min 2
    longan: dict  # other household's product, 60,000 VND/kg, stock 20

    @property
    def buyer(self):
        return self.world.buyer

    @property
    def household(self):
        return self.world.household

    @property
    def other_household(self):
        return self.world.other_household


def build_shop(app, api) -> Shop:
    w = build_world(app, api)
    lychee = new_product(w.household, w.coop_admin)
    rice = new_product(
        w.household,
        w.coop_admin,
        name="Gạo ST25 Sóc Trăng",
        category_slug="gao",
        unit_price_vnd=30_000,
        stock_quantity=50,
        min_order_quantity=2,
    )
    longan = new_product(
        w.other_household,
        w.coop_admin,
        name="Nhãn lồng Hưng Yên",
        category_slug="nhan",
        unit_price_vnd=60_000,
        stock_quantity=20,
        origin_province_code=33,
        origin_area="Phố Hiến",
    )
    return Shop(w, lychee, rice, longan)


def stock_of(app, product_id: int) -> int:
    with app.app_context():
        return db.session.get(Product, product_id).stock_quantity


def order_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Order.id)).all())
