import concurrent.futures as cf
import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import AuthToken, User
from marketplace.extensions import db
from tests.conftest import pg_only
from tests.factories import PASSWORD, login, new_user


def test_register_by_phone_then_log_in_with_every_common_form(api):
    r = api.post(
        "/auth/register",
        {"phone": "0912 345 678", "password": PASSWORD, "full_name": "Nguyễn Thị Hương"},
    )
    assert r.status_code == 201, r.get_json()
    user = r.get_json()
    assert user["phone"] == "+84912345678"
    assert user["full_name"] == "Nguyễn Thị Hương"
    assert user["roles"] == ["buyer"] and user["coop_ids"] == [] and user["seller_id"] is None
    for form in ("0912345678", "+84 912 345 678", "84912345678", "(091) 234-5678"):
        token = login(api, form)
        me = api.get("/me", token=token)
        assert me.status_code == 200 and me.get_json()["id"] == user["id"]


def test_same_phone_in_another_form_is_the_same_person(api):
    body = {"phone": "0912345678", "password": PASSWORD, "full_name": "A"}
    assert api.post("/auth/register", body).status_code == 201
    r = api.post("/auth/register", {**body, "phone": "+84 912 345 678"})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "conflict"


def test_register_by_email_is_case_insensitive(api):
    r = api.post(
        "/auth/register", {"email": "Mai@Example.VN", "password": PASSWORD, "full_name": "Mai"}
    )
    assert r.status_code == 201 and r.get_json()["email"] == "mai@example.vn"
    assert login(api, "MAI@example.vn")
    r = api.post(
        "/auth/register", {"email": "mai@example.vn", "password": PASSWORD, "full_name": "X"}
    )
    assert r.status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD, "full_name": "A"}, "email"),
        ({"phone": "12345", "password": PASSWORD, "full_name": "A"}, "phone"),
        ({"phone": "+1 650 253 0000", "password": PASSWORD, "full_name": "A"}, "phone"),
        ({"email": "not-an-email", "password": PASSWORD, "full_name": "A"}, "email"),
        ({"email": "x" * 250 + "@a.vn", "password": PASSWORD, "full_name": "A"}, "email"),
        ({"phone": "0912 345 678 ext 12", "password": PASSWORD, "full_name": "A"}, "phone"),
        ({"email": "a@b.vn", "password": "short", "full_name": "A"}, "password"),
        ({"email": "a@b.vn", "password": PASSWORD, "full_name": "   "}, "full_name"),
        ({"email": "a@b.vn", "password": PASSWORD, "full_name": "x" * 201}, "full_name"),
        ({"email": "a@b.vn", "password": PASSWORD, "full_name": 42}, "full_name"),
        ({"email": "a@b.vn", "password": PASSWORD}, "full_name"),
        ({"email": "a@b.vn", "password": PASSWORD, "full_name": "A", "role": "admin"}, "role"),
    ],
)
def test_bad_registrations_are_validation_errors(api, app, body, field):
    r = api.post("/auth/register", body)
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_wrong_password_and_unknown_login_look_the_same(api):
    new_user(api, email="lan@example.vn")
    for login_ in ("lan@example.vn", "nobody@example.vn", "0987654321"):
        r = api.post("/auth/tokens", {"login": login_, "password": "wrong-password-123"})
        assert r.status_code == 401
        assert r.get_json()["error"]["code"] == "invalid_credentials"


def test_tokens_are_stored_hashed_and_can_be_revoked(api, app):
    actor = new_user(api)
    with app.app_context():
        stored = db.session.scalars(select(AuthToken.token_hash)).all()
    assert actor.token not in stored and len(stored) == 1 and len(stored[0]) == 64
    assert actor.api.delete("/auth/tokens/current").status_code == 204
    r = actor.api.get("/me")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"


def test_expired_token_is_refused(api, app):
    actor = new_user(api)
    with app.app_context():
        token = db.session.scalar(select(AuthToken))
        token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    assert actor.api.get("/me").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer ", "bearer " + "x" * 500])
def test_bad_authorization_headers_are_401(api, header):
    r = api.get("/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"


def test_login_is_rate_limited_per_login(api):
    new_user(api, email="rate@example.vn")  # logs in once: the first of ten attempts
    codes = [
        api.post(
            "/auth/tokens", {"login": "rate@example.vn", "password": "wrong-password-1"}
        ).status_code
        for _ in range(9)
    ]
    assert codes == [401] * 9
    r = api.post("/auth/tokens", {"login": "RATE@example.vn", "password": PASSWORD})
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "rate_limited"
    # Another login from the same address is not blocked by this one's limit.
    new_user(api, email="other@example.vn")


def test_create_admin_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "--email", "boss@example.vn", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "boss@example.vn" in result.output
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/tokens", json={"login": "boss@example.vn", "password": PASSWORD}
    )
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert "admin" in me.get_json()["roles"]


def test_create_admin_cli_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", "boss@example.vn", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code != 0
    assert "10 characters" in result.output


@pg_only()
def test_twelve_people_registering_one_phone_at_once_make_one_account(app):
    """The unique constraint decides a race that the "already registered?" check cannot: 409, not 500."""

    def register(i):
        client = app.test_client()
        body = {"phone": "+84 977 000 111", "password": PASSWORD, "full_name": f"Người {i}"}
        return client.post("/api/v1/auth/register", json=body).status_code

    with cf.ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(register, range(12)))
    assert statuses.count(201) == 1
    assert set(statuses) == {201, 409}
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(User.phone == "+84977000111")) == 1
