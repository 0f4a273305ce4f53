"""Delivery through the pages, in a real browser: the co-op sets up its methods, a buyer in Hà Nội
sees each option's fee and promised date before paying by card, and a household that does not ship
in time has its part cancelled and the buyer refunded; a refused COD parcel is recorded."""

from __future__ import annotations

import pytest

from tests.browser import choose_place
from tests.delivery_helpers import COLD_TRUCK, PICKUP, make_overdue, new_method
from tests.factories import PASSWORD, build_world, new_product
from tests.orders_helpers import order_body

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def test_coop_admin_adds_edits_and_stops_a_delivery_method(world, visitors, api):
    admin = visitors().login(world.coop_admin.user["email"], PASSWORD)
    page = admin.page
    page.get_by_role("link", name="Giao hàng").click()
    assert "Chưa có cách giao hàng" in page.locator("main").inner_text()
    page.get_by_label("Giao đến người mua").check()
    page.locator("#f-name").fill("Xe lạnh đi Hà Nội")
    page.get_by_label("Phí cơ bản (đồng)").fill("25.000")
    page.get_by_label("Phí mỗi kg (tính tròn lên, đồng)").fill("4000")
    page.get_by_label("Thời gian giao (số giờ đến tay người mua hoặc điểm nhận)").fill("24")
    page.get_by_label("Chuỗi lạnh (giữ lạnh suốt đường đi)").check()
    page.get_by_text("Tỉnh thành được giao (không chọn: mọi nơi)").click()
    page.get_by_label("Thành phố Hà Nội").check()
    page.get_by_role("button", name="Thêm", exact=True).click()
    assert page.get_by_role("status").first.inner_text() == "Đã thêm cách giao hàng."
    method = page.get_by_test_id("delivery-method").first
    assert "Xe lạnh đi Hà Nội" in method.inner_text() and "25.000 ₫" in method.inner_text()
    admin.screenshot("coop-delivery")
    (stored,) = api.get(f"/coops/{world.coop['id']}/delivery-methods").get_json()["items"]
    assert stored["provinces"] == [1] and stored["cold_chain"] is True

    # A negative fee is refused next to its field; nothing changes.
    method.get_by_role("button", name="Sửa").click()
    page.get_by_label("Phí cơ bản (đồng)").fill("-5")
    page.get_by_role("button", name="Lưu").click()
    assert page.locator("#base_fee_vnd-error").is_visible()
    admin.errors.remove(  # the browser logs the form's 422 answer, as it should be
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    )
    page.get_by_label("Phí cơ bản (đồng)").fill("30000")
    page.get_by_role("button", name="Lưu").click()
    assert "30.000 ₫" in page.get_by_test_id("delivery-method").first.inner_text()

    page.get_by_test_id("delivery-method").first.get_by_role(
        "button", name="Ngừng cung cấp"
    ).click()
    assert "Đã ngừng" in page.get_by_test_id("delivery-method").first.inner_text()
    assert api.get(f"/coops/{world.coop['id']}/delivery-methods").get_json()["items"] == []


def test_a_buyer_in_ha_noi_sees_fee_and_date_pays_and_is_refunded_when_it_is_not_shipped(
    app, world, visitors
):
    new_method(world.coop_admin, world.coop, PICKUP)
    truck = new_method(world.coop_admin, world.coop, COLD_TRUCK)
    new_product(world.household, world.coop_admin)
    buyer = visitors().login(world.buyer.user["email"], PASSWORD)
    page = buyer.page
    page.goto("/products")
    page.get_by_role("link", name="Vải thiều Thanh Hà loại 1").click()
    page.get_by_label("Số lượng (kg)").fill("3")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.get_by_role("button", name="Tiến hành đặt hàng").click()
    page.get_by_label("Người nhận").fill("Đỗ Minh Anh")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    choose_place(page, "1", "Phường Ba Đình", "4")
    page.get_by_label("Địa chỉ (đường, số nhà)").fill("Số 8 phố Đội Cấn")
    page.get_by_role("button", name="Cập nhật cách giao hàng").click()

    options = page.get_by_test_id("delivery-options")
    assert "Nhận tại kho hợp tác xã" in options.inner_text()
    truck_option = options.get_by_label("Xe lạnh đi Hà Nội", exact=False)
    assert "37.000 ₫" in options.inner_text()  # 25,000 + 3 kg × 4,000
    assert "giao trước" in options.inner_text()
    truck_option.check()
    page.get_by_role("button", name="Cập nhật cách giao hàng").click()
    assert "172.000 ₫" in page.get_by_test_id("checkout-total").inner_text()  # 135,000 + 37,000
    page.get_by_label("Thẻ", exact=True).check()
    buyer.screenshot("checkout-delivery")
    page.get_by_role("button", name="Đặt hàng").click()

    assert page.get_by_test_id("order-status").inner_text() == "Đã thanh toán"
    assert page.get_by_test_id("order-total").inner_text() == "172.000 ₫"
    facts = page.get_by_test_id("delivery-facts").inner_text()
    assert "Xe lạnh đi Hà Nội" in facts and "Gửi hàng trước" in facts and "Giao đến trước" in facts
    order = world.buyer.api.get("/orders").get_json()["items"][0]
    assert order["seller_orders"][0]["delivery"]["method_id"] == truck["id"]
    assert order["payment"]["amount_vnd"] == 172_000

    household = visitors().login(world.household.user["email"], PASSWORD)
    household.page.goto("/dashboard/orders")
    assert "Gửi hàng trước" in household.page.get_by_test_id("ship-by").inner_text()
    household.screenshot("seller-orders-ship-by")

    make_overdue(app, order["seller_orders"][0]["id"])  # its ship_by has passed
    page.reload()
    assert "Không gửi hàng kịp hạn" in page.get_by_test_id("cancel-reason").inner_text()
    assert "Đã hoàn tiền" in page.locator("main").inner_text()
    buyer.screenshot("order-not-shipped-in-time")


def test_the_household_records_a_refused_cod_parcel(app, world, visitors):
    product = new_product(world.household, world.coop_admin)
    order = world.buyer.api.post("/orders", order_body([(product["id"], 2)])).get_json()
    part_id = order["seller_orders"][0]["id"]
    assert world.household.api.post(f"/seller-orders/{part_id}/ship").status_code == 200

    household = visitors().login(world.household.user["email"], PASSWORD)
    page = household.page
    page.goto("/dashboard/orders")
    part = page.locator(f"#seller-order-{part_id}")
    part.get_by_text("Người mua từ chối nhận hàng").click()
    part.get_by_label("Chuyện gì đã xảy ra").fill("Khách không nghe máy ba lần")
    part.get_by_role("button", name="Ghi nhận bị từ chối").click()
    part = page.locator(f"#seller-order-{part_id}")
    assert part.get_by_test_id("seller-order-status").inner_text() == "Bị từ chối nhận"
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == 98
