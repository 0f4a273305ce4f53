"""Hostile input gets a 4xx in the error shape, never a 500: integers with thousands of digits or
beyond 64 bits, lone surrogates and NULs, non-ASCII digits where a number or an id is expected,
CR/LF in `next=`, over-long URLs; and pages answer 503, like the API, when the database is gone."""

from __future__ import annotations

import json

import pytest

from marketplace import create_app
from tests.factories import build_world, new_product
from tests.web import Browser, browser, text

HUGE = "9" * 5000  # beyond Python's 4,300-digit int-string limit


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def raw(api, method: str, path: str, body: str, token: str | None = None):
    return api.call(method, path, token=token, data=body, content_type="application/json")


def assert_422(r, field: str):
    assert r.status_code == 422, (r.status_code, r.get_data(as_text=True)[:300])
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"], error


@pytest.mark.parametrize(
    "number",
    [HUGE, "-" + HUGE, str(2**63), str(-(2**63) - 1), "9" * 25],
    ids=["5000 digits", "minus 5000 digits", "2**63", "-2**63-1", "25 digits"],
)
def test_integers_beyond_64_bits_are_422(api, world, number):
    product = new_product(world.household, world.coop_admin)
    r = raw(
        api,
        "PATCH",
        f"/products/{product['id']}",
        f'{{"stock_quantity": {number}}}',
        world.household.token,
    )
    assert_422(r, "stock_quantity")
    r = raw(
        api,
        "POST",
        f"/products/{product['id']}/stock-adjustments",
        f'{{"delta": {number}, "reason": "Kiểm kho"}}',
        world.household.token,
    )
    assert_422(r, "delta")
    # In a field that takes no integer, and in a field nobody asked for, it is 422 as well.
    r = raw(api, "POST", "/auth/tokens", f'{{"login": {number}, "password": "x"}}')
    assert_422(r, "login")
    assert world.household.api.get(f"/products/{product['id']}").get_json()["stock_quantity"] == (
        100
    )


@pytest.mark.parametrize("bad", ["\ud800", "Vải\udfffthiều", "a\x00b"])
def test_text_that_cannot_be_stored_is_422(api, world, bad):
    product = new_product(world.household, world.coop_admin)
    body = json.dumps({"name": bad})  # ensure_ascii: the surrogate travels as \\ud800
    r = raw(api, "PATCH", f"/products/{product['id']}", body, world.household.token)
    assert_422(r, "name")
    body = json.dumps({"login": bad, "password": "mật-khẩu-vải-2026"})
    assert_422(raw(api, "POST", "/auth/tokens", body), "login")
    body = json.dumps({"email": "a@b.vn", "password": bad * 12, "full_name": "Tên"})
    assert_422(raw(api, "POST", "/auth/register", body), "password")
    r = raw(api, "POST", "/auth/register", json.dumps({bad: 1}))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert api.get(f"/products/{product['id']}").get_json()["name"] == product["name"]


def test_ids_in_paths_are_ascii_digits_only(api, app, world):
    product = new_product(world.household, world.coop_admin)
    assert api.get(f"/products/{product['id']}").status_code == 200
    arabic = "".join(chr(0x0660 + int(d)) for d in str(product["id"]))  # "٣" for 3
    for path in (f"/products/{arabic}", "/products/³", "/products/" + "9" * 40):
        r = api.get(path)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", path
    page = browser(app)
    assert page.get(f"/products/{product['id']}").status_code == 200
    r = page.get(f"/products/{arabic}")
    assert r.status_code == 404 and r.mimetype == "text/html"


@pytest.mark.parametrize("value", ["²", "٣", "1²", "-٣", "9" * 30, "1e3", "0x1f"])
def test_query_integers_are_ascii_digits(api, app, value):
    for query in (f"page={value}", f"per_page={value}", f"min_price={value}"):
        r = api.get(f"/products?{query}")
        assert r.status_code == 422, (query, r.status_code)
        assert r.get_json()["error"]["code"] == "validation_error"
    r = api.get(f"/search?q=vai&province_code={value}")
    assert r.status_code == 422
    page = browser(app)
    r = page.get(f"/places/wards?province_code={value}")
    assert r.status_code == 200 and "<option" not in text(r).replace('<option value="">', "")
    assert page.get(f"/products?page={value}").status_code < 500
    assert page.get(f"/products?province_code={value}").status_code < 500


def test_the_ward_picker_still_answers_for_a_real_province(app):
    r = browser(app).get("/places/wards?province_code=31")
    assert r.status_code == 200 and "Thanh Hà" in text(r)


@pytest.mark.parametrize(
    "target",
    [
        "/orders\r\nSet-Cookie: stolen=1",
        "/orders\nLocation: https://evil.example",
        "/\t/evil.example",
        "/%0d%0aX: 1",
    ],
)
def test_next_after_login_refuses_control_characters(app, world, target):
    page = Browser(app.test_client())
    r = page.post(
        "/login",
        {"login": world.buyer.user["email"], "password": "mật-khẩu-vải-2026", "next": target},
    )
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "\r" not in location and "\n" not in location and "evil" not in location
    if "%0d" not in target:
        assert location == "/"  # the buyer's home, not the target
    assert "stolen" not in r.headers.get("Set-Cookie", "")


def test_an_overlong_url_is_414_in_the_error_shape(api, app):
    r = api.get("/products?q=" + "a" * 5000)
    assert r.status_code == 414
    assert r.get_json()["error"] == {
        "code": "uri_too_long",
        "message": "The address is longer than 4 KiB.",
        "details": None,
    }
    r = api.get("/nothing-here/" + "a" * 5000)
    assert r.status_code == 414 and r.get_json()["error"]["code"] == "uri_too_long"
    page = browser(app).get("/products?q=" + "a" * 5000)
    assert page.status_code == 414 and page.mimetype == "text/html"
    assert api.get("/products?q=" + "a" * 3000).status_code == 200


def test_gunicorn_lets_long_request_lines_reach_the_app():
    from pathlib import Path

    settings: dict = {}
    exec(Path(__file__).resolve().parent.parent.joinpath("gunicorn.conf.py").read_text(), settings)
    assert settings["limit_request_line"] == 8190  # gunicorn's maximum (default 4094)


def test_pages_answer_503_like_the_api_when_the_database_is_gone(app_config):
    broken = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    )
    client = broken.test_client()
    api = client.get("/api/v1/products")
    assert api.status_code == 503
    for path in ("/", "/products", "/login"):
        r = client.get(path, headers={"Accept": "text/html"})
        if path == "/login":  # a form that needs no database
            assert r.status_code == 200
            continue
        assert r.status_code == 503, (path, r.status_code)
        assert r.mimetype == "text/html" and "503" in text(r)
