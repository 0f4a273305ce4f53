"""Catalogue and search answers served from each worker's memory are never stale: every change a
buyer could see, made through any worker, reaches every other worker's next answer."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import threading
import time

import pytest

from marketplace import create_app
from marketplace.catalogue import response_cache
from marketplace.catalogue.models import Category
from marketplace.catalogue.response_cache import ResponseCache
from marketplace.clock import today_vn
from marketplace.extensions import db
from tests.conftest import ApiClient, recorded_statements
from tests.orders_helpers import build_shop, order_body


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


@pytest.fixture
def other_worker(app_config):
    """A second app over the same database and index: another gunicorn worker, with its own cache."""
    other = create_app(app_config)
    yield other
    other.extensions["marketplace.search"].close()
    with other.app_context():
        db.engine.dispose()


def _statements(app, call) -> tuple[object, list[str]]:
    with recorded_statements(app) as seen:
        return call(), seen


def _listing(api: ApiClient, product_id: int, path: str = "/products?per_page=100") -> dict | None:
    body = api.get(path).get_json()
    return next((p for p in body["items"] if p["id"] == product_id), None)


def test_a_repeated_page_is_served_with_one_read_of_the_generation(app, api, shop):
    first, cold = _statements(app, lambda: api.get("/products?sort=price"))
    second, warm = _statements(app, lambda: api.get("/products?sort=price"))
    assert first.status_code == second.status_code == 200
    assert first.data == second.data  # the same bytes
    assert first.get_json()["total"] == 3
    assert len(cold) >= 2 and len(warm) == 1, warm
    assert "catalogue_generation" in warm[0]


def test_equivalent_queries_share_an_entry_and_different_ones_do_not(app, api, shop):
    api.get("/products?page=1&per_page=20")
    _, same = _statements(app, lambda: api.get("/products"))  # the same parsed arguments
    _, other = _statements(app, lambda: api.get("/products?sort=price"))
    assert len(same) == 1 and len(other) > 1


def test_a_sale_in_another_worker_shows_in_this_workers_stock(app, api, shop, other_worker):
    reader = ApiClient(other_worker.test_client())
    lychee = shop.lychee["id"]
    assert _listing(reader, lychee)["stock_quantity"] == 100
    hits = reader.get(f"/search?q={shop.lychee['name']}").get_json()["items"]
    assert hits[0]["stock_quantity"] == 100
    r = shop.buyer.api.post("/orders", order_body([(lychee, 7)]))
    assert r.status_code == 201, r.get_json()
    assert _listing(reader, lychee)["stock_quantity"] == 93
    hits = reader.get(f"/search?q={shop.lychee['name']}").get_json()["items"]
    assert hits[0]["stock_quantity"] == 93


def test_sold_out_leaves_the_in_stock_filter_of_every_worker(app, api, shop, other_worker):
    reader = ApiClient(other_worker.test_client())
    longan = shop.longan["id"]  # stock 20
    assert _listing(reader, longan, "/products?in_stock=true") is not None
    r = shop.buyer.api.post("/orders", order_body([(longan, 20)]))
    assert r.status_code == 201, r.get_json()
    assert _listing(reader, longan, "/products?in_stock=true") is None
    assert reader.get("/search?in_stock=true").get_json()["total"] == 2


def _reads(app, client: ApiClient, path: str) -> tuple[dict, int]:
    """One answer of ``app``'s worker and how many SQL statements it took (1: a cache hit)."""
    response, seen = _statements(app, lambda: client.get(path))
    assert response.status_code == 200
    return response.get_json(), len(seen)


def _shown(body: dict, product_id: int) -> dict | None:
    return next((p for p in body["items"] if p["id"] == product_id), None)


def test_a_sale_that_leaves_stock_keeps_list_answers_cached(app, api, shop, other_worker):
    reader = ApiClient(other_worker.test_client())
    lychee = shop.lychee["id"]
    paths = ["/products?per_page=100", "/products?in_stock=true", "/search?q=vải"]
    totals = {path: _reads(other_worker, reader, path)[0]["total"] for path in paths}  # stored
    for quantity, left in ((7, 93), (3, 90)):
        r = shop.buyer.api.post("/orders", order_body([(lychee, quantity)]))
        assert r.status_code == 201, r.get_json()
        page = reader.get(f"/products/{lychee}").get_json()
        assert page["stock_quantity"] == left
        for path in paths:
            body, statements = _reads(other_worker, reader, path)
            assert statements == 1, path  # still a hit: generation and stock in one read
            shown = _shown(body, lychee)
            assert shown["stock_quantity"] == left, path
            assert shown["updated_at"] == page["updated_at"], path
            assert body["total"] == totals[path]


