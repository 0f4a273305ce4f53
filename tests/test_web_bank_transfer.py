"""Bank transfer through the pages: the checkout offers it when the platform's account is set, the
order page shows the VietQR, the account, the amount and the reference, and its polled box tells
the page to reload once the money has arrived."""

from __future__ import annotations

import pytest

from tests.bank_transfer_helpers import BANK_CONFIG, notify, transaction
from tests.factories import build_world, new_product
from tests.qr_images import decode_svg
from tests.test_web_shop import ADDRESS, email
from tests.web import browser, text


@pytest.fixture
def app_config(app_config):
    return {**app_config, **BANK_CONFIG}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def _checkout(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.buyer))
    b.post("/cart/items", {"product_id": product["id"], "quantity": "3"})  # 135,000
    assert "Chuyển khoản ngân hàng (VietQR)" in text(b.get("/checkout"))
    r = b.post("/checkout", {**ADDRESS, "payment_method": "bank_transfer"})
    assert r.status_code == 302, text(r)[:500]
    return b, r.headers["Location"]


def test_buyer_sees_the_code_account_amount_and_reference_on_the_order_page(app, api, world):
    b, location = _checkout(app, world)
    order = world.buyer.api.get("/orders").get_json()["items"][0]
    page = b.get(location).get_data(as_text=True)
    assert "<svg" in page and f"VietQR {order['number']}" in page
    assert decode_svg(page) == [order["payment"]["vietqr"]]
    for shown in ("Vietcombank", "1023456789", "CONG TY NONG SAN VIET", "135.000 ₫"):
        assert shown in page
    assert order["payment"]["reference"] in page
    assert "Chờ thanh toán" in page
    box = b.get(f"/orders/{order['id']}/payment")
    assert box.status_code == 200 and "HX-Refresh" not in box.headers
    assert 'hx-trigger="every 4s"' in box.get_data(as_text=True)

    notify(api, transaction(f"CK {order['payment']['reference']}", 35_000))
    box = b.get(f"/orders/{order['id']}/payment")
    assert "Đã nhận 35.000 ₫" in text(box) and "100.000 ₫" in text(box)
    assert "HX-Refresh" not in box.headers

    notify(api, transaction(f"CK {order['payment']['reference']}", 100_000))
    box = b.get(f"/orders/{order['id']}/payment")
    assert box.headers["HX-Refresh"] == "true"  # htmx reloads the page: the order is paid
    assert "hx-trigger" not in box.get_data(as_text=True)
    page = text(b.get(location))
    assert "Đã nhận 135.000 ₫ bạn chuyển khoản" in page and "<svg" not in page


def test_the_payment_box_is_the_buyers_only(app, world):
    b, location = _checkout(app, world)
    order_id = int(location.rstrip("/").split("/")[-1])
    household = browser(app, email(world.household))
    assert household.get(f"/orders/{order_id}/payment").status_code == 404
    assert "<svg" not in household.get(f"/orders/{order_id}").get_data(as_text=True)
    assert browser(app).get(f"/orders/{order_id}/payment").status_code in (302, 401)


class TestUnconfigured:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "VIETQR_ACCOUNT_NO": None}

    def test_checkout_does_not_offer_bank_transfer(self, app, world):
        product = new_product(world.household, world.coop_admin)
        b = browser(app, email(world.buyer))
        b.post("/cart/items", {"product_id": product["id"], "quantity": "1"})
        assert "Chuyển khoản" not in text(b.get("/checkout"))
        r = b.post("/checkout", {**ADDRESS, "payment_method": "bank_transfer"})
        assert r.status_code == 422
        page = text(r)
        assert "Hiện chưa thanh toán được bằng chuyển khoản." in page
        assert world.buyer.api.get("/orders").get_json()["total"] == 0
