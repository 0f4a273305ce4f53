"""The household lists a pre-order or a weighed product from the dashboard's product form."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from tests.factories import build_world
from tests.preorders_helpers import harvest_day
from tests.web import browser, text

LISTING = {
    "name": "Vải thiều Thanh Hà vụ tới",
    "description": "Đặt trước vải thiều chín cây.",
    "category_slug": "vai-thieu",
    "unit": "kg",
    "unit_price_vnd": "45.000",
    "origin_province_code": "31",
}


def test_household_lists_a_pre_order_from_the_form(app, api):
    world = build_world(app, api)
    page = browser(app, world.household.user["email"])
    form = text(page.get("/dashboard/products/new"))
    assert 'name="sale_mode" value="pre_order"' in form and 'name="catch_weight"' in form
    r = page.post(
        "/dashboard/products/new",
        {
            **LISTING,
            "sale_mode": "pre_order",
            "expected_quantity": "100",
            "deposit_pct": "40",
            "harvest_start": harvest_day(),
            "catch_weight": "true",
        },
    )
    assert r.status_code == 302, text(r)[:2000]
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.name == LISTING["name"]))
        assert (product.sale_mode, product.stock_quantity, product.deposit_pct) == (
            "pre_order",
            70,
            40,
        )
        assert product.catch_weight is True


def test_a_pre_order_without_a_future_harvest_is_shown_its_error(app, api):
    world = build_world(app, api)
    page = browser(app, world.household.user["email"])
    r = page.post(
        "/dashboard/products/new", {**LISTING, "sale_mode": "pre_order", "expected_quantity": "9"}
    )
    assert r.status_code == 422
    assert "Hàng đặt trước cần ngày bắt đầu thu hoạch trong tương lai." in text(r)
    with app.app_context():
        assert db.session.scalar(select(Product).where(Product.name == LISTING["name"])) is None