def test_a_sell_out_and_a_restock_show_in_the_very_next_list_answer(app, api, shop, other_worker):
    reader = ApiClient(other_worker.test_client())
    longan = shop.longan["id"]  # stock 20
    _reads(other_worker, reader, "/products?in_stock=true")
    _reads(other_worker, reader, "/products")
    r = shop.buyer.api.post("/orders", order_body([(longan, 20)]))
    assert r.status_code == 201, r.get_json()
    body, statements = _reads(other_worker, reader, "/products?in_stock=true")
    assert statements > 1  # sold out: the in_stock filter changes, the answer is recomputed
    assert _shown(body, longan) is None and body["total"] == 2
    assert _shown(reader.get("/products").get_json(), longan)["stock_quantity"] == 0
    assert reader.get("/search?q=nhãn&in_stock=true").get_json()["total"] == 0
    hh = shop.world.other_household.api
    r = hh.post(f"/products/{longan}/stock-adjustments", {"delta": 5, "reason": "Thu hoạch thêm"})
    assert r.status_code == 200, r.get_json()
    body, _ = _reads(other_worker, reader, "/products?in_stock=true")
    assert _shown(body, longan)["stock_quantity"] == 5 and body["total"] == 3
    assert reader.get("/search?q=nhãn&in_stock=true").get_json()["total"] == 1


def test_a_stock_number_shown_is_always_the_current_one(app, api, shop, other_worker):
    reader = ApiClient(other_worker.test_client())
    rice, hh = shop.rice["id"], shop.world.household.api  # stock 50, minimum order 2
    steps = [
        lambda: shop.buyer.api.post("/orders", order_body([(rice, 2)])),
        lambda: hh.post(f"/products/{rice}/stock-adjustments", {"delta": -5, "reason": "Ẩm"}),
        lambda: hh.patch(f"/products/{rice}", {"stock_quantity": 40}),
        lambda: shop.buyer.api.post("/orders", order_body([(rice, 4)])),
    ]
    for step in steps:
        reader.get("/products?sort=price")  # stored before the change
        r = step()
        assert r.status_code in (200, 201), r.get_json()
        for client in (reader, api):  # the other worker and the one that made the change
            listed = _shown(client.get("/products?sort=price").get_json(), rice)
            page = client.get(f"/products/{rice}").get_json()
            assert listed["stock_quantity"] == page["stock_quantity"]
            assert listed["updated_at"] == page["updated_at"]
    assert page["stock_quantity"] == 36


