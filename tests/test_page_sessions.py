"""The pages' session cookie never carries an API token (only a page session id whose SHA-256 the
server keeps), is Secure in production, and logging out ends the session on the server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.auth.models import AuthToken
from marketplace.extensions import db
from tests.factories import build_world
from tests.web import Browser, browser, text


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def cookie_payload(app, page: Browser) -> dict:
    cookie = page.client.get_cookie("session")
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings_in(v)]
    return []


def test_the_session_cookie_gives_no_api_token(app, api, world):
    page = browser(app, world.buyer.user["email"])
    assert world.buyer.user["full_name"] in text(page.get("/"))
    secrets_in_cookie = strings_in(cookie_payload(app, page))
    assert secrets_in_cookie  # the session id is there …
    for value in secrets_in_cookie:  # … but nothing in it opens the API
        assert api.get("/me", token=value).status_code == 401
    with app.app_context():
        kinds = db.session.scalars(
            select(AuthToken.kind).where(AuthToken.user_id == world.buyer.id)
        ).all()
    assert sorted(kinds) == ["api", "page"]  # the factory's API login and this page login


def test_a_bearer_token_put_into_a_forged_session_opens_no_page(app, world):
    page = Browser(app.test_client())
    with page.client.session_transaction() as session:
        session["sid"] = world.buyer.token
        session["token"] = world.buyer.token
    r = page.get("/orders")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_logging_out_ends_the_session_even_for_a_copied_cookie(app, world):
    page = browser(app, world.buyer.user["email"])
    assert page.get("/orders").status_code == 200
    copied = page.client.get_cookie("session").value
    assert page.post("/logout").status_code == 302
    thief = Browser(app.test_client())
    thief.client.set_cookie("session", copied)
    r = thief.get("/orders")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    with app.app_context():
        page_sessions = db.session.scalars(
            select(AuthToken).where(AuthToken.user_id == world.buyer.id, AuthToken.kind == "page")
        ).all()
        assert [t.revoked_at is not None for t in page_sessions] == [True]


@pytest.mark.parametrize("env, secure", [("production", True), ("testing", False)])
def test_the_session_cookie_is_secure_in_production(app_config, world, env, secure):
    app = create_app({**app_config, "MARKETPLACE_ENV": env})
    page = Browser(app.test_client())
    r = page.post("/login", {"login": world.buyer.user["email"], "password": "mật-khẩu-vải-2026"})
    assert r.status_code == 302
    set_cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert ("Secure" in set_cookie) is secure
