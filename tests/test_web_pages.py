"""The pages for people: storefront, login and claim codes, household dashboard, co-op console.

Arranged through the API (factories), acted through the pages with a session cookie and CSRF
tokens, and checked on the page and in what the API then reports as stored."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from marketplace.clock import today_vn
from marketplace.web import TRANSLATIONS
from tests.factories import PASSWORD, build_world, new_household, new_product, product_body
from tests.web import browser, text


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def email(actor) -> str:
    return actor.user["email"]


def in_season_product(world, **overrides):
    today = today_vn()
    fields = {
        "harvest_start": (today - dt.timedelta(days=5)).isoformat(),
        "harvest_end": (today + dt.timedelta(days=20)).isoformat(),
        **overrides,
    }
    return new_product(world.household, world.coop_admin, **fields)


# ---- languages, layout, errors ------------------------------------------------------------


def test_pages_speak_vietnamese_by_default_and_english_when_asked(app, world):
    in_season_product(world)
    visitor = browser(app)
    home = visitor.get("/")
    assert home.status_code == 200 and 'lang="vi"' in text(home)
    assert "Đang vào mùa" in text(home) and "Vải thiều Thanh Hà loại 1" in text(home)
    english = visitor.get("/?lang=en")
    assert 'lang="en"' in text(english) and "In season now" in text(english)
    # The choice is remembered by the session on the next page.
    login_page = visitor.get("/login")
    assert "<h1>Log in</h1>" in text(login_page)
    assert "<h1>Đăng nhập</h1>" in text(visitor.get("/login?lang=vi"))


def test_pages_send_a_content_security_policy_and_no_cdn(app):
    r = browser(app).get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "form-action 'self'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "https://" not in text(r).split("<body>")[0]  # styles and scripts come from us
    assert browser(app).get("/assets/htmx.min.js").status_code == 200
    assert browser(app).get("/assets/pico.min.css").status_code == 200


def test_unknown_page_is_an_html_404_for_browsers_but_the_api_stays_json(app, api):
    r = browser(app).get("/khong-co-trang-nay")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "Không tìm thấy trang" in text(r)
    for path in ("/api/v1/khong-co", "/healthz/x"):
        r = app.test_client().get(path, headers={"Accept": "text/html"})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert app.test_client().get("/khong-co").get_json()["error"]["code"] == "not_found"


def test_an_unexpected_error_on_a_page_is_an_html_500_with_the_request_id(app):
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/boom-page", endpoint="web.boom", view_func=boom)
    r = browser(app).get("/boom-page", headers={"Accept": "text/html", "X-Request-ID": "req-9"})
    assert r.status_code == 500 and r.mimetype == "text/html"
    assert "req-9" in text(r) and "hunter2" not in text(r) and "Traceback" not in text(r)


def test_a_missing_product_page_is_an_html_404(app):
    r = browser(app).get("/products/987654")
    assert r.status_code == 404 and r.mimetype == "text/html" and "404" in text(r)


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _text(message) -> str:
    return message.string if isinstance(message.string, str) else message.string[0]


def test_translations_are_compiled_from_the_committed_po_file():
    with (TRANSLATIONS / "vi/LC_MESSAGES/messages.po").open("rb") as f:
        po = {_key(m): _text(m) for m in read_po(f) if m.id}
    with (TRANSLATIONS / "vi/LC_MESSAGES/messages.mo").open("rb") as f:
        mo = {_key(m): _text(m) for m in read_mo(f) if m.id}
    assert po == mo and len(po) > 200
    assert all(po.values()), [k for k, v in po.items() if not v]


# ---- storefront ---------------------------------------------------------------------------


def test_product_page_shows_price_harvest_origin_certifications_household_and_coop(app, api, world):
    seller_id = world.household.seller["id"]
    cert = world.household.api.post(
        f"/sellers/{seller_id}/certifications",
        {
            "scheme": "vietgap",
            "certificate_no": "VG-31-0042",
            "issued_by": "Sở Nông nghiệp Hải Phòng",
            "valid_from": "2026-01-01",
            "valid_until": "2028-06-30",
        },
    ).get_json()
    world.household.api.post(
        f"/sellers/{seller_id}/certifications",
        {
            "scheme": "organic",
            "certificate_no": "HC-CHUA-XAC-MINH",
            "issued_by": "Không rõ",
            "valid_from": "2026-01-01",
            "valid_until": "2028-06-30",
        },
    )
    world.coop_admin.api.post(f"/sellers/{seller_id}/certifications/{cert['id']}/verify")
    product = in_season_product(world)
    page = text(browser(app).get(f"/products/{product['id']}"))
    assert "45.000 ₫/kg" in page
    assert "Thanh Hà" in page and "Thành phố Hải Phòng" in page
    assert "VG-31-0042" in page and "HC-CHUA-XAC-MINH" not in page  # only verified ones
    assert "Vườn vải nhà bác Lợi" in page and world.coop["name"] in page
    assert "Đang vào mùa" in page
    english = text(browser(app).get(f"/products/{product['id']}?lang=en"))
    assert "45.000 ₫/kg" in english and "Harvest" in english


def test_browse_filters_by_category_and_hides_unpublished_listings(app, world):
    lychee = new_product(world.household, world.coop_admin)
    rice = new_product(
        world.household, world.coop_admin, name="Gạo ST25 Sóc Trăng", category_slug="gao"
    )
    pending = new_product(world.household, name="Nhãn lồng chờ duyệt")
    everything = text(browser(app).get("/products"))
    assert "Vải thiều Thanh Hà loại 1" in everything and "Gạo ST25 Sóc Trăng" in everything
    assert "Nhãn lồng chờ duyệt" not in everything
    only_rice = text(browser(app).get("/products?category=gao"))
    assert "Gạo ST25 Sóc Trăng" in only_rice and "Vải thiều Thanh Hà loại 1" not in only_rice
    assert browser(app).get(f"/products/{pending['id']}").status_code == 404
    assert browser(app).get(f"/products/{lychee['id']}").status_code == 200
    assert browser(app).get(f"/products/{rice['id']}?lang=en").status_code == 200
    assert browser(app).get("/products?per_page=500").status_code == 400


def test_browse_counts_only_so_far_ahead_and_says_so(app, world, monkeypatch):
    """Like GET /products, the catalogue page counts matches only up to a bound past the page
    (docs/catalogue.md) and then says "at least"; below the bound the count is exact."""
    from marketplace.catalogue import services as catalogue_services

    for n in range(4):
        new_product(world.household, world.coop_admin, name=f"Vải thiều lô {n}")
    monkeypatch.setattr(catalogue_services, "COUNT_AHEAD", 3)
    page = text(browser(app).get("/products"))
    assert "Ít nhất 3 sản phẩm" in page
    assert page.count("Vải thiều lô") == 4  # the page itself is whole
    monkeypatch.setattr(catalogue_services, "COUNT_AHEAD", 10)
    assert "4 sản phẩm" in text(browser(app).get("/products"))
    assert "Ít nhất" not in text(browser(app).get("/products"))


def test_household_public_page_shows_no_phone_or_street_address(app, world):
    new_product(world.household, world.coop_admin)
    page = text(browser(app).get(f"/households/{world.household.seller['id']}"))
    assert "Vườn vải nhà bác Lợi" in page and "Vải thiều Thanh Hà loại 1" in page
    assert world.household.seller["phone"] not in page and "Thôn Hạ, số 12" not in page


# ---- login, logout, claim codes, CSRF -------------------------------------------------------


def test_buyer_logs_in_by_phone_in_local_form_and_logs_out(app, api):
    api.post(
        "/auth/register",
        {"phone": "+84912345678", "password": PASSWORD, "full_name": "Đỗ Minh Anh"},
    )
    b = browser(app)
    r = b.post("/login", {"login": "0912 345 678", "password": PASSWORD})
    assert r.status_code == 302
    assert "Đăng xuất" in text(b.get("/"))
    r = b.post("/logout")
    assert r.status_code == 302 and "Đăng nhập" in text(b.get("/"))
    assert b.get("/dashboard").status_code == 302  # sent to the login page again


def test_wrong_password_is_refused_on_the_page(app, world):
    r = browser(app).post("/login", {"login": email(world.buyer), "password": "sai-mat-khau-1"})
    assert r.status_code == 422 and "không đúng" in text(r)


def test_login_goes_back_only_to_pages_of_this_site(app, world):
    b = browser(app)
    r = b.post(
        "/login", {"login": email(world.buyer), "password": PASSWORD, "next": "//evil.example"}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"
    r = browser(app).post(
        "/login", {"login": email(world.buyer), "password": PASSWORD, "next": "/products"}
    )
    assert r.headers["Location"] == "/products"


def test_form_posts_without_a_csrf_token_are_refused(app, world):
    product = new_product(world.household, world.coop_admin)
    r = browser(app).post("/login", {"login": email(world.buyer), "password": PASSWORD}, csrf=False)
    assert r.status_code == 400 and r.mimetype == "text/html"
    household = browser(app, email(world.household))
    r = household.post(
        f"/dashboard/products/{product['id']}/stock",
        {"delta": "-50", "reason": "Giả mạo"},
        csrf=False,
    )
    assert r.status_code == 400
    r = household.post(
        f"/dashboard/products/{product['id']}/stock",
        {"delta": "-50", "reason": "Giả mạo", "csrf_token": "forged"},
        csrf=False,
    )
    assert r.status_code == 400
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == 100


def test_the_api_needs_no_csrf_token(api, world):
    r = world.household.api.post("/products", product_body(stock_quantity=3))
    assert r.status_code == 201


def test_household_activates_its_claim_code_and_lands_on_its_dashboard(app, world):
    onboarded = world.coop_admin.api.post(
        f"/coops/{world.coop['id']}/households",
        {
            "full_name": "Vũ Thị Lan",
            "display_name": "Vườn nhãn cô Lan",
            "phone": "0987 654 321",
            "province_code": 31,
            "ward_code": 10813,
            "address_line": "Thôn Thượng",
        },
    ).get_json()
    b = browser(app)
    r = b.post("/claim", {"code": "AAAAA-BBBBB", "password": "mật-khẩu-mới-2026"})
    assert r.status_code == 422 and "Mã kích hoạt không đúng" in text(r)
    r = b.post(
        "/claim",
        {"code": onboarded["claim_code"].lower(), "password": "mật-khẩu-mới-2026"},
    )
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard"
    assert "Vườn nhãn cô Lan" in text(b.get("/dashboard"))
    # The password works for the API too, and the code is used up.
    assert browser(app).login("0987654321", "mật-khẩu-mới-2026")
    again = browser(app).post(
        "/claim", {"code": onboarded["claim_code"], "password": "mật-khẩu-khác-2026"}
    )
    assert again.status_code == 422


# ---- household dashboard --------------------------------------------------------------------


def test_household_lists_a_product_with_a_phone_friendly_form(app, world):
    b = browser(app, email(world.household))
    form = text(b.get("/dashboard/products/new"))
    assert 'inputmode="numeric"' in form and '<label for="f-name">' in form
    r = b.post(
        "/dashboard/products/new",
        {
            "name": "Vải thiều sớm Thanh Hà",
            "description": "Vải u hồng, ngọt đậm.",
            "category_slug": "vai-thieu",
            "unit": "kg",
            "unit_price_vnd": "52.000",
            "stock_quantity": "40",
            "origin_province_code": "31",
            "origin_area": "Thanh Hà",
            "harvest_start": "",
        },
    )
    assert r.status_code == 302
    listings = world.household.api.get(
        f"/sellers/{world.household.seller['id']}/products"
    ).get_json()["items"]
    assert [
        (p["name"], p["unit_price_vnd"], p["stock_quantity"], p["status"]) for p in listings
    ] == [("Vải thiều sớm Thanh Hà", 52_000, 40, "pending_review")]
    page = text(b.get("/dashboard"))
    assert "Vải thiều sớm Thanh Hà" in page and "Chờ duyệt" in page and "52.000 ₫/kg" in page


def test_a_wrong_listing_form_is_shown_again_with_messages_and_nothing_stored(app, world):
    b = browser(app, email(world.household))
    r = b.post(
        "/dashboard/products/new",
        {
            "name": "  ",
            "description": "Mô tả",
            "category_slug": "vai-thieu",
            "unit": "kg",
            "unit_price_vnd": "bốn mươi nghìn",
            "stock_quantity": "5",
            "origin_province_code": "31",
            "harvest_start": "2026-07-01",
            "harvest_end": "2026-06-01",
        },
    )
    page = text(r)
    assert r.status_code == 422
    assert "Vui lòng điền mục này." in page and "Hãy nhập một số nguyên." in page
    assert 'value="bốn mươi nghìn"' in page  # what was typed is kept
    listings = world.household.api.get(f"/sellers/{world.household.seller['id']}/products")
    assert listings.get_json()["total"] == 0


def test_editing_the_price_keeps_a_listing_on_sale_but_a_new_name_goes_to_review(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.household))
    form = text(b.get(f"/dashboard/products/{product['id']}/edit"))
    assert 'value="Vải thiều Thanh Hà loại 1"' in form
    fields = {
        "name": "Vải thiều Thanh Hà loại 1",
        "description": product["description"],
        "category_slug": "vai-thieu",
        "unit": "kg",
        "unit_price_vnd": "48000",
        "min_order_quantity": "1",
        "harvest_start": "",
        "harvest_end": "",
        "origin_province_code": "31",
        "origin_area": "Thanh Hà",
        "images": "",
    }
    assert b.post(f"/dashboard/products/{product['id']}/edit", fields).status_code == 302
    stored = world.household.api.get(f"/products/{product['id']}").get_json()
    assert (stored["unit_price_vnd"], stored["status"]) == (48_000, "active")
    fields["name"] = "Vải thiều Thanh Hà loại đặc biệt"
    assert b.post(f"/dashboard/products/{product['id']}/edit", fields).status_code == 302
    stored = world.household.api.get(f"/products/{product['id']}").get_json()
    assert (stored["name"], stored["status"]) == (fields["name"], "pending_review")


def test_household_adjusts_stock_with_a_reason_but_never_below_zero(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.household))
    url = f"/dashboard/products/{product['id']}/stock"
    assert b.post(url, {"delta": "25", "reason": "Hái thêm sáng nay"}).status_code == 302
    r = b.post(url, {"delta": "-500", "reason": "Hỏng"}, follow_redirects=True)
    assert "Không đủ hàng trong kho." in text(r)
    stored = world.household.api.get(f"/products/{product['id']}").get_json()
    assert stored["stock_quantity"] == 125
    moves = world.household.api.get(f"/products/{product['id']}/stock-movements").get_json()
    assert moves["items"][0]["reason"] == "Hái thêm sáng nay" and moves["total"] == 2
    # With htmx the row alone comes back.
    r = b.post(url, {"delta": "-5", "reason": "Quả dập"}, headers={"HX-Request": "true"})
    assert (
        r.status_code == 200
        and text(r).lstrip().startswith("<tr")
        and "<strong>120</strong>" in text(r)
    )


def test_household_pauses_resumes_and_archives_a_listing(app, world):
    product = new_product(world.household, world.coop_admin)
    b = browser(app, email(world.household))
    url = f"/dashboard/products/{product['id']}/status"
    status = lambda: world.household.api.get(f"/products/{product['id']}").get_json()["status"]  # noqa: E731
    b.post(url, {"action": "pause"})
    assert status() == "paused"
    b.post(url, {"action": "resume"})
    assert status() == "active"
    r = b.post(url, {"action": "pause"})
    r = b.post(url, {"action": "pause"}, follow_redirects=True)
    assert "Không thể chuyển sang trạng thái này." in text(r) and status() == "paused"
    assert b.post(url, {"action": "approve"}).status_code == 422
    assert status() == "paused"


def test_household_declares_a_certification(app, world):
    b = browser(app, email(world.household))
    r = b.post(
        "/dashboard/certifications",
        {
            "scheme": "ocop",
            "certificate_no": "OCOP-31-7",
            "issued_by": "UBND Thành phố Hải Phòng",
            "valid_from": "2026-01-01",
            "valid_until": "2029-01-01",
        },
    )
    assert r.status_code == 302
    page = text(b.get("/dashboard/certifications"))
    assert "OCOP-31-7" in page and "Chờ hợp tác xã xác minh" in page
    seller = world.household.api.get(f"/sellers/{world.household.seller['id']}").get_json()
    assert [c["certificate_no"] for c in seller["certifications"]] == ["OCOP-31-7"]


def test_a_buyer_starts_selling_and_sends_the_profile_to_the_coop(app, world):
    b = browser(app, email(world.buyer))
    r = b.get("/dashboard")
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard/profile"
    assert b.get("/dashboard/products/new").status_code == 403  # no household yet
    profile = {
        "coop_id": str(world.coop["id"]),
        "display_name": "Vườn bưởi Diễn cô Anh",
        "phone": "0913 222 444",
        "province_code": "31",
        "ward_code": "10813",
        "address_line": "Xóm 3",
    }
    r = b.post("/dashboard/profile", {**profile, "ward_code": "99999999"})
    assert r.status_code == 422 and world.buyer.api.get("/me").get_json()["seller_id"] is None
    assert b.post("/dashboard/profile", profile).status_code == 302
    page = text(b.get("/dashboard"))
    assert "Vườn bưởi Diễn cô Anh" in page and "Gửi hợp tác xã duyệt" in page
    r = b.get("/dashboard/products/new")  # not approved yet: back to the dashboard
    assert r.status_code == 302
    b.post("/dashboard/profile/submit")
    seller_id = world.buyer.api.get("/me").get_json()["seller_id"]
    assert world.buyer.api.get(f"/sellers/{seller_id}").get_json()["status"] == "submitted"
    queue = text(browser(app, email(world.coop_admin)).get(f"/coop/{world.coop['id']}"))
    assert "Vườn bưởi Diễn cô Anh" in queue


def test_another_household_cannot_edit_or_restock_my_listing(app, world):
    product = new_product(world.household, world.coop_admin)
    pending = new_product(world.household, name="Chưa duyệt")
    other = browser(app, email(world.other_household))
    for pid in (product["id"], pending["id"]):
        assert other.get(f"/dashboard/products/{pid}/edit").status_code == 404
        r = other.post(f"/dashboard/products/{pid}/stock", {"delta": "-1", "reason": "x"})
        assert r.status_code == 404
        assert (
            other.post(f"/dashboard/products/{pid}/status", {"action": "pause"}).status_code == 404
        )
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == 100


# ---- co-op console ------------------------------------------------------------------------


def test_coop_admin_approves_a_pending_listing_and_it_appears_in_the_storefront(app, world):
    pending = new_product(world.household, name="Nhãn lồng Hưng Yên")
    assert "Nhãn lồng Hưng Yên" not in text(browser(app).get("/products"))
    admin = browser(app, email(world.coop_admin))
    queue = text(admin.get(f"/coop/{world.coop['id']}"))
    assert "Nhãn lồng Hưng Yên" in queue and f'id="listing-{pending["id"]}"' in queue
    r = admin.post(f"/coop/products/{pending['id']}/moderate", {"action": "approve"})
    assert r.status_code == 302
    assert "Nhãn lồng Hưng Yên" in text(browser(app).get("/products"))
    assert f'id="listing-{pending["id"]}"' not in text(admin.get(f"/coop/{world.coop['id']}"))


def test_coop_admin_rejects_with_a_reason_that_lands_in_the_audit_log(app, world):
    pending = new_product(world.household, name="Xoài cát Hòa Lộc")
    admin = browser(app, email(world.coop_admin))
    url = f"/coop/products/{pending['id']}/moderate"
    r = admin.post(url, {"action": "reject"}, follow_redirects=True)
    assert "Hãy ghi lý do" in text(r)
    assert world.household.api.get(f"/products/{pending['id']}").get_json()["status"] == (
        "pending_review"
    )
    admin.post(url, {"action": "reject", "reason": "Ảnh không đúng sản phẩm"})
    assert world.household.api.get(f"/products/{pending['id']}").get_json()["status"] == "rejected"
    audit = text(admin.get(f"/coop/{world.coop['id']}/audit"))
    assert "Đã từ chối sản phẩm" in audit and "Ảnh không đúng sản phẩm" in audit


def test_coop_admin_approves_a_submitted_household(app, api, world):
    waiting = new_household(api, world.coop, status="submitted")
    admin = browser(app, email(world.coop_admin))
    assert waiting.seller["display_name"] in text(admin.get(f"/coop/{world.coop['id']}"))
    admin.post(f"/coop/households/{waiting.seller['id']}/moderate", {"action": "approve"})
    assert waiting.api.get(f"/sellers/{waiting.seller['id']}").get_json()["status"] == "approved"


def test_coop_admin_onboards_a_household_and_prints_a_claim_code_that_works(app, world):
    admin = browser(app, email(world.coop_admin))
    form = text(admin.get(f"/coop/{world.coop['id']}/onboard"))
    assert "Xã Thanh Hà" in form  # the wards of the co-op's province are offered
    r = admin.post(
        f"/coop/{world.coop['id']}/onboard",
        {
            "full_name": "Bùi Văn Toàn",
            "display_name": "Vườn vải ông Toàn",
            "phone": "0978 111 222",
            "province_code": "31",
            "ward_code": "10813",
            "address_line": "Thôn Đông",
            "farm_area_m2": "3000",
        },
    )
    assert r.status_code == 201
    code = re.search(r'data-testid="claim-code">([A-Z0-9-]+)<', text(r)).group(1)
    assert (
        browser(app).post("/claim", {"code": code, "password": "mật-khẩu-ông-Toàn"}).status_code
        == 302
    )
    households = world.coop_admin.api.get(f"/coops/{world.coop['id']}/sellers").get_json()
    assert "Vườn vải ông Toàn" in [s["display_name"] for s in households["items"]]


def test_onboarding_with_a_ward_of_another_province_is_refused(app, world):
    admin = browser(app, email(world.coop_admin))
    r = admin.post(
        f"/coop/{world.coop['id']}/onboard",
        {
            "full_name": "Bùi Văn Toàn",
            "display_name": "Vườn vải ông Toàn",
            "phone": "0978 111 223",
            "province_code": "33",
            "ward_code": "10813",
            "address_line": "Thôn Đông",
        },
    )
    assert r.status_code == 422
    assert world.coop_admin.api.get(f"/coops/{world.coop['id']}/sellers").get_json()["total"] == 2


def test_coop_admin_verifies_a_certification_and_buyers_see_it(app, world):
    seller_id = world.household.seller["id"]
    cert = world.household.api.post(
        f"/sellers/{seller_id}/certifications",
        {
            "scheme": "globalgap",
            "certificate_no": "GG-4049",
            "issued_by": "GlobalG.A.P.",
            "valid_from": "2026-01-01",
            "valid_until": "2029-01-01",
        },
    ).get_json()
    product = new_product(world.household, world.coop_admin)
    assert "GG-4049" not in text(browser(app).get(f"/products/{product['id']}"))
    admin = browser(app, email(world.coop_admin))
    r = admin.post(
        f"/coop/{world.coop['id']}/households/{seller_id}/certifications/{cert['id']}/verify"
    )
    assert r.status_code == 302
    assert "GG-4049" in text(browser(app).get(f"/products/{product['id']}"))


def test_a_household_cannot_moderate(app, world):
    pending = new_product(world.household, name="Tự duyệt")
    household = browser(app, email(world.household))
    assert household.get(f"/coop/{world.coop['id']}").status_code == 403
    r = household.post(f"/coop/products/{pending['id']}/moderate", {"action": "approve"})
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert world.household.api.get(f"/products/{pending['id']}").get_json()["status"] == (
        "pending_review"
    )


def test_another_coops_admin_cannot_use_this_coops_console(app, world):
    pending = new_product(world.household, name="Của HTX khác")
    active = new_product(world.household, world.coop_admin)
    other = browser(app, email(world.other_coop_admin))
    for path in ("", "/households", "/onboard", "/products", "/audit"):
        assert other.get(f"/coop/{world.coop['id']}{path}").status_code == 403
    assert (
        other.post(f"/coop/products/{pending['id']}/moderate", {"action": "approve"}).status_code
        == 404
    )
    assert (
        other.post(
            f"/coop/products/{active['id']}/moderate", {"action": "remove", "reason": "x"}
        ).status_code
        == 403
    )
    assert world.household.api.get(f"/products/{active['id']}").get_json()["status"] == "active"


def test_query_arguments_cannot_turn_the_language_link_into_another_scheme(app):
    page = text(browser(app).get("/products?_scheme=javascript&_external=1&category=gao"))
    assert "javascript:" not in page
    assert 'href="/products?category=gao&amp;lang=en"' in page
