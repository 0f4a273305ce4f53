"""The public catalogue: filters, sorts and pagination over data the test creates; a constant
number of SQL statements whatever the page size; concurrent stock adjustments."""

import concurrent.futures as cf
import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.catalogue import services
from marketplace.catalogue.models import Product, StockMovement
from marketplace.clock import today_vn
from marketplace.extensions import db
from tests.conftest import pg_only, recorded_statements
from tests.factories import build_world, new_coop_admin, new_household, new_product


@pytest.fixture
def catalogue(app, api):
    """Six visible products over two co-ops, plus ones buyers must never see."""
    w = build_world(app, api)
    far_household = new_household(api, w.other_coop, w.other_coop_admin)
    today = today_vn()
    season = {
        "harvest_start": (today - dt.timedelta(days=5)).isoformat(),
        "harvest_end": (today + dt.timedelta(days=5)).isoformat(),
    }
    later = {
        "harvest_start": (today + dt.timedelta(days=30)).isoformat(),
        "harvest_end": (today + dt.timedelta(days=60)).isoformat(),
    }
    made = {
        "vai": new_product(
            w.household, w.coop_admin, name="Vải thiều Thanh Hà", unit_price_vnd=45_000, **season
        ),
        "nhan": new_product(
            w.household,
            w.coop_admin,
            name="Nhãn lồng",
            category_slug="nhan",
            unit_price_vnd=60_000,
            **later,
        ),
        "xoai": new_product(
            w.other_household,
            w.coop_admin,
            name="Xoài cát Hòa Lộc",
            category_slug="xoai",
            unit_price_vnd=30_000,
            origin_province_code=82,
            stock_quantity=0,
        ),
        "gao": new_product(
            far_household,
            w.other_coop_admin,
            name="Gạo ST25",
            category_slug="gao",
            unit="bag",
            unit_weight_g=5_000,
            unit_price_vnd=180_000,
            origin_province_code=92,
        ),
        "mat": new_product(
            far_household,
            w.other_coop_admin,
            name="Mật ong hoa nhãn",
            category_slug="mat-ong",
            unit="litre",
            unit_price_vnd=250_000,
            origin_province_code=33,
            **season,
        ),
        "buoi": new_product(
            far_household,
            w.other_coop_admin,
            name="Bưởi da xanh",
            category_slug="buoi",
            unit_price_vnd=45_000,
            origin_province_code=86,
        ),
    }
    new_product(w.household)  # pending review
    paused = new_product(w.household, w.coop_admin, name="Tạm nghỉ")
    w.household.api.post(f"/products/{paused['id']}/pause")
    return w, far_household, made


def names(response):
    assert response.status_code == 200, response.get_json()
    return [p["name"] for p in response.get_json()["items"]]


def test_only_visible_products_newest_first(api, catalogue):
    body = api.get("/products").get_json()
    assert body["total"] == 6 and body["page"] == 1 and body["per_page"] == 20
    assert names(api.get("/products")) == [
        "Bưởi da xanh",
        "Mật ong hoa nhãn",
        "Gạo ST25",
        "Xoài cát Hòa Lộc",
        "Nhãn lồng",
        "Vải thiều Thanh Hà",
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            "category=trai-cay",
            {"Vải thiều Thanh Hà", "Nhãn lồng", "Xoài cát Hòa Lộc", "Bưởi da xanh"},
        ),
        ("category=nhan", {"Nhãn lồng"}),
        ("category=khong-co", set()),
        ("province_code=82", {"Xoài cát Hòa Lộc"}),
        ("min_price=45000&max_price=60000", {"Vải thiều Thanh Hà", "Nhãn lồng", "Bưởi da xanh"}),
        ("max_price=30000", {"Xoài cát Hòa Lộc"}),
        ("in_season=true", {"Vải thiều Thanh Hà", "Mật ong hoa nhãn"}),
        (
            "in_stock=true",
            {"Vải thiều Thanh Hà", "Nhãn lồng", "Gạo ST25", "Mật ong hoa nhãn", "Bưởi da xanh"},
        ),
        ("category=trai-cay&in_stock=true&max_price=50000", {"Vải thiều Thanh Hà", "Bưởi da xanh"}),
    ],
)
def test_filters(api, catalogue, query, expected):
    assert set(names(api.get(f"/products?{query}"))) == expected


def test_coop_and_seller_filters(api, catalogue):
    w, far, _ = catalogue
    assert set(names(api.get(f"/products?coop_id={w.other_coop['id']}"))) == {
        "Gạo ST25",
        "Mật ong hoa nhãn",
        "Bưởi da xanh",
    }
    assert set(names(api.get(f"/products?seller_id={w.household.seller['id']}"))) == {
        "Vải thiều Thanh Hà",
        "Nhãn lồng",
    }