@pytest.mark.parametrize(
    "change",
    ["price", "stock", "pause", "remove", "rename_category", "suspend", "certify"],
)
def test_every_change_a_buyer_could_see_reaches_the_other_worker(
    app, api, shop, other_worker, restore_categories, change
):
    reader = ApiClient(other_worker.test_client())
    w, lychee = shop.world, shop.lychee
    before = _listing(reader, lychee["id"])
    assert before is not None
    hh, ca = w.household.api, w.coop_admin.api
    if change == "price":
        assert hh.patch(f"/products/{lychee['id']}", {"unit_price_vnd": 52_000}).status_code == 200
        assert _listing(reader, lychee["id"])["unit_price_vnd"] == 52_000
    elif change == "stock":
        r = hh.post(f"/products/{lychee['id']}/stock-adjustments", {"delta": -4, "reason": "Hỏng"})
        assert r.status_code == 200, r.get_json()
        assert _listing(reader, lychee["id"])["stock_quantity"] == 96
    elif change == "pause":
        assert hh.post(f"/products/{lychee['id']}/pause").status_code == 200
        assert _listing(reader, lychee["id"]) is None
    elif change == "remove":
        r = ca.post(f"/products/{lychee['id']}/remove", {"reason": "Ảnh sai"})
        assert r.status_code == 200, r.get_json()
        assert _listing(reader, lychee["id"]) is None
    elif change == "rename_category":
        _rename_category(app, before["category"]["slug"], "Vải thiều loại đặc biệt")
        assert _listing(reader, lychee["id"])["category"]["name"] == "Vải thiều loại đặc biệt"
    elif change == "suspend":
        r = ca.post(f"/sellers/{w.household.seller['id']}/suspend", {"reason": "Kiểm tra"})
        assert r.status_code == 200, r.get_json()
        assert _listing(reader, lychee["id"]) is None
    elif change == "certify":
        seller_id = w.household.seller["id"]
        today = today_vn()
        cert = {
            "scheme": "vietgap",
            "certificate_no": "VietGAP-TT-26-01-30-0042",
            "issued_by": "Trung tâm Chứng nhận Phù hợp",
            "valid_from": (today - dt.timedelta(days=30)).isoformat(),
            "valid_until": (today + dt.timedelta(days=300)).isoformat(),
        }
        r = hh.post(f"/sellers/{seller_id}/certifications", cert)
        assert r.status_code == 201, r.get_json()
        assert _listing(reader, lychee["id"])["certifications"] == before["certifications"]
        r = ca.post(f"/sellers/{seller_id}/certifications/{r.get_json()['id']}/verify")
        assert r.status_code == 200, r.get_json()
        shown = _listing(reader, lychee["id"])["certifications"]
        assert [c["certificate_no"] for c in shown] == ["VietGAP-TT-26-01-30-0042"]


def _rename_category(app, slug: str, name: str) -> None:
    # There is no API to rename a category: the ORM, as a console session would.
    with app.app_context():
        category = db.session.query(Category).filter_by(slug=slug).one()
        category.name = name
        db.session.commit()


@pytest.fixture
def restore_categories(app):
    """The starting category tree outlives a test: put its names back."""
    with app.app_context():
        names = dict(db.session.query(Category.id, Category.name).all())
    yield
    with app.app_context():
        for category in db.session.query(Category).all():
            category.name = names.get(category.id, category.name)
        db.session.commit()


def test_a_failed_checkout_changes_nothing_and_keeps_the_cache(app, api, shop):
    api.get("/products")
    r = shop.buyer.api.post("/orders", order_body([(shop.longan["id"], 21)]))
    assert r.status_code == 409
    _, seen = _statements(app, lambda: api.get("/products"))
    assert len(seen) == 1  # still a hit: nothing committed, the generation did not move


def test_a_new_day_is_a_new_answer(app, api, shop, monkeypatch):
    api.get("/products")
    tomorrow = today_vn() + dt.timedelta(days=1)
    monkeypatch.setattr(response_cache, "today_vn", lambda: tomorrow)
    _, seen = _statements(app, lambda: api.get("/products"))
    assert len(seen) > 1  # in_season and valid certifications depend on the day


def test_the_cache_can_be_turned_off(app_config):
    app = create_app({**app_config, "RESPONSE_CACHE_ENTRIES": 0})
    try:
        client = ApiClient(app.test_client())
        assert app.extensions[response_cache.EXTENSION] is None
        _, first = _statements(app, lambda: client.get("/products"))
        _, second = _statements(app, lambda: client.get("/products"))
        assert len(first) == len(second) >= 2
        assert not any("catalogue_generation" in s for s in second)
    finally:
        app.extensions["marketplace.search"].close()
        with app.app_context():
            db.engine.dispose()


def test_the_cache_keeps_a_bounded_number_of_answers():
    cache = ResponseCache(entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, 1, key.encode())
    assert cache.get("a", 1) is None  # the least recently used went first
    assert cache.get("c", 1) == b"c"
    assert cache.get("c", 2) is None  # another generation
    cache.put("huge", 1, b"x" * (response_cache.MAX_BODY_BYTES + 1))
    assert cache.get("huge", 1) is None


def test_threads_that_miss_the_same_answer_compute_it_once():
    cache = ResponseCache(entries=8)
    calls = []
    started = threading.Barrier(8)

    def compute() -> bytes:
        calls.append(1)
        time.sleep(0.05)  # long enough for the other threads to arrive and wait
        return b"page"

    def request(_):
        started.wait()
        return cache.get_or_compute("products{}", 7, compute)

    with cf.ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(request, range(8)))
    assert bodies == [b"page"] * 8
    assert len(calls) == 1
