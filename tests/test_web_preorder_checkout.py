"""The checkout page and a pre-order: cash on delivery is not offered (the deposit is paid now), the
page says why in Vietnamese and English, and a forged cash-on-delivery post is refused on the page
with that reason (422, nothing written), never a 500."""

from __future__ import annotations

import re

import pytest

from tests.bank_transfer_helpers import BANK_CONFIG
from tests.factories import build_world, new_product
from tests.orders_helpers import order_count, stock_of
from tests.preorders_helpers import pre_order_product
from tests.web import browser, text

ADDRESS = {
    "recipient_name": "Đỗ Minh Anh",
    "phone": "0912 345 678",
    "province_code": "31",
    "ward_code": "10813",
    "address_line": "Số 5, đường Hoa Phượng",
}
EXPLAINED_VI = "Đây là hàng đặt trước: tiền cọc trả ngay bằng thẻ hoặc chuyển khoản"
EXPLAINED_EN = "This is a pre-order: its deposit is paid now by card or bank transfer"
REFUSED_VI = "Hàng đặt trước phải trả cọc ngay: hãy chọn thẻ hoặc chuyển khoản"


@pytest.fixture
def app_config(app_config):
    return {**app_config, **BANK_CONFIG}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def _cart(app, world, product_id: int, quantity: int = 3):
    b = browser(app, world.buyer.user["email"])
    r = b.post("/cart/items", {"product_id": product_id, "quantity": str(quantity)})
    assert r.status_code == 302
    return b


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def _payment_methods(page: str) -> list[str]:
    return re.findall(r'name="payment_method" value="([a-z_]+)"', page)


def test_a_pre_order_cart_is_not_offered_cash_on_delivery_and_says_why(app, world):
    lychee = pre_order_product(world)
    b = _cart(app, world, lychee["id"])
    page = text(b.get("/checkout"))
    assert _payment_methods(page) == ["card", "bank_transfer"]
    assert 'name="payment_method" value="card" checked' in page  # chosen for the buyer
    assert EXPLAINED_VI in page
    english = text(b.get("/checkout?lang=en"))
    assert EXPLAINED_EN in english and "Cash on delivery is not possible for it." in english
    assert "cod" not in _payment_methods(english)


def test_an_ordinary_cart_still_offers_cash_on_delivery(app, world):
    rice = new_product(world.household, world.coop_admin)
    page = text(_cart(app, world, rice["id"]).get("/checkout"))
    assert _payment_methods(page) == ["cod", "card", "bank_transfer"]
    assert 'name="payment_method" value="cod" checked' in page
    assert EXPLAINED_VI not in page


def test_a_forged_cash_on_delivery_post_is_refused_on_the_page(app, world):
    lychee = pre_order_product(world)
    b = _cart(app, world, lychee["id"])
    form = {**ADDRESS, "payment_method": "cod", "idempotency_key": _key(text(b.get("/checkout")))}
    r = b.post("/checkout", form)
    assert r.status_code == 422
    page = text(r)
    assert REFUSED_VI in page
    assert 'id="payment_method-error"' in page  # next to the payment choice
    assert order_count(app) == 0 and stock_of(app, lychee["id"]) == 70
    assert "Vải thiều" in text(b.get("/cart"))  # the cart is kept
    r = b.post("/checkout?lang=en", form)
    assert r.status_code == 422
    assert "A pre-order pays its deposit now: choose card or bank transfer" in text(r)


def test_the_pre_order_is_placed_by_bank_transfer_from_the_page_for_its_deposit(app, world):
    lychee = pre_order_product(world)
    b = _cart(app, world, lychee["id"], 3)  # 135,000 → deposit 40,500
    form = {
        **ADDRESS,
        "payment_method": "bank_transfer",
        "idempotency_key": _key(text(b.get("/checkout"))),
    }
    r = b.post("/checkout", form)
    assert r.status_code == 302, text(r)[:2000]
    (order,) = world.buyer.api.get("/orders").get_json()["items"]
    assert order["payment"]["method"] == "bank_transfer"
    assert (order["total_vnd"], order["payment"]["amount_due_vnd"]) == (135_000, 40_500)
    page = text(b.get(r.headers["Location"]))
    assert "40.500 ₫" in page and order["payment"]["reference"] in page
