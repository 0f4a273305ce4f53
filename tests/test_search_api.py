"""GET /search through the API, and the index following every change made through the API:
a change is findable (or gone) as soon as the request that made it has returned."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from tests.factories import build_world, new_product
from tests.search_world import backend_name  # noqa: F401 (fixture)


@pytest.fixture
def app_config(app_config, backend_name):  # noqa: F811 (the imported fixture)
    return {**app_config, "SEARCH_BACKEND": backend_name}


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def found(api, q, **params) -> list[int]:
    response = api.get("/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_buyer_searches_without_accents_and_gets_products_with_score_and_facets(api, world):
    vai = new_product(world.household, world.coop_admin, name="Vải thiều Thanh Hà loại 1")
    new_product(
        world.other_household,
        world.coop_admin,
        name="Nhãn lồng",
        description="Nhãn lồng Hưng Yên",
        category_slug="nhan",
    )
    response = api.get("/search?q=vai%20thieu&per_page=5")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 5
    item = body["items"][0]
    assert item["id"] == vai["id"] and item["name"] == "Vải thiều Thanh Hà loại 1"
    assert item["score"] > 0
    assert item["seller"]["display_name"] == world.household.seller["display_name"]
    assert item["category"] == {"slug": "vai-thieu", "name": "Vải thiều"}
    assert body["facets"]["category"] == [{"value": "vai-thieu", "label": "Vải thiều", "count": 1}]
    assert body["facets"]["province"] == [{"value": 31, "label": "Thành phố Hải Phòng", "count": 1}]
    assert body["suggestion"] is None


def test_approval_makes_a_listing_findable_at_once(api, world):
    pending = new_product(world.household, name="Bưởi Diễn")
    assert found(api, "buoi") == []
    world.coop_admin.api.post(f"/products/{pending['id']}/approve")
    assert found(api, "buoi") == [pending["id"]]


def test_pause_remove_and_archive_take_a_listing_out_at_once(api, world):
    paused = new_product(world.household, world.coop_admin, name="Xoài cát Hòa Lộc")
    removed = new_product(world.household, world.coop_admin, name="Xoài tượng")
    archived = new_product(world.household, world.coop_admin, name="Xoài keo")
    assert sorted(found(api, "xoai")) == sorted([paused["id"], removed["id"], archived["id"]])

    assert world.household.api.post(f"/products/{paused['id']}/pause").status_code == 200
    assert paused["id"] not in found(api, "xoai")
    assert (
        world.coop_admin.api.post(
            f"/products/{removed['id']}/remove", {"reason": "Sai"}
        ).status_code
        == 200
    )
    assert removed["id"] not in found(api, "xoai")
    assert world.household.api.delete(f"/products/{archived['id']}").status_code == 204
    assert found(api, "xoai") == []

    assert world.household.api.post(f"/products/{paused['id']}/resume").status_code == 200
    assert found(api, "xoai") == [paused["id"]]


def test_suspending_a_household_hides_all_its_listings_and_reinstating_brings_them_back(api, world):
    ids = sorted(
        new_product(world.household, world.coop_admin, name=f"Mật ong hoa nhãn {i}")["id"]
        for i in range(3)
    )
    other = new_product(world.other_household, world.coop_admin, name="Mật ong rừng")
    seller_id = world.household.seller["id"]
    response = world.coop_admin.api.post(f"/sellers/{seller_id}/suspend", {"reason": "Kiểm tra"})
    assert response.status_code == 200
    assert found(api, "mat ong") == [other["id"]]
    assert world.coop_admin.api.post(f"/sellers/{seller_id}/reinstate").status_code == 200
    assert sorted(found(api, "mat ong")) == sorted([*ids, other["id"]])


def test_editing_a_name_sends_it_to_review_and_the_new_name_is_found_after_approval(api, world):
    product = new_product(world.household, world.coop_admin, name="Cam Vinh")
    response = world.household.api.patch(f"/products/{product['id']}", {"name": "Cam sành"})
    assert response.get_json()["status"] == "pending_review"
    assert found(api, "cam") == []
    world.coop_admin.api.post(f"/products/{product['id']}/approve")
    assert found(api, "cam sanh") == [product["id"]]
    assert found(api, "vinh") == []


def test_price_and_stock_changes_are_seen_by_the_filters_at_once(api, world):
    product = new_product(world.household, world.coop_admin, name="Gạo ST25", category_slug="gao")
    pid = product["id"]
    assert found(api, "gao", max_price=40_000) == []
    world.household.api.patch(f"/products/{pid}", {"unit_price_vnd": 35_000})
    assert found(api, "gao", max_price=40_000) == [pid]
    response = world.household.api.post(
        f"/products/{pid}/stock-adjustments", {"delta": -100, "reason": "Bán hết"}
    )
    assert response.status_code == 200 and response.get_json()["stock_quantity"] == 0
    assert found(api, "gao", in_stock="true") == []
    assert found(api, "gao", in_stock="false") == [pid]


def test_renaming_a_household_is_searchable_at_once(api, world):
    product = new_product(world.household, world.coop_admin, name="Chè Thái Nguyên")
    seller_id = world.household.seller["id"]
    response = world.household.api.patch(
        f"/sellers/{seller_id}", {"display_name": "Đồi chè Tân Cương"}
    )
    assert response.status_code == 200
    assert found(api, "tan cuong") == [product["id"]]


def test_empty_query_browses_the_catalogue_newest_first(api, world):
    first = new_product(world.household, world.coop_admin, name="Cà phê Robusta")
    second = new_product(world.household, world.coop_admin, name="Hạt điều rang")
    new_product(world.household, name="Chưa duyệt")
    body = api.get("/search").get_json()
    assert [i["id"] for i in body["items"]] == [second["id"], first["id"]]
    assert body["total"] == 2 and body["suggestion"] is None
    assert api.get("/search?q=").get_json()["total"] == 2


def test_no_match_suggests_a_close_spelling(api, world):
    new_product(world.household, world.coop_admin, name="Vải thiều Thanh Hà")
    body = api.get("/search?q=vai%20thieuu").get_json()
    assert body["items"] == [] and body["total"] == 0
    assert body["suggestion"] == "vai thieu"
    assert found(api, body["suggestion"]) != []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 500}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "abc"}, "page"),
        ({"min_price": "rẻ"}, "min_price"),
        ({"max_price": -1}, "max_price"),
        ({"province_code": "1.5"}, "province_code"),
        ({"seller_id": 0}, "seller_id"),
        ({"in_season": "maybe"}, "in_season"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "vải" * 201}, "q"),
    ],
)
def test_invalid_arguments_are_422_like_the_catalogue(api, params, field):
    response = api.get("/search", query_string=params)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"]["code"] == "validation_error"
    assert field in str(body["error"]["details"])


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        ":",
        "( )",
        "OR",
        "AND",
        "NOT",
        "%",
        "'",
        "vải* OR (thiều",
        "a:b",
        "\x00",
        "vải\x00thiều",
        "🍑",
        "vải 🍑 thiều",
        "' OR 1=1 --",
        "&|!<->:*",
        "%00",
        "\\'",
        "x" * 200,
    ],
)
def test_nasty_queries_never_fail(api, world, q):
    new_product(world.household, world.coop_admin, name="Vải thiều (loại 1) OR AND NOT")
    response = api.get("/search", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == len(body["items"])


def test_unknown_category_finds_nothing_rather_than_failing(api, world):
    new_product(world.household, world.coop_admin, name="Vải thiều")
    body = api.get("/search?q=vai&category=khong-co-that").get_json()
    assert body["items"] == [] and body["total"] == 0


def test_stock_back_from_zero_is_in_stock_again_and_partial_moves_keep_the_index_in_step(
    app, api, world
):
    pid = new_product(world.household, world.coop_admin, name="Thanh long ruột đỏ")["id"]

    def adjust(delta: int) -> None:
        response = world.household.api.post(
            f"/products/{pid}/stock-adjustments", {"delta": delta, "reason": "Bán hoặc hái"}
        )
        assert response.status_code == 200, response.get_json()

    adjust(-30)
    assert found(api, "thanh long", in_stock="true") == [pid]
    adjust(-70)
    assert found(api, "thanh long", in_stock="true") == []
    adjust(5)
    assert found(api, "thanh long", in_stock="true") == [pid]
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output


def test_a_search_issues_the_same_statements_for_a_page_of_1_or_100(
    app,
    api,
    world,
    backend_name,  # noqa: F811 (the imported fixture)
):
    for i in range(12):
        new_product(world.household, world.coop_admin, name=f"Vải thiều số {i}")
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    seen = {}
    try:
        for per_page in (1, 100):
            statements.clear()
            body = api.get(f"/search?q=vai%20thieu&per_page={per_page}").get_json()
            assert body["total"] == 12 and len(body["items"]) == min(per_page, 12)
            assert body["facets"]["category"][0]["count"] == 12
            seen[per_page] = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen[1]) == len(seen[100]), seen
    if backend_name == "postgres":
        # the page, the total and both facets come from one read of the matches
        assert sum("@@" in statement for statement in seen[100]) == 1, seen[100]
