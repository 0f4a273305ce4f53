"""The search page: the search service's results, facets and suggestion, in both languages."""

from __future__ import annotations

import pytest

from tests.factories import build_world, new_product
from tests.web import browser, text


@pytest.fixture
def world(app, api):
    world = build_world(app, api)
    new_product(world.household, world.coop_admin)
    new_product(
        world.household,
        world.coop_admin,
        name="Gạo ST25 Sóc Trăng",
        description="Gạo thơm, dẻo.",
        category_slug="gao",
    )
    new_product(world.household, name="Vải thiều chờ duyệt")  # not public: never found
    return world


def test_search_ignores_accents_and_shows_category_and_province_facets(app, world):
    results = text(browser(app).get("/search?q=vai+thieu"))
    assert "Vải thiều Thanh Hà loại 1" in results and "Gạo ST25 Sóc Trăng" not in results
    assert "Vải thiều chờ duyệt" not in results
    assert "Vải thiều (1)" in results and "Thành phố Hải Phòng (1)" in results
    assert "1 sản phẩm" in results


def test_a_misspelt_search_offers_the_suggestion_as_a_link(app, world):
    page = text(browser(app).get("/search?q=vaii+thieuu"))
    assert 'data-testid="suggestion"' in page and "Có phải bạn muốn tìm" in page


def test_synonyms_work_and_the_page_speaks_english(app, world):
    page = text(browser(app).get("/search?q=rice&lang=en"))
    assert "Gạo ST25 Sóc Trăng" in page and "Results for" in page


def test_an_empty_search_browses_and_a_facet_link_filters(app, world):
    everything = text(browser(app).get("/search"))
    assert "Vải thiều Thanh Hà loại 1" in everything and "Gạo ST25 Sóc Trăng" in everything
    assert 'href="/search?q=&amp;category=gao"' in everything
    only_rice = text(browser(app).get("/search?q=&category=gao"))
    assert "Gạo ST25 Sóc Trăng" in only_rice and "Vải thiều Thanh Hà loại 1" not in only_rice


def test_wrong_search_arguments_are_an_html_400(app, world):
    for query in ("per_page=1000", "province_code=abc", "q=" + "x" * 201):
        r = browser(app).get(f"/search?{query}")
        assert r.status_code == 400 and r.mimetype == "text/html", query


def test_the_home_page_search_box_leads_to_the_search_page(app, world):
    home = text(browser(app).get("/"))
    assert 'action="/search"' in home and 'name="q"' in home
