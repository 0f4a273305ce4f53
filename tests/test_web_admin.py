"""The platform admin's pages: the admin home, the category tree with its shelf lives and a form to
add a category, and each co-op's commission.

Arranged through the API (factories), acted through the pages with a session cookie and CSRF
tokens, and checked in what the API then reports as stored; one story runs in a real browser."""

from __future__ import annotations

import html
import re

import pytest

from marketplace.web.i18n import percent_of_bps
from tests.factories import PASSWORD, build_world
from tests.test_category_shelf_lives import (  # noqa: F401  (the autouse fixture)
    _keep_the_migrated_shelf_lives,
    category,
    lives,
)
from tests.test_web_accessibility import audit
from tests.web import browser, text


@pytest.fixture
def world(app, api):
    return build_world(app, api)


@pytest.fixture
def admin(app, world):
    """The platform admin's browser, logged in through the login page."""
    return browser(app, world.admin.user["email"])


def tree_size(api) -> int:
    nodes, count = list(api.get("/categories").get_json()["items"]), 0
    while nodes:
        count += 1
        nodes.extend(nodes.pop()["children"])
    return count


def commission_of(api, coop_id: int) -> int:
    return api.get(f"/coops/{coop_id}").get_json()["commission_bps"]


def row(page: str, anchor: str) -> str:
    """The HTML of one article (a category's or a co-op's row) of a page."""
    match = re.search(rf'<article id="{anchor}".*?</article>', page, re.S)
    assert match, anchor
    return match.group(0)


# ---- the admin home and who may see it ----------------------------------------------------


def test_the_admin_link_leads_the_platform_admin_to_payouts_categories_and_coops(app, admin, world):
    home = text(admin.get("/"))
    assert '<a href="/admin">Quản trị</a>' in home
    page = text(admin.get("/admin"))
    assert "<h1>Quản trị nền tảng</h1>" in page
    for path in ("/admin/payouts", "/admin/categories", "/admin/coops"):
        assert f'href="{path}"' in page
    english = text(admin.get("/admin?lang=en"))
    assert '<a href="/admin">Admin</a>' in english and "<h1>Platform admin</h1>" in english
    # Nobody else is shown the link.
    for person in (world.buyer, world.coop_admin, world.household):
        assert 'href="/admin"' not in text(browser(app, person.user["email"]).get("/"))
    assert 'href="/admin"' not in text(browser(app).get("/"))


def test_everyone_but_the_platform_admin_is_refused_every_admin_page(app, api, world):
    vai = category(api, "vai-thieu")
    ids = {"category_id": vai["id"], "coop_id": world.coop["id"], "batch_id": 1, "item_id": 1}
    forms = {
        "/admin/categories": {"name": "Danh mục lạ", "slug": "danh-muc-la"},
        "/admin/categories/<int:category_id>": {
            "shelf_life_hours": "1",
            "cold_shelf_life_hours": "",
        },
        "/admin/coops/<int:coop_id>/commission": {"commission_bps": "9999"},
    }
    pages = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert {r.rule for r in pages} >= {"/admin", *forms, "/admin/coops"}
    people = {
        "buyer": world.buyer.user["email"],
        "co-op admin": world.coop_admin.user["email"],
        "household": world.household.user["email"],
        "anonymous": None,
    }
    for who, login in people.items():
        b = browser(app, login)
        for rule in pages:
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                r = b.get(path) if method == "GET" else b.post(path, forms.get(rule.rule, {}))
                if login is None:
                    assert r.status_code == 302, (who, method, path)
                    assert r.headers["Location"].startswith("/login"), (who, method, path)
                else:
                    assert r.status_code == 403, (who, method, path, r.status_code)
                    assert "Bạn không có quyền vào đây" in text(r), (who, method, path)
    assert lives(api, "vai-thieu") == (72, 504)
    assert commission_of(api, world.coop["id"]) == 500
    assert tree_size(api) == 11


