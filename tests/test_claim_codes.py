"""A claim code never takes over an account someone registered themselves: the co-op issues codes
only for accounts it created (assisted onboarding, the seed) that have no password yet, through the
API and the co-op console alike."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.auth.models import ClaimCode, User
from marketplace.auth.services import hash_secret
from marketplace.extensions import db
from tests.factories import PASSWORD, build_world, household_body, login
from tests.web import browser, text

NEW_PASSWORD = "mật-khẩu-kẻ-gian-2026"


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def claim_codes_of(app, user_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(ClaimCode).where(ClaimCode.user_id == user_id)).all())


def test_no_claim_code_for_a_household_that_registered_itself(app, api, world):
    household = world.household
    r = world.coop_admin.api.post(f"/sellers/{household.seller['id']}/claim-code")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    assert world.admin.api.post(f"/sellers/{household.seller['id']}/claim-code").status_code == 409
    assert claim_codes_of(app, household.id) == 0
    # The owner is still the only one who can log in, and stays logged in.
    assert api.get("/me", token=household.token).status_code == 200
    assert login(api, household.user["email"])


def test_the_coop_console_refuses_a_claim_code_for_a_self_registered_household(app, world):
    sid = world.household.seller["id"]
    page = browser(app, world.coop_admin.user["email"])
    profile = page.get(f"/coop/{world.coop['id']}/households/{sid}")
    assert profile.status_code == 200 and "/claim-code" not in text(profile)
    r = page.post(f"/coop/{world.coop['id']}/households/{sid}/claim-code")
    assert r.status_code == 409 and r.mimetype == "text/html"
    assert 'data-testid="claim-code"' not in text(r)
    assert claim_codes_of(app, world.household.id) == 0


def test_an_onboarded_household_gets_codes_until_it_sets_a_password(app, api, world):
    body = {**household_body(), "full_name": "Giàng A Páo"}
    out = world.coop_admin.api.post(f"/coops/{world.coop['id']}/households", body).get_json()
    sid = out["seller"]["id"]
    page = browser(app, world.coop_admin.user["email"])
    assert "/claim-code" in text(page.get(f"/coop/{world.coop['id']}/households/{sid}"))
    fresh = world.coop_admin.api.post(f"/sellers/{sid}/claim-code")
    assert fresh.status_code == 201
    r = api.post("/auth/claim", {"code": fresh.get_json()["claim_code"], "password": PASSWORD})
    assert r.status_code == 201
    assert world.coop_admin.api.post(f"/sellers/{sid}/claim-code").status_code == 409
    assert page.post(f"/coop/{world.coop['id']}/households/{sid}/claim-code").status_code == 409
    assert "/claim-code" not in text(page.get(f"/coop/{world.coop['id']}/households/{sid}"))


def test_a_code_left_over_for_a_self_registered_account_cannot_take_it_over(app, api, world):
    """A code issued before this rule existed (written straight into the database here)."""
    household = world.household
    with app.app_context():
        db.session.add(
            ClaimCode(
                user_id=household.id,
                code_hash=hash_secret("ABCDEFGHJK"),
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
            )
        )
        db.session.commit()
    r = api.post("/auth/claim", {"code": "ABCDE-FGHJK", "password": NEW_PASSWORD})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "invalid_credentials"
    page = browser(app).post("/claim", {"code": "ABCDE-FGHJK", "password": NEW_PASSWORD})
    assert page.status_code == 422
    assert api.get("/me", token=household.token).status_code == 200
    assert login(api, household.user["email"])
    with app.app_context():
        user = db.session.get(User, household.id)
        assert user.created_by_coop is False
