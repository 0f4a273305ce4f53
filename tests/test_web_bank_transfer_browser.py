"""Bank transfer in a real browser (Playwright driving Debian's chromium against the app on
127.0.0.1): the buyer picks "bank transfer", sees the VietQR and what to write, pays in two
transfers reported by the bank notifier, and the open order page turns paid by itself (htmx)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from marketplace.clock import today_vn
from marketplace.payments import vietqr
from tests.bank_transfer_helpers import BANK_CONFIG, notify, transaction
from tests.browser import Visitor, chromium, live_server  # noqa: F401  (fixtures)
from tests.factories import PASSWORD, build_world, new_product
from tests.qr_images import decode_svg

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, **BANK_CONFIG}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


@pytest.fixture
def visitors(chromium, live_server):  # noqa: F811
    opened: list[Visitor] = []

    def open_() -> Visitor:
        visitor = Visitor(chromium, live_server)
        opened.append(visitor)
        return visitor

    yield open_
    for visitor in opened:
        assert visitor.errors == [], visitor.errors  # no CSP violation, no script error
        visitor.close()


def test_buyer_pays_by_vietqr_in_two_transfers_and_the_page_turns_paid(api, world, visitors):
    today = today_vn()
    new_product(
        world.household,
        world.coop_admin,
        harvest_start=(today - dt.timedelta(days=3)).isoformat(),
        harvest_end=(today + dt.timedelta(days=30)).isoformat(),
    )
    buyer = visitors().login(world.buyer.user["email"], PASSWORD)
    page = buyer.page
    page.goto("/products")
    page.get_by_role("link", name="Vải thiều Thanh Hà loại 1").click()
    page.get_by_label("Số lượng (kg)").fill("3")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.get_by_role("button", name="Tiến hành đặt hàng").click()
    page.get_by_label("Người nhận").fill("Đỗ Minh Anh")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Tỉnh / thành phố").select_option("31")
    expect(page.locator("#f-ward_code option", has_text="Xã Thanh Hà")).to_have_count(1)
    page.get_by_label("Phường / xã").select_option("10813")
    page.get_by_label("Địa chỉ (đường, số nhà)").fill("Số 5, đường Hoa Phượng")
    page.get_by_label("Chuyển khoản ngân hàng (VietQR)").check()
    page.get_by_role("button", name="Đặt hàng").click()

    assert page.get_by_test_id("order-status").inner_text() == "Chờ thanh toán"
    box = page.get_by_test_id("bank-transfer")
    assert box.locator("svg").count() == 1 and box.locator("svg").is_visible()
    assert page.get_by_test_id("bank-name").inner_text() == "Vietcombank"
    assert page.get_by_test_id("account-no").inner_text() == "1023456789"
    assert page.get_by_test_id("account-name").inner_text() == "CONG TY NONG SAN VIET"
    assert page.get_by_test_id("amount-due").inner_text() == "135.000 ₫"
    reference = page.get_by_test_id("reference").inner_text()
    number = page.get_by_test_id("order-number").inner_text()
    assert reference == number.replace("-", "")
    order = world.buyer.api.get("/orders").get_json()["items"][0]
    assert vietqr.parse(order["payment"]["vietqr"])["54"] == "135000"
    # What the browser shows reads back (zxing-cpp) as exactly that payload.
    assert decode_svg(box.locator("svg").evaluate("e => e.outerHTML")) == [
        order["payment"]["vietqr"]
    ]
    buyer.screenshot("order-bank-transfer")

    # The buyer's bank sends part of it; the box follows without a reload.
    notify(api, transaction(f"MBVCB.3278907687.{reference.lower()}.CT", 35_000))
    expect(page.get_by_test_id("amount-received")).to_contain_text("35.000 ₫", timeout=15_000)
    expect(page.get_by_test_id("amount-due")).to_have_text("100.000 ₫")
    # The rest: the page reloads itself and shows the order paid.
    notify(api, transaction(f"{reference} chuyen tiep", 100_000))
    expect(page.get_by_test_id("order-status")).to_have_text("Đã thanh toán", timeout=15_000)
    expect(page.get_by_test_id("bank-paid")).to_contain_text("135.000 ₫")
    assert page.locator("svg").count() == 0

    household = visitors().login(world.household.user["email"], PASSWORD)
    household.page.get_by_role("button", name="Đơn cần giao").click()
    assert number in household.page.locator("main").inner_text()
