"""Card checkout through the pages against the Stripe-compatible server (localstripe), as the API."""

from __future__ import annotations

import pytest

from tests.factories import build_world, new_product
from tests.test_web_shop import ADDRESS, email
from tests.web import browser, text


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def _pay(app, world, card: str):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": product["id"], "quantity": "2"})
    b.get("/checkout")
    r = b.post("/checkout", {**ADDRESS, "payment_method": "card", "payment_method_id": card})
    return b, product, r


def test_buyer_pays_by_card_and_the_order_is_paid(app, world):
    b, product, r = _pay(app, world, "pm_card_visa")
    assert r.status_code == 302
    page = text(b.get(r.headers["Location"]))
    assert "Đã thanh toán" in page and "90.000 ₫" in page
    order = world.buyer.api.get("/orders").get_json()["items"][0]
    assert order["status"] == "paid" and order["payment"]["provider_id"].startswith("pi_")
    assert order["seller_orders"][0]["status"] == "confirmed"


def test_a_declined_card_fails_the_order_and_gives_the_stock_back(app, world):
    b, product, r = _pay(app, world, "pm_card_chargeCustomerFail")
    assert r.status_code == 302
    page = text(b.get(r.headers["Location"]))
    assert "Thanh toán thất bại" in page and "Thẻ bị từ chối: chưa trừ tiền" in page
    order = world.buyer.api.get("/orders").get_json()["items"][0]
    assert order["status"] == "payment_failed"
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == 100
    assert "Vải thiều Thanh Hà loại 1" in text(b.get("/cart"))  # the cart is kept for a retry