def test_admin_pages_are_labelled_and_titled_in_both_languages(admin):
    for path in ("/admin", "/admin/categories", "/admin/coops"):
        for lang in ("vi", "en"):
            r = admin.get(f"{path}?lang={lang}")
            assert r.status_code == 200, (path, r.status_code)
            page = audit(text(r))
            assert page.html_lang == lang and page.h1 == 1, path
            for control in page.controls:
                labelled = control.get("id") in page.labels_for or control["_in_label"]
                assert labelled, (path, control)


# ---- categories ---------------------------------------------------------------------------


def test_the_tree_shows_each_category_with_its_slug_and_shelf_lives_children_under_parents(
    api, admin
):
    page = text(admin.get("/admin/categories"))
    fruit, vai, veg = (category(api, slug)["id"] for slug in ("trai-cay", "vai-thieu", "rau-cu"))
    lychee = row(page, f"category-{vai}")
    assert "<strong>Vải thiều</strong> · <code>vai-thieu</code>" in lychee
    assert re.search(r'name="shelf_life_hours"[^>]*\s+value="72"', lychee)
    assert re.search(r'name="cold_shelf_life_hours"[^>]*\s+value="504"', lychee)
    # A parent, then its children in a nested list, then the next top-level category.
    at = {c: page.index(f'id="category-{c}"') for c in (fruit, vai, veg)}
    assert at[fruit] < page.index('<ul class="category-tree">', at[fruit]) < at[vai] < at[veg]


def test_admin_changes_a_categorys_shelf_lives_and_the_api_shows_them(api, admin):
    vai = category(api, "vai-thieu")
    r = admin.post(
        f"/admin/categories/{vai['id']}", {"shelf_life_hours": "48", "cold_shelf_life_hours": "600"}
    )
    assert r.status_code == 302
    assert r.headers["Location"] == f"/admin/categories#category-{vai['id']}"
    page = text(admin.get("/admin/categories"))
    assert "Đã lưu thời gian bảo quản của Vải thiều." in page
    assert re.search(r'value="600"', row(page, f"category-{vai['id']}"))
    assert lives(api, "vai-thieu") == (48, 600)
    assert lives(api, "nhan") == (72, 504)  # only that one


def test_a_cold_shelf_life_below_the_ambient_one_is_shown_and_nothing_changes(api, admin):
    vai = category(api, "vai-thieu")
    url = f"/admin/categories/{vai['id']}"
    r = admin.post(url, {"shelf_life_hours": "72", "cold_shelf_life_hours": "24"})
    assert r.status_code == 422
    lychee = row(text(r), f"category-{vai['id']}")
    # The message is next to the field, which keeps what was typed.
    assert "Không được ngắn hơn thời gian bảo quản ở nhiệt độ thường (72 giờ)" in lychee
    assert re.search(
        r'id="c\d+-cold_shelf_life_hours"[^>]*value="24"[^>]*aria-invalid="true"', lychee
    )
    assert lives(api, "vai-thieu") == (72, 504)
    english = admin.post(
        f"{url}?lang=en", {"shelf_life_hours": "48", "cold_shelf_life_hours": "24"}
    )
    assert english.status_code == 422
    assert "Must not be less than the shelf life at room temperature (48 h)" in text(english)
    assert lives(api, "vai-thieu") == (72, 504)


def test_wrong_shelf_lives_are_refused_by_the_apis_schema(api, admin):
    vai = category(api, "vai-thieu")
    r = admin.post(
        f"/admin/categories/{vai['id']}",
        {"shelf_life_hours": "ba ngày", "cold_shelf_life_hours": "0"},
    )
    assert r.status_code == 422
    lychee = row(text(r), f"category-{vai['id']}")
    assert "Hãy nhập một số nguyên." in lychee and "Phải từ 1 đến 87.600." in lychee
    assert 'value="ba ngày"' in lychee
    assert lives(api, "vai-thieu") == (72, 504)


def test_a_blank_shelf_life_means_not_known(api, admin):
    vai = category(api, "vai-thieu")
    r = admin.post(
        f"/admin/categories/{vai['id']}", {"shelf_life_hours": "  ", "cold_shelf_life_hours": "504"}
    )
    assert r.status_code == 302
    assert lives(api, "vai-thieu") == (None, 504)
    lychee = row(text(admin.get("/admin/categories")), f"category-{vai['id']}")
    assert re.search(r'name="shelf_life_hours"[^>]*\s+value=""', lychee)
    admin.post(
        f"/admin/categories/{vai['id']}", {"shelf_life_hours": "", "cold_shelf_life_hours": ""}
    )
    assert lives(api, "vai-thieu") == (None, None)


