"""Buying through the pages: the cart in the session, checkout through the orders service,
"my orders", and the household's incoming seller orders with ship and deliver."""

from __future__ import annotations

import re

import pytest

from tests.factories import build_world, new_coop_admin, new_household, new_product
from tests.web import browser, text


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def email(actor) -> str:
    return actor.user["email"]


ADDRESS = {
    "recipient_name": "Đỗ Minh Anh",
    "phone": "0912 345 678",
    "province_code": "31",
    "ward_code": "10813",
    "address_line": "Số 5, đường Hoa Phượng",
}


def _checkout(b, **overrides):
    page = text(b.get("/checkout"))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return b.post(
        "/checkout", {**ADDRESS, "payment_method": "cod", "idempotency_key": key, **overrides}
    )


def test_buyer_fills_a_cart_checks_out_cash_on_delivery_and_sees_the_order(app, world):
    lychee = new_product(world.household, world.coop_admin)
    longan = new_product(world.other_household, world.coop_admin, name="Nhãn lồng Hưng Yên")
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": lychee["id"], "quantity": "3"})
    b.post("/cart/items", {"product_id": longan["id"], "quantity": "2"})
    cart = text(b.get("/cart"))
    assert "225.000 ₫" in cart  # (3 + 2) × 45.000
    r = _checkout(b, note="Giao buổi sáng")
    assert r.status_code == 302
    order_url = r.headers["Location"]
    page = text(b.get(order_url))
    assert "Đã đặt" in page and "Vườn vải nhà bác Lợi" in page and "225.000 ₫" in page
    orders = world.buyer.api.get("/orders").get_json()["items"]
    assert len(orders) == 1 and orders[0]["payment"]["method"] == "cod"
    assert orders[0]["shipping_address"]["ward_code"] == 10813
    assert sorted(so["subtotal_vnd"] for so in orders[0]["seller_orders"]) == [90_000, 135_000]
    assert "Giỏ hàng trống." in text(b.get("/cart"))
    assert orders[0]["number"] in text(b.get("/orders"))
    stock = world.household.api.get(f"/products/{lychee['id']}").get_json()["stock_quantity"]
    assert stock == 97


def test_posting_the_same_checkout_twice_makes_one_order(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": product["id"], "quantity": "1"})
    page = text(b.get("/checkout"))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {**ADDRESS, "payment_method": "cod", "idempotency_key": key}
    first = b.post("/checkout", form)
    # The cart is emptied by the first; a second tab still holding it posts the same form.
    b.post("/cart/items", {"product_id": product["id"], "quantity": "1"})
    second = b.post("/checkout", form)
    assert first.headers["Location"] == second.headers["Location"]
    assert world.buyer.api.get("/orders").get_json()["total"] == 1


def test_checkout_refuses_more_than_the_stock_and_keeps_the_cart(app, world):
    product = new_product(world.household, world.coop_admin, stock_quantity=2)
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": product["id"], "quantity": "5"})
    r = _checkout(b)
    assert r.status_code == 422 and "chỉ còn 2" in text(r)
    assert world.buyer.api.get("/orders").get_json()["total"] == 0
    assert "Vải thiều Thanh Hà loại 1" in text(b.get("/cart"))


def test_checkout_with_a_ward_of_another_province_is_refused(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": product["id"], "quantity": "1"})
    r = _checkout(b, province_code="33")
    assert r.status_code == 422
    assert world.buyer.api.get("/orders").get_json()["total"] == 0


def test_card_checkout_without_a_payment_provider_says_so_and_keeps_stock(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": product["id"], "quantity": "1"})
    r = _checkout(b, payment_method="card", payment_method_id="pm_card_visa")
    assert r.status_code == 422 and "thẻ" in text(r)
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == 100


def test_checkout_needs_a_login_and_an_unpublished_product_cannot_go_in_the_cart(app, world):
    pending = new_product(world.household)
    b = browser(app)
    assert b.post("/cart/items", {"product_id": pending["id"]}).status_code == 404
    assert b.get("/checkout").status_code == 302


def test_household_ships_and_delivers_its_part_and_the_order_completes(app, world):
    product = new_product(world.household, world.coop_admin)
    buyer = browser(app, email(world.buyer))
    buyer.post("/cart/items", {"product_id": product["id"], "quantity": "2"})
    order_url = _checkout(buyer).headers["Location"]
    household = browser(app, email(world.household))
    page = text(household.get("/dashboard/orders"))
    assert "Cần giao" in page and "Số 5, đường Hoa Phượng" in page
    so_id = world.household.api.get("/seller/orders").get_json()["items"][0]["id"]
    r = household.post(
        f"/dashboard/orders/{so_id}/ship", {"carrier": "Viettel Post", "tracking_number": "VT123"}
    )
    assert r.status_code == 302
    assert "Viettel Post VT123" in text(buyer.get(order_url))
    household.post(f"/dashboard/orders/{so_id}/deliver")
    order = world.buyer.api.get("/orders").get_json()["items"][0]
    assert order["status"] == "completed" and order["payment"]["status"] == "collected"
    # Delivering twice is refused with a message, not an error page.
    r = household.post(f"/dashboard/orders/{so_id}/deliver", follow_redirects=True)
    assert "Không thể chuyển sang trạng thái này." in text(r)


def test_another_household_cannot_ship_my_seller_order(app, world, api):
    product = new_product(world.household, world.coop_admin)
    buyer = browser(app, email(world.buyer))
    buyer.post("/cart/items", {"product_id": product["id"], "quantity": "1"})
    order_url = _checkout(buyer).headers["Location"]
    so_id = world.household.api.get("/seller/orders").get_json()["items"][0]["id"]
    far = new_household(api, world.other_coop, new_coop_admin(api, world.admin, world.other_coop))
    stranger = browser(app, email(far))
    assert stranger.post(f"/dashboard/orders/{so_id}/ship", {}).status_code == 404
    assert stranger.get(order_url).status_code == 404
    assert browser(app, email(world.other_household)).get(order_url).status_code == 404
    assert world.household.api.get("/seller/orders").get_json()["items"][0]["status"] == (
        "confirmed"
    )


def test_buyer_cancels_before_anything_ships(app, world):
    product = new_product(world.household, world.coop_admin)
    buyer = browser(app, email(world.buyer))
    buyer.post("/cart/items", {"product_id": product["id"], "quantity": "4"})
    order_url = _checkout(buyer).headers["Location"]
    order_id = int(order_url.rsplit("/", 1)[1])
    buyer.post(f"/orders/{order_id}/cancel", {"reason": "Đặt nhầm"})
    assert world.buyer.api.get(f"/orders/{order_id}").get_json()["status"] == "cancelled"
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == 100
