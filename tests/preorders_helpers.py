"""Arranging pre-order stories: a household's lychee forecast sold ahead of the harvest."""

from __future__ import annotations

import datetime as dt

from marketplace.clock import today_vn
from tests.factories import _ok, new_user, product_body
from tests.orders_helpers import order_body
from tests.payments_fixtures import CARD_OK


def harvest_day(days: int = 30) -> str:
    return (today_vn() + dt.timedelta(days=days)).isoformat()


def pre_order_product(world, expected: int = 100, **overrides) -> dict:
    """An active pre-order lychee listing: 100 kg forecast, cap 70 (allowance 70), deposit 30 %."""
    body = product_body(
        sale_mode="pre_order",
        expected_quantity=expected,
        harvest_start=harvest_day(),
        harvest_end=harvest_day(45),
        **overrides,
    )
    del body["stock_quantity"]
    product = _ok(world.household.api.post("/products", body), 201)
    return _ok(world.coop_admin.api.post(f"/products/{product['id']}/approve"), 200)


def pre_order(buyer, product_id: int, quantity: int, card: str = CARD_OK):
    return buyer.api.post("/orders", order_body([(product_id, quantity)], "card", card))


def buyers(api, count: int) -> list:
    return [new_user(api, f"Người mua {index}") for index in range(count)]


def harvest(household, product_id: int, quantity: int):
    return household.api.post(f"/products/{product_id}/harvest", {"quantity": quantity})


def placed(response) -> dict:
    return _ok(response, 201)