def test_admin_adds_a_child_category_under_a_parent_and_the_api_tree_has_it(api, admin):
    form = admin.get("/admin/categories")
    assert re.search(r'<option value="vai-thieu"\s*>— Vải thiều</option>', text(form))
    r = admin.post(
        "/admin/categories",
        {
            "name": "Vải u hồng",
            "slug": "",
            "parent_slug": "trai-cay",
            "shelf_life_hours": "48",
            "cold_shelf_life_hours": "",
        },
    )
    assert r.status_code == 302, text(r)[:2000]
    added = category(api, "vai-u-hong")  # the slug made from the name
    assert r.headers["Location"] == f"/admin/categories#category-{added['id']}"
    assert (added["name"], added["parent_slug"]) == ("Vải u hồng", "trai-cay")
    assert (added["shelf_life_hours"], added["cold_shelf_life_hours"]) == (48, None)
    assert "vai-u-hong" in [c["slug"] for c in category(api, "trai-cay")["children"]]
    page = text(admin.get("/admin/categories"))
    assert "Đã thêm danh mục Vải u hồng." in page
    assert "<strong>Vải u hồng</strong> · <code>vai-u-hong</code>" in page
    # A top-level one, with its own slug and both shelf lives.
    r = admin.post(
        "/admin/categories",
        {
            "name": "Nấm",
            "slug": "nam-tuoi",
            "shelf_life_hours": "72",
            "cold_shelf_life_hours": "240",
        },
    )
    assert r.status_code == 302
    mushrooms = category(api, "nam-tuoi")
    assert mushrooms["parent_slug"] is None
    assert (mushrooms["shelf_life_hours"], mushrooms["cold_shelf_life_hours"]) == (72, 240)


def test_a_taken_slug_shows_the_409_and_adds_nothing(api, admin):
    body = {"name": "Vải khác", "slug": "vai-thieu", "parent_slug": "trai-cay"}
    r = admin.post("/admin/categories", body)
    assert r.status_code == 422
    page = text(r)
    assert "Mã này đã được dùng." in page  # next to the slug
    assert 'id="f-slug"' in page and 'value="Vải khác"' in page  # the form is kept
    english = admin.post("/admin/categories?lang=en", body)
    assert english.status_code == 422
    assert "A category with slug 'vai-thieu' exists." in html.unescape(text(english))
    assert "Already taken." in text(english)
    assert tree_size(api) == 11


def test_a_wrong_new_category_is_shown_again_with_messages(api, admin):
    r = admin.post(
        "/admin/categories",
        {"name": " ", "slug": "Vải", "shelf_life_hours": "72", "cold_shelf_life_hours": "24"},
    )
    assert r.status_code == 422
    page = text(r)
    assert "Vui lòng điền mục này." in page  # the name
    assert "Chỉ dùng chữ thường không dấu, chữ số và dấu &#39;-&#39;." in page
    r = admin.post(
        "/admin/categories",
        {"name": "Dâu tây", "shelf_life_hours": "72", "cold_shelf_life_hours": "24"},
    )
    assert r.status_code == 422
    assert "Không được ngắn hơn thời gian bảo quản ở nhiệt độ thường (72 giờ)" in text(r)
    assert tree_size(api) == 11


def test_an_unknown_category_is_a_404_for_the_admin(admin):
    r = admin.post("/admin/categories/987654", {"shelf_life_hours": "1"})
    assert r.status_code == 404 and r.mimetype == "text/html"


# ---- co-ops' commissions ------------------------------------------------------------------


def test_commissions_read_as_percentages_in_each_language(app):
    bps = (0, 500, 750, 1, 10_000)
    for lang, shown in (
        ("vi", ["0 %", "5 %", "7,5 %", "0,01 %", "100 %"]),
        ("en", ["0 %", "5 %", "7.5 %", "0.01 %", "100 %"]),
    ):
        with app.test_request_context(f"/?lang={lang}"):
            assert [percent_of_bps(b) for b in bps] == shown


