"""One login limit per account: 10 attempts a minute whatever the entry point (the API, the login
page) and whichever login (email or phone) was used, counted in the database so that every worker
sees the same count; the lock-out ends with its window."""

from __future__ import annotations

import time

import pytest

from marketplace import create_app
from tests.factories import PASSWORD, new_user
from tests.web import Browser, browser, text

WRONG = "sai-mật-khẩu-000"


@pytest.fixture
def app_config(app_config):
    # An hour-long window: a slow machine must not see a window end in the middle of a test
    # (the test of the lock-out's end sets its own short window).
    return {**app_config, "LOGIN_WINDOW_SECONDS": 3600}


@pytest.fixture
def account(api):
    # The factory logs in once through the API: the first attempt of the window.
    return new_user(api, "Lý Thị Thu", email="thu@example.vn", phone="0912 000 111")


def api_attempt(api, login: str, password: str = WRONG):
    return api.post("/auth/tokens", {"login": login, "password": password})


def page_attempt(page: Browser, login: str, password: str = WRONG):
    return page.post("/login", {"login": login, "password": password})


def test_api_page_email_and_phone_share_one_limit(app, api, account):
    page = Browser(app.test_client())
    attempts = [
        lambda: api_attempt(api, "thu@example.vn"),
        lambda: api_attempt(api, "+84912000111"),
        lambda: page_attempt(page, "THU@example.vn"),
        lambda: page_attempt(page, "0912.000.111"),
    ]
    for n in range(9):  # attempts 2 … 10 of the window
        r = attempts[n % 4]()
        assert r.status_code in (401, 422), (n, r.status_code)
    # The 11th attempt is refused whatever the entry point, even with the right password.
    r = api_attempt(api, "0912000111", PASSWORD)
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"
    r = page_attempt(page, "thu@example.vn", PASSWORD)
    assert r.status_code == 429 and r.mimetype == "text/html"
    assert page.get("/orders").status_code == 302  # not logged in
    # Another account is not affected.
    other = new_user(api, "Hoàng Văn Nam", email="nam@example.vn")
    assert browser(app, other.user["email"]).get("/orders").status_code == 200


def test_workers_count_together(app, api, app_config, account):
    """Two app instances (two gunicorn workers, each with its own memory:// limiter storage)."""
    workers = [create_app(app_config) for _ in range(2)]
    clients = [w.test_client() for w in workers]
    for n in range(9):
        r = clients[n % 2].post(
            "/api/v1/auth/tokens", json={"login": "thu@example.vn", "password": WRONG}
        )
        assert r.status_code == 401
    for client in clients:
        r = client.post(
            "/api/v1/auth/tokens", json={"login": "thu@example.vn", "password": PASSWORD}
        )
        assert r.status_code == 429


def test_unknown_logins_are_limited_too(api):
    for _ in range(10):
        assert api_attempt(api, "khong-ai@example.vn").status_code == 401
    assert api_attempt(api, "khong-ai@example.vn").status_code == 429


def test_the_lock_out_ends_with_its_window(app, api):
    window = 5
    app.config["LOGIN_WINDOW_SECONDS"] = window
    new_user(api, "Lý Thị Thu", email="thu@example.vn")
    while True:  # start at the beginning of a window, so that ten attempts fit in it
        if time.time() % window < 0.2:
            break
        time.sleep(0.05)
    for _ in range(10):
        assert api_attempt(api, "thu@example.vn").status_code == 401
    assert api_attempt(api, "thu@example.vn", PASSWORD).status_code == 429
    time.sleep(window - time.time() % window + 0.05)
    r = api_attempt(api, "thu@example.vn", PASSWORD)
    assert r.status_code == 201, r.get_json()
    page = browser(app, "thu@example.vn")
    assert "Lý Thị Thu" in text(page.get("/"))
