from tests.factories import build_world
from tests.web import browser, text


def test_a_household_lists_a_box_product_with_its_weight_from_the_page(app, api):
    w = build_world(app, api)
    b = browser(app, w.household.user["email"])
    page = b.get("/dashboard/products/new")
    assert 'name="unit_weight_g"' in text(page)
    form = {
        "name": "Vải hộp quà",
        "description": "Hộp 2 kg",
        "category_slug": "vai-thieu",
        "unit": "box",
        "unit_price_vnd": "120000",
        "stock_quantity": "5",
        "min_order_quantity": "1",
        "origin_province_code": "31",
        "unit_weight_g": "2000",
    }
    r = b.post("/dashboard/products/new", form)
    assert r.status_code == 302, text(r)[:3000]
    items = w.household.api.get(f"/sellers/{w.household.seller['id']}/products").get_json()["items"]
    assert [(p["unit"], p["unit_weight_g"]) for p in items] == [("box", 2000)]
