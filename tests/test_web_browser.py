"""The pages in a real browser (Playwright driving Debian's chromium) against the app served on
127.0.0.1: people click through the main paths, htmx works under the Content-Security-Policy, and
the pages speak both languages. Skipped outside CI when /usr/bin/chromium is missing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from marketplace.clock import today_vn
from marketplace.payments import vietqr
from tests.bank_transfer_helpers import BANK_CONFIG, notify, transaction
from tests.browser import choose_place
from tests.factories import PASSWORD, build_world, new_product
from tests.qr_images import decode_svg

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def _season() -> dict:
    today = today_vn()
    return {
        "harvest_start": (today - dt.timedelta(days=3)).isoformat(),
        "harvest_end": (today + dt.timedelta(days=30)).isoformat(),
    }


def test_coop_admin_approves_a_pending_listing_and_buyers_then_find_it(world, visitors):
    new_product(world.household, world.coop_admin, **_season())
    pending = new_product(world.household, name="Nhãn lồng Hưng Yên", **_season())
    buyer = visitors()
    buyer.page.goto("/products")
    assert buyer.page.get_by_text("Nhãn lồng Hưng Yên").count() == 0

    admin = visitors().login(world.coop_admin.user["email"], PASSWORD)
    page = admin.page
    assert page.get_by_role("heading", name=world.coop["name"]).is_visible()
    listing = page.locator(f"#listing-{pending['id']}")
    assert "Nhãn lồng Hưng Yên" in listing.inner_text()
    admin.screenshot("coop-console")
    listing.get_by_role("button", name="Duyệt").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "Nhãn lồng Hưng Yên đã được bán."
    assert page.locator(f"#listing-{pending['id']}").count() == 0

    buyer.page.goto("/products")
    buyer.page.get_by_role("link", name="Nhãn lồng Hưng Yên").click()
    assert buyer.page.get_by_role("heading", level=1).inner_text() == "Nhãn lồng Hưng Yên"
    assert "45.000 ₫/kg" in buyer.page.locator(".product").inner_text()
    buyer.screenshot("product")
    buyer.page.goto("/")
    buyer.screenshot("home")


def test_household_adjusts_stock_in_place_with_htmx(world, visitors):
    product = new_product(world.household, world.coop_admin)
    household = visitors().login(world.household.user["email"], PASSWORD)
    page = household.page
    assert page.url.endswith("/dashboard")
    household.screenshot("dashboard")
    row = page.locator(f"#product-{product['id']}")
    row.get_by_text("Điều chỉnh tồn kho").click()
    row.get_by_label("Thay đổi (+ thêm, − bớt)").fill("-30")
    row.get_by_label("Lý do").fill("Bán ở chợ phiên")
    row.get_by_role("button", name="Lưu tồn kho").click()
    row = page.locator(f"#product-{product['id']}")
    row.locator("strong", has_text="70").wait_for()
    assert "Đã cập nhật tồn kho." in row.inner_text()
    assert page.url.endswith("/dashboard")  # the row was swapped, the page stayed
    stored = world.household.api.get(f"/products/{product['id']}").get_json()
    assert stored["stock_quantity"] == 70


def test_coop_onboards_a_household_whose_claim_code_then_works(world, visitors):
    admin = visitors().login(world.coop_admin.user["email"], PASSWORD)
    page = admin.page
    page.goto(f"/coop/{world.coop['id']}/onboard")
    page.get_by_label("Họ tên chủ hộ").fill("Bùi Văn Toàn")
    page.get_by_label("Tên hiển thị cho người mua").fill("Vườn vải ông Toàn")
    page.get_by_label("Số điện thoại").fill("0978 111 222")
    # The ward picker follows the province (htmx reloads the options).
    thanh_ha = page.locator("#f-ward_code option", has_text="Xã Thanh Hà")
    page.get_by_label("Tỉnh / thành phố").select_option("33")
    expect(thanh_ha).to_have_count(0)
    page.get_by_label("Tỉnh / thành phố").select_option("31")
    expect(thanh_ha).to_have_count(1)
    page.get_by_label("Phường / xã").select_option("10813")
    page.get_by_label("Địa chỉ (thôn, số nhà)").fill("Thôn Đông")
    page.get_by_role("button", name="Tạo và in mã kích hoạt").click()
    code = page.get_by_test_id("claim-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    admin.screenshot("claim-slip")

    farmer = visitors()
    farmer.page.goto("/claim")
    farmer.page.get_by_label("Mã kích hoạt").fill(code)
    farmer.page.get_by_label("Mật khẩu mới").fill("mật-khẩu-ông-Toàn")
    farmer.page.get_by_role("button", name="Kích hoạt").click()
    assert farmer.page.get_by_role("heading", level=1).inner_text() == "Vườn vải ông Toàn"


def test_pages_switch_to_english_and_remember_it(world, visitors):
    new_product(world.household, world.coop_admin, **_season())
    visitor = visitors(viewport={"width": 1280, "height": 900})
    page = visitor.page
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Tươi ngon từ nhà vườn Việt Nam"
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Fresh from Vietnamese farms"
    page.get_by_role("link", name="Products", exact=True).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Products"
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/login")
    visitor.screenshot("login-en")


def test_a_form_post_without_the_csrf_token_is_refused(world, visitors, live_server):
    visitor = visitors()
    visitor.page.goto("/login")
    r = visitor.page.request.post(
        f"{live_server}/login",
        form={"login": world.buyer.user["email"], "password": PASSWORD},
        max_redirects=0,
    )
    assert r.status == 400 and "Biểu mẫu đã hết hạn" in r.text()
    # The same browser logs in fine through the form, which carries the token.
    visitor.login(world.buyer.user["email"], PASSWORD)
    assert visitor.page.get_by_role("button", name="Đăng xuất").is_visible()


def test_buyer_searches_vai_thieu_without_accents_and_opens_the_product(world, visitors):
    new_product(world.household, world.coop_admin, **_season())
    buyer = visitors()
    page = buyer.page
    page.goto("/")
    page.get_by_label("Tìm nông sản").fill("vai thieu")
    page.get_by_role("button", name="Tìm").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Kết quả cho “vai thieu”"
    buyer.screenshot("search")
    page.get_by_role("link", name="Vải thiều Thanh Hà loại 1").click()
    assert "45.000 ₫/kg" in page.locator(".product").inner_text()


def test_buyer_searches_orders_cash_on_delivery_and_the_household_ships(world, visitors):
    new_product(world.household, world.coop_admin, **_season())
    buyer = visitors().login(world.buyer.user["email"], PASSWORD)
    page = buyer.page
    page.goto("/")
    page.get_by_label("Tìm nông sản").fill("vai thieu")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("link", name="Vải thiều Thanh Hà loại 1").click()
    page.get_by_label("Số lượng (kg)").fill("3")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    assert page.get_by_test_id("cart-total").inner_text() == "135.000 ₫"
    buyer.screenshot("cart")
    page.get_by_role("button", name="Tiến hành đặt hàng").click()
    page.get_by_label("Người nhận").fill("Đỗ Minh Anh")
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    choose_place(page, "31", "Xã Thanh Hà", "10813")
    page.get_by_label("Địa chỉ (đường, số nhà)").fill("Số 5, đường Hoa Phượng")
    page.get_by_label("Thanh toán khi nhận hàng").check()
    buyer.screenshot("checkout")
    page.get_by_role("button", name="Đặt hàng").click()
    assert page.get_by_test_id("order-status").inner_text() == "Đã đặt"
    number = page.get_by_test_id("order-number").inner_text()
    buyer.screenshot("order")

    household = visitors().login(world.household.user["email"], PASSWORD)
    hp = household.page
    hp.get_by_role("button", name="Đơn cần giao").click()
    part = hp.locator("article", has_text=number)
    assert "Số 5, đường Hoa Phượng" in part.inner_text()
    household.screenshot("seller-orders")
    part.get_by_label("Đơn vị vận chuyển").fill("Viettel Post")
    part.get_by_label("Mã vận đơn").fill("VT123456")
    part.get_by_role("button", name="Đã gửi hàng").click()
    part = hp.locator("article", has_text=number)
    assert part.get_by_test_id("seller-order-status").inner_text() == "Đang giao"

    page.goto("/orders")
    page.get_by_role("link", name=number).click()
    assert "Viettel Post VT123456" in page.locator("main").inner_text()


class TestBankTransfer:
    """Bank transfer by VietQR: the buyer picks it, sees the code and what to write, pays in two
    transfers reported by the bank notifier, and the open order page turns paid by itself."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, **BANK_CONFIG}

    def test_buyer_pays_by_vietqr_in_two_transfers_and_the_page_turns_paid(
        self, api, world, visitors
    ):
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
        choose_place(page, "31", "Xã Thanh Hà", "10813")
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
