"""The pre-order and weighed-line pages in a real browser: a buyer sees a pre-order's harvest date,
deposit and what is left of the allowance; the household previews who gets what, records the
harvest, and enters weights when it ships; the buyers see what the harvest gave them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser import choose_place
from tests.factories import PASSWORD, build_world, new_product
from tests.orders_helpers import order_body
from tests.preorders_helpers import buyers, harvest_day, placed, pre_order, pre_order_product

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def test_household_previews_and_records_the_harvest_and_buyers_see_what_it_gave(
    api, world, visitors
):
    lychee = pre_order_product(world, expected=100)
    anh, binh, chi = buyers(api, 3)
    placed(pre_order(anh, lychee["id"], 30))
    placed(pre_order(binh, lychee["id"], 25))
    third = placed(pre_order(chi, lychee["id"], 15))

    visitor = visitors()
    visitor.page.goto(f"/products/{lychee['id']}")
    start = dt.date.fromisoformat(harvest_day())
    text = visitor.page.get_by_test_id("pre-order").inner_text()
    assert f"thu hoạch từ {start:%d/%m/%Y}, đặt cọc 30%" in text
    assert visitor.page.get_by_test_id("allowance-left").inner_text() == "0 kg"

    household = visitors().login(world.household.user["email"], PASSWORD)
    page = household.page
    page.locator(f"#product-{lychee['id']}").get_by_role(
        "button", name="Ghi nhận thu hoạch"
    ).click()
    page.get_by_label("Sản lượng thu hoạch (kg)").fill("60")
    page.get_by_role("button", name="Xem trước").click()
    rows = page.get_by_test_id("harvest-preview").locator("tbody tr")
    assert [rows.nth(i).get_attribute("data-outcome") for i in range(3)] == [
        "filled",
        "filled",
        "partial",
    ]
    assert "135.000" in rows.nth(2).inner_text()  # the deposit of the 10 kg not harvested
    household.screenshot("harvest-preview")
    # the preview wrote nothing
    assert api.get(f"/products/{lychee['id']}").get_json()["sale_mode"] == "pre_order"
    page.get_by_role("button", name="Xác nhận thu hoạch 60 kg").click()
    page.wait_for_load_state()
    assert "Đã ghi nhận thu hoạch: 2 đơn đặt trước đủ hàng, 1 đơn một phần" in (
        page.get_by_role("status").first.inner_text()
    )
    assert api.get(f"/products/{lychee['id']}").get_json()["sale_mode"] == "in_stock"

    buyer = visitors().login(chi.user["email"], PASSWORD)
    buyer.page.goto(f"/orders/{third['id']}")
    assert buyer.page.get_by_test_id("harvest-gave").inner_text() == (
        "đặt trước 15, vụ thu hoạch được 5"
    )
    assert buyer.page.get_by_test_id("refunded").inner_text() == "135.000 ₫"
    assert buyer.page.get_by_test_id("seller-order-status").inner_text() == "Cần giao"
    buyer.screenshot("pre-order-after-harvest")


def test_household_enters_the_packed_weight_when_it_ships(world, visitors):
    crate = new_product(world.household, world.coop_admin, catch_weight=True)
    order = placed(world.buyer.api.post("/orders", order_body([(crate["id"], 5)])))
    household = visitors().login(world.household.user["email"], PASSWORD)
    page = household.page
    page.goto("/dashboard/orders")
    part = page.locator(f"#seller-order-{order['seller_orders'][0]['id']}")
    part.get_by_label(re.compile("Khối lượng đóng của")).fill("5300")
    part.get_by_role("button", name="Đã gửi hàng").click()
    page.wait_for_load_state()
    seen = world.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert seen["seller_orders"][0]["lines"][0]["actual_weight_g"] == 5300
    assert seen["total_vnd"] == 238_500
    buyer = visitors().login(world.buyer.user["email"], PASSWORD)
    buyer.page.goto(f"/orders/{order['id']}")
    assert buyer.page.get_by_test_id("weighed").inner_text() == "cân khi đóng hàng: 5300 g"


def test_a_buyer_checking_out_a_pre_order_is_not_offered_cash_on_delivery(api, world, visitors):
    lychee = pre_order_product(world, expected=100)
    buyer = visitors().login(world.buyer.user["email"], PASSWORD)
    page = buyer.page
    page.goto(f"/products/{lychee['id']}")
    page.get_by_label("Số lượng (kg)").fill("4")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.get_by_role("button", name="Tiến hành đặt hàng").click()
    assert page.get_by_label("Thanh toán khi nhận hàng").count() == 0
    assert page.locator('input[name="payment_method"][value="cod"]').count() == 0
    assert "không thể thanh toán khi nhận hàng" in (
        page.get_by_test_id("pre-order-payment").inner_text().lower()
    )
    expect(page.get_by_label("Thẻ", exact=True)).to_be_checked()
    # What the deposit will be is shown before the order is placed: 30 % of 4 kg × 45,000.
    shown = page.get_by_test_id("pre-order-deposit").inner_text()
    assert "Tiền cọc trả ngay (30%): 54.000 ₫" in shown and "khi nhận hàng: 126.000 ₫" in shown
    page.get_by_label("Người nhận").fill("Đỗ Minh Anh")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    choose_place(page, "31", "Xã Thanh Hà", "10813")
    page.get_by_label("Địa chỉ (đường, số nhà)").fill("Thôn Hạ")
    buyer.screenshot("checkout-pre-order")
    page.get_by_role("button", name="Đặt hàng").click()
    assert page.get_by_test_id("order-status").inner_text() == "Đã thanh toán"
    assert page.get_by_test_id("deposit").inner_text().endswith("54.000 ₫")  # 30 % of 180,000
    (order,) = world.buyer.api.get("/orders").get_json()["items"]
    assert order["payment"]["method"] == "card" and order["payment"]["amount_vnd"] == 54_000
    assert order["seller_orders"][0]["status"] == "pre_ordered"