def test_admin_changes_a_coops_commission_and_the_api_says_so(api, admin, world):
    coop_id = world.coop["id"]
    page = text(admin.get("/admin/coops"))
    assert "5 %" in row(page, f"coop-{coop_id}")
    assert "điểm cơ bản (100 = 1 %" in page and "đặt từ bây giờ" in page
    r = admin.post(f"/admin/coops/{coop_id}/commission", {"commission_bps": "750"})
    assert r.status_code == 302 and r.headers["Location"] == f"/admin/coops#coop-{coop_id}"
    page = text(admin.get("/admin/coops"))
    assert '<strong class="commission" data-testid="commission">7,5 %</strong>' in row(
        page, f"coop-{coop_id}"
    )
    assert f"Hoa hồng của {world.coop['name']} nay là 7,5 %" in page
    assert "7.5 %" in row(text(admin.get("/admin/coops?lang=en")), f"coop-{coop_id}")
    assert commission_of(api, coop_id) == 750
    assert commission_of(api, world.other_coop["id"]) == 500


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("20000", "Phải từ 0 đến 10.000."),
        ("-1", "Phải từ 0 đến 10.000."),
        ("abc", "Hãy nhập một số nguyên."),
        ("7,5", "Hãy nhập một số nguyên."),
        ("", "Vui lòng điền mục này."),
    ],
)
def test_a_wrong_commission_is_refused_and_nothing_changes(api, admin, world, typed, message):
    coop_id = world.coop["id"]
    r = admin.post(f"/admin/coops/{coop_id}/commission", {"commission_bps": typed})
    assert r.status_code == 422
    mine = row(text(r), f"coop-{coop_id}")
    assert message in mine and 'aria-invalid="true"' in mine
    assert f'value="{typed}"' in mine  # what was typed is kept
    assert message not in row(text(r), f"coop-{world.other_coop['id']}")
    assert commission_of(api, coop_id) == 500


def test_an_unknown_coop_is_a_404_for_the_admin(admin):
    r = admin.post("/admin/coops/987654/commission", {"commission_bps": "100"})
    assert r.status_code == 404 and r.mimetype == "text/html"


# ---- in a real browser --------------------------------------------------------------------


@pytest.mark.browser
def test_the_platform_admin_corrects_a_shelf_life_and_a_commission_in_a_browser(
    api, world, visitors
):
    admin = visitors().login(world.admin.user["email"], PASSWORD)
    page = admin.page
    page.get_by_role("link", name="Quản trị", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Quản trị nền tảng"
    page.get_by_role("link", name="Danh mục", exact=True).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Danh mục"

    vai = category(api, "vai-thieu")
    lychee = page.locator(f"#category-{vai['id']}")
    assert lychee.get_by_label("Bảo quản lạnh (giờ)").input_value() == "504"
    lychee.get_by_label("Bảo quản lạnh (giờ)").fill("600")
    lychee.get_by_role("button", name="Lưu").click()
    page.wait_for_load_state()
    assert (
        page.get_by_role("status").first.inner_text() == "Đã lưu thời gian bảo quản của Vải thiều."
    )
    assert (
        page.locator(f"#category-{vai['id']}").get_by_label("Bảo quản lạnh (giờ)").input_value()
        == "600"
    )
    assert lives(api, "vai-thieu") == (72, 600)
    admin.screenshot("admin-categories")

    page.get_by_role("link", name="Các hợp tác xã", exact=True).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Các hợp tác xã"
    coop = page.locator(f"#coop-{world.coop['id']}")
    assert coop.get_by_test_id("commission").inner_text() == "5 %"
    coop.get_by_label(re.compile("Hoa hồng mới")).fill("750")
    coop.get_by_role("button", name="Lưu").click()
    page.wait_for_load_state()
    coop = page.locator(f"#coop-{world.coop['id']}")
    assert coop.get_by_test_id("commission").inner_text() == "7,5 %"
    assert commission_of(api, world.coop["id"]) == 750
    admin.screenshot("admin-coops")