def test_in_season_flag(api, catalogue):
    _, _, made = catalogue
    assert api.get(f"/products/{made['vai']['id']}").get_json()["in_season"] is True
    assert api.get(f"/products/{made['nhan']['id']}").get_json()["in_season"] is False
    assert api.get(f"/products/{made['gao']['id']}").get_json()["in_season"] is False


def test_sorts(api, catalogue):
    prices = [p["unit_price_vnd"] for p in api.get("/products?sort=price").get_json()["items"]]
    assert prices == sorted(prices)
    prices = [p["unit_price_vnd"] for p in api.get("/products?sort=-price").get_json()["items"]]
    assert prices == sorted(prices, reverse=True)
    by_name = names(api.get("/products?sort=name"))
    assert by_name == sorted(by_name)


def test_pagination(api, catalogue):
    first = api.get("/products?per_page=4&page=1&sort=price").get_json()
    second = api.get("/products?per_page=4&page=2&sort=price").get_json()
    assert first["total"] == second["total"] == 6
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    assert api.get("/products?page=9").get_json()["items"] == []


def test_total_is_counted_a_bounded_way_past_the_page(api, catalogue, monkeypatch):
    """docs/catalogue.md: total counts up to (page - 1) * per_page + COUNT_AHEAD matches."""
    monkeypatch.setattr(services, "COUNT_AHEAD", 3)
    walked, totals = [], []
    for page in range(1, 5):
        body = api.get(f"/products?per_page=2&page={page}&sort=price").get_json()
        walked += [p["id"] for p in body["items"]]
        totals.append(body["total"])
    # 6 match: at least 3 on page 1, 5 on page 2, then exact from the page that can see the end
    assert totals == [3, 5, 6, 6]
    assert len(walked) == len(set(walked)) == 6
    narrow = api.get("/products?per_page=2&category=nhan").get_json()
    assert narrow["total"] == len(narrow["items"]) == 1  # fewer than the bound: exact


@pytest.mark.parametrize(
    "query",
    [
        "per_page=500",
        "per_page=0",
        "page=0",
        "page=abc",
        "min_price=1.5",
        "sort=cheapest",
        "in_stock=maybe",
        "coop_id=-1",
        "province_code=%27%20OR%201=1",
    ],
)
def test_bad_query_parameters_are_422(api, catalogue, query):
    r = api.get(f"/products?{query}")
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "validation_error"


def test_list_issues_the_same_number_of_statements_for_1_or_100_items(app, api):
    w = build_world(app, api)
    sellers = [w.household, w.other_household]
    far = new_coop_admin(api, w.admin, w.other_coop, "Võ Thị Sáu")
    sellers.append(new_household(api, w.other_coop, far))
    for i in range(30):
        new_product(
            sellers[i % 3],
            w.coop_admin if i % 3 < 2 else far,
            name=f"Sản phẩm {i}",
            category_slug=("vai-thieu", "gao", "ca-phe")[i % 3],
        )
    counts = {}
    with recorded_statements(app) as statements:
        for per_page in (1, 100):
            statements.clear()
            r = api.get(f"/products?per_page={per_page}")
            assert r.status_code == 200 and len(r.get_json()["items"]) == (
                1 if per_page == 1 else 30
            )
            counts[per_page] = len(statements)
    assert counts[1] == counts[100], counts


@pg_only()
def test_concurrent_stock_adjustments_sum_exactly_and_never_go_negative(app, api):
    w = build_world(app, api)
    product = new_product(w.household, w.coop_admin, stock_quantity=50)
    deltas = [5, -7, 3, -20, -20, -20, 10, -1, 4, -9, 6, -30, 2, -2, 8, -8, 1, -15, 7, -3]

    def adjust(delta):
        client = app.test_client()
        r = client.post(
            f"/api/v1/products/{product['id']}/stock-adjustments",
            json={"delta": delta, "reason": "song song"},
            headers={"Authorization": f"Bearer {w.household.token}"},
        )
        return delta, r.status_code

    with cf.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(adjust, deltas))
    assert {status for _, status in results} <= {200, 409}
    applied = sum(delta for delta, status in results if status == 200)
    with app.app_context():
        stored = db.session.get(Product, product["id"]).stock_quantity
        movements = db.session.scalars(
            select(StockMovement).where(StockMovement.product_id == product["id"])
        ).all()
        assert db.session.scalar(select(func.min(StockMovement.resulting_quantity))) >= 0
    assert stored == 50 + applied and stored >= 0
    assert len(movements) == 1 + sum(1 for _, s in results if s == 200)
