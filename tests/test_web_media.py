"""The pages of photos, reviews and lots: a household adds a photo from its phone and records a lot
and prints its labels; the storefront shows the photo (srcset, lazy, alt); a buyer reviews from
the order page; the household replies; the co-op hides; a scanned label opens the trace page."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from marketplace.clock import today_vn
from tests.factories import new_product
from tests.media_helpers import files_in, phone_photo
from tests.orders_helpers import build_shop, order_body
from tests.web import browser, text


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def test_household_adds_a_photo_and_the_storefront_shows_it(app, api, shop, tmp_path):
    b = browser(app, shop.household.user["email"])
    product_id = shop.lychee["id"]
    edit = text(b.get(f"/dashboard/products/{product_id}/edit"))
    assert 'enctype="multipart/form-data"' in edit

    r = b.client.post(
        f"/dashboard/products/{product_id}/photos",
        data={"csrf_token": b.csrf_token(), "file": (io.BytesIO(phone_photo(900, 600)), "a.jpg")},
        content_type="multipart/form-data",
        headers={"Accept": "text/html"},
    )

    assert r.status_code == 302
    assert len(files_in(tmp_path / "media")) == 2
    # Back in review after the photo: the co-op approves it again.
    assert shop.world.coop_admin.api.post(f"/products/{product_id}/approve").status_code == 200
    for page in (f"/products/{product_id}", "/", "/products", "/search?q=vai"):
        html = text(browser(app).get(page))
        img = re.search(r'<img src="/media/[^"]+"[^>]*>', html)
        assert img, page
        tag = img.group(0)
        assert "srcset=" in tag and " 400w" in tag and " 900w" in tag
        assert 'alt="Vải thiều Thanh Hà loại 1"' in tag
        if page != f"/products/{product_id}":
            assert 'loading="lazy"' in tag


def test_a_non_image_through_the_page_is_refused_and_leaves_nothing(app, shop, tmp_path):
    b = browser(app, shop.household.user["email"])
    r = b.client.post(
        f"/dashboard/products/{shop.lychee['id']}/photos",
        data={"csrf_token": b.csrf_token(), "file": (io.BytesIO(b"%PDF-1.4"), "a.jpg")},
        content_type="multipart/form-data",
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 302
    assert files_in(tmp_path / "media") == []
    assert shop.household.api.get(f"/products/{shop.lychee['id']}").get_json()["photos"] == []


def test_buyer_reviews_from_the_order_page_household_replies_coop_hides(app, api, shop):
    order = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 2)])).get_json()
    so_id = order["seller_orders"][0]["id"]
    buyer = browser(app, shop.buyer.user["email"])
    assert "review_product" not in text(buyer.get(f"/orders/{order['id']}"))
    shop.household.api.post(f"/seller-orders/{so_id}/ship", {})
    shop.household.api.post(f"/seller-orders/{so_id}/deliver")
    page = text(buyer.get(f"/orders/{order['id']}"))
    assert f'action="/products/{shop.lychee["id"]}/review"' in page

    r = buyer.post(
        f"/products/{shop.lychee['id']}/review",
        {"rating": "5", "text": "Vải tươi, ngọt lịm", "next": f"/orders/{order['id']}"},
    )

    assert r.status_code == 302 and r.headers["Location"].endswith(f"/orders/{order['id']}")
    assert f'action="/products/{shop.lychee["id"]}/review"' not in text(
        buyer.get(f"/orders/{order['id']}")
    )
    product_page = text(browser(app).get(f"/products/{shop.lychee['id']}"))
    assert "Vải tươi, ngọt lịm" in product_page and "★ 5.0 (1)" in product_page
    household_page = text(browser(app).get(f"/households/{shop.household.seller['id']}"))
    assert "Vải tươi, ngọt lịm" in household_page
    review_id = api.get(f"/products/{shop.lychee['id']}/reviews").get_json()["items"][0]["id"]

    household = browser(app, shop.household.user["email"])
    assert "Vải tươi, ngọt lịm" in text(household.get("/dashboard/reviews"))
    r = household.post(f"/dashboard/reviews/{review_id}/reply", {"text": "Cảm ơn chị!"})
    assert r.status_code == 302
    assert "Cảm ơn chị!" in text(browser(app).get(f"/products/{shop.lychee['id']}"))

    coop = browser(app, shop.world.coop_admin.user["email"])
    assert "Vải tươi, ngọt lịm" in text(coop.get(f"/coop/{shop.world.coop['id']}/reviews"))
    r = coop.post(f"/coop/reviews/{review_id}/hide", {"reason": "Thử ẩn"})
    assert r.status_code == 302
    assert "Vải tươi, ngọt lịm" not in text(browser(app).get(f"/products/{shop.lychee['id']}"))
    assert api.get(f"/products/{shop.lychee['id']}").get_json()["rating"]["count"] == 0


def test_household_records_a_lot_prints_labels_and_the_label_opens_the_trace(app, api, shop):
    product = new_product(shop.household, shop.world.coop_admin, name="Vải lô", stock_quantity=0)
    b = browser(app, shop.household.user["email"])
    yesterday = (today_vn() - dt.timedelta(days=1)).isoformat()
    bad = b.post(
        f"/dashboard/products/{product['id']}/lots", {"harvested_on": yesterday, "quantity": "0"}
    )
    assert bad.status_code == 422

    r = b.post(
        f"/dashboard/products/{product['id']}/lots",
        {"harvested_on": yesterday, "quantity": "40", "planting_area_code": "VN-HPTH-0042"},
    )

    assert r.status_code == 302
    (code,) = re.findall(
        r"/t/([A-Z0-9]+)", text(b.get(f"/dashboard/products/{product['id']}/lots"))
    )
    sheet = b.get(f"/dashboard/lots/{code}/labels?count=6")
    assert sheet.status_code == 200
    assert text(sheet).count('class="label"') == 6 and text(sheet).count("<svg") >= 6
    trace = browser(app).get(f"/t/{code}")
    assert trace.status_code == 200 and "VN-HPTH-0042" in text(trace)
    # Someone else's labels: not found.
    other = browser(app, shop.other_household.user["email"])
    assert other.get(f"/dashboard/lots/{code}/labels").status_code == 404
