import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import ClaimCode, User
from marketplace.clock import today_vn
from marketplace.extensions import db
from marketplace.sellers.models import Seller
from marketplace.sellers.services import TRANSITIONS
from tests.factories import PASSWORD, build_world, household_body, login, new_household, new_user


@pytest.fixture
def world(app, api):
    return build_world(app, api)


def test_household_onboards_itself_and_is_approved(api, world):
    me = new_user(api, "Nguyễn Văn Tư")
    r = me.api.post("/sellers", household_body(world.coop["id"], phone="+84 912 000 111"))
    assert r.status_code == 201, r.get_json()
    seller = r.get_json()
    assert seller["status"] == "draft" and seller["phone"] == "+84912000111"
    assert seller["coop"] == {"id": world.coop["id"], "name": world.coop["name"]}
    assert me.api.post("/sellers", household_body(world.coop["id"])).status_code == 409
    assert api.get(f"/sellers/{seller['id']}").status_code == 404  # not public before approval
    queue = world.coop_admin.api.get(
        f"/coops/{world.coop['id']}/sellers?status=submitted"
    ).get_json()
    assert queue["total"] == 0
    assert me.api.post(f"/sellers/{seller['id']}/submit").get_json()["status"] == "submitted"
    queue = world.coop_admin.api.get(
        f"/coops/{world.coop['id']}/sellers?status=submitted"
    ).get_json()
    assert [s["id"] for s in queue["items"]] == [seller["id"]]
    r = world.coop_admin.api.post(f"/sellers/{seller['id']}/approve")
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    public = api.get(f"/sellers/{seller['id']}").get_json()
    assert "phone" not in public and "address_line" not in public
    assert public["display_name"] == seller["display_name"]
    assert me.api.get(f"/sellers/{seller['id']}").get_json()["phone"] == "+84912000111"
    assert "seller" in me.api.get("/me").get_json()["roles"]
    audit = world.coop_admin.api.get(f"/coops/{world.coop['id']}/audit").get_json()["items"][0]
    assert audit["action"] == "seller.approve" and audit["target_id"] == seller["id"]
    assert audit["actor"] == {"id": world.coop_admin.id, "full_name": "Phạm Văn Hùng"}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"province_code": 99}, "province_code"),
        ({"ward_code": 123456789}, "ward_code"),
        ({"province_code": 33}, "ward_code"),  # Xã Thanh Hà is not in Hưng Yên
        ({"coop_id": 99999}, "coop_id"),
        ({"coop_id": "1"}, "coop_id"),
        ({"farm_area_m2": -5}, "farm_area_m2"),
        ({"farm_area_m2": 1.5}, "farm_area_m2"),
        ({"display_name": "x" * 201}, "display_name"),
        ({"description": "x" * 5001}, "description"),
        ({"address_line": None}, "address_line"),
    ],
)
def test_bad_seller_profiles_are_422_and_not_stored(api, app, world, overrides, field):
    me = new_user(api)
    r = me.api.post("/sellers", {**household_body(world.coop["id"]), **overrides})
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["details"]
    with app.app_context():
        assert db.session.scalar(select(Seller).where(Seller.user_id == me.id)) is None


ACTIONS = {
    "submit": None,
    "approve": None,
    "reject": {"reason": "Thiếu giấy tờ"},
    "suspend": {"reason": "Vi phạm"},
    "reinstate": None,
}


@pytest.mark.parametrize("status", ["draft", "submitted", "approved", "rejected", "suspended"])
def test_every_transition_from_every_status(api, app, world, status):
    for action, body in ACTIONS.items():
        actor = new_user(api)
        seller = actor.api.post("/sellers", household_body(world.coop["id"])).get_json()
        with app.app_context():
            db.session.get(Seller, seller["id"]).status = status
            db.session.commit()
        who = actor.api if action == "submit" else world.coop_admin.api
        r = who.post(f"/sellers/{seller['id']}/{action}", body)
        expected = TRANSITIONS.get((status, action))
        if expected is None:
            assert r.status_code == 409, (status, action, r.get_json())
            assert r.get_json()["error"]["code"] == "invalid_transition"
        else:
            assert r.status_code == 200, (status, action, r.get_json())
            assert r.get_json()["status"] == expected


def test_reject_and_suspend_need_a_reason(world):
    seller_id = world.household.seller["id"]
    r = world.coop_admin.api.post(f"/sellers/{seller_id}/suspend", {})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["details"]
    r = world.coop_admin.api.post(f"/sellers/{seller_id}/suspend")
    assert r.status_code == 400
    r = world.coop_admin.api.post(f"/sellers/{seller_id}/suspend", {"reason": "x" * 1001})
    assert r.status_code == 422
    r = world.coop_admin.api.post(f"/sellers/{seller_id}/suspend", {"reason": "Bán hàng giả"})
    assert r.status_code == 200
    entry = world.coop_admin.api.get(f"/coops/{world.coop['id']}/audit").get_json()["items"][0]
    assert entry["action"] == "seller.suspend" and entry["reason"] == "Bán hàng giả"


def test_coop_admin_acts_only_on_its_own_coops_households(api, world):
    seller_id = world.household.seller["id"]
    far = world.other_coop_admin.api
    assert far.post(f"/sellers/{seller_id}/suspend", {"reason": "x"}).status_code == 403
    assert far.patch(f"/sellers/{seller_id}", {"display_name": "Đổi"}).status_code == 403
    assert far.get(f"/coops/{world.coop['id']}/sellers").status_code == 403
    assert "phone" not in far.get(f"/sellers/{seller_id}").get_json()
    # The owner cannot approve or suspend itself.
    assert (
        world.household.api.post(f"/sellers/{seller_id}/suspend", {"reason": "x"}).status_code
        == 403
    )
    # Another household cannot edit or submit it.
    assert (
        world.other_household.api.patch(f"/sellers/{seller_id}", {"display_name": "x"}).status_code
        == 403
    )
    # Its own co-op admin and the platform admin can edit it.
    r = world.coop_admin.api.patch(f"/sellers/{seller_id}", {"display_name": "Vườn vải bác Lợi"})
    assert r.status_code == 200 and r.get_json()["display_name"] == "Vườn vải bác Lợi"
    assert world.admin.api.post(f"/sellers/{seller_id}/suspend", {"reason": "x"}).status_code == 200


def test_patch_validates_the_place_against_what_is_stored(world):
    seller_id = world.household.seller["id"]
    r = world.household.api.patch(f"/sellers/{seller_id}", {"province_code": 33})
    assert r.status_code == 422 and "ward_code" in r.get_json()["error"]["details"]
    r = world.household.api.patch(
        f"/sellers/{seller_id}", {"phone": "0987 654 321", "farm_area_m2": None}
    )
    assert r.status_code == 200 and r.get_json()["phone"] == "+84987654321"


def _cert(valid_until, valid_from=None, no="VG-31-0042"):
    today = today_vn()
    return {
        "scheme": "vietgap",
        "certificate_no": no,
        "issued_by": "Sở Nông nghiệp và Môi trường Hải Phòng",
        "valid_from": (valid_from or today - dt.timedelta(days=365)).isoformat(),
        "valid_until": valid_until.isoformat(),
    }


def test_certifications_are_shown_to_buyers_only_when_verified_and_valid(api, world):
    sid = world.household.seller["id"]
    today = today_vn()
    good = world.household.api.post(
        f"/sellers/{sid}/certifications", _cert(today + dt.timedelta(days=90))
    ).get_json()
    expired = world.household.api.post(
        f"/sellers/{sid}/certifications", _cert(today - dt.timedelta(days=1), no="VG-OLD")
    ).get_json()
    assert good["verified"] is False
    assert api.get(f"/sellers/{sid}").get_json()["certifications"] == []
    assert (
        world.household.api.post(f"/sellers/{sid}/certifications/{good['id']}/verify").status_code
        == 403
    )
    assert (
        world.other_coop_admin.api.post(
            f"/sellers/{sid}/certifications/{good['id']}/verify"
        ).status_code
        == 403
    )
    for cert in (good, expired):
        r = world.coop_admin.api.post(f"/sellers/{sid}/certifications/{cert['id']}/verify")
        assert r.status_code == 200 and r.get_json()["verified"] is True
    assert (
        world.coop_admin.api.post(f"/sellers/{sid}/certifications/{good['id']}/verify").status_code
        == 409
    )
    shown = api.get(f"/sellers/{sid}").get_json()["certifications"]
    assert [c["certificate_no"] for c in shown] == ["VG-31-0042"]
    full = world.household.api.get(f"/sellers/{sid}").get_json()["certifications"]
    assert len(full) == 2
    assert (
        world.coop_admin.api.post(f"/sellers/{sid}/certifications/99999/verify").status_code == 404
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"scheme": "iso9001"}, "scheme"),
        ({"valid_until": "2020-01-01", "valid_from": "2021-01-01"}, "valid_until"),
        ({"valid_from": "hôm qua"}, "valid_from"),
        ({"certificate_no": ""}, "certificate_no"),
    ],
)
def test_bad_certifications_are_422(world, body, field):
    cert = {**_cert(today_vn() + dt.timedelta(days=10)), **body}
    r = world.household.api.post(f"/sellers/{world.household.seller['id']}/certifications", cert)
    assert r.status_code == 422 and field in r.get_json()["error"]["details"]


def test_assisted_onboarding_with_a_single_use_claim_code(api, app, world):
    body = {**household_body(), "full_name": "Bùi Thị Nở", "phone": "0977 123 456"}
    r = world.coop_admin.api.post(f"/coops/{world.coop['id']}/households", body)
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert out["seller"]["status"] == "approved" and out["seller"]["phone"] == "+84977123456"
    code = out["claim_code"]
    with app.app_context():
        assert db.session.scalar(select(func.count(ClaimCode.id))) == 1
        assert code.replace("-", "") not in {
            c.code_hash for c in db.session.scalars(select(ClaimCode))
        }
    # The household cannot log in before claiming.
    r = api.post("/auth/tokens", {"login": "0977123456", "password": PASSWORD})
    assert r.status_code == 401
    assert api.post("/auth/claim", {"code": code, "password": "short"}).status_code == 422
    r = api.post("/auth/claim", {"code": code.lower(), "password": PASSWORD})
    assert r.status_code == 201 and r.get_json()["token"]
    me = api.get("/me", token=r.get_json()["token"]).get_json()
    assert me["seller_id"] == out["seller"]["id"] and "seller" in me["roles"]
    assert login(api, "+84 977 123 456")
    again = api.post("/auth/claim", {"code": code, "password": PASSWORD})
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "invalid_credentials"
    actions = [
        e["action"]
        for e in world.coop_admin.api.get(f"/coops/{world.coop['id']}/audit").get_json()["items"]
    ]
    assert "seller.onboard" in actions


def test_new_claim_code_voids_the_old_and_codes_expire(api, app, world):
    body = {**household_body(), "full_name": "Lò Văn Páo"}
    out = world.coop_admin.api.post(f"/coops/{world.coop['id']}/households", body).get_json()
    sid = out["seller"]["id"]
    assert world.other_coop_admin.api.post(f"/sellers/{sid}/claim-code").status_code == 403
    r = world.coop_admin.api.post(f"/sellers/{sid}/claim-code")
    assert r.status_code == 201
    fresh = r.get_json()["claim_code"]
    assert (
        api.post("/auth/claim", {"code": out["claim_code"], "password": PASSWORD}).status_code
        == 401
    )
    with app.app_context():
        for claim in db.session.scalars(select(ClaimCode)):
            claim.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.session.commit()
    assert api.post("/auth/claim", {"code": fresh, "password": PASSWORD}).status_code == 401
    assert api.post("/auth/claim", {"code": "KHONG-CO", "password": PASSWORD}).status_code == 401


def test_once_claimed_the_coop_cannot_issue_another_code_for_the_account(api, world):
    out = world.coop_admin.api.post(
        f"/coops/{world.coop['id']}/households", {**household_body(), "full_name": "Hà Văn Mất"}
    ).get_json()
    old = api.post("/auth/claim", {"code": out["claim_code"], "password": PASSWORD}).get_json()
    assert api.get("/me", token=old["token"]).status_code == 200
    r = world.coop_admin.api.post(f"/sellers/{out['seller']['id']}/claim-code")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    assert api.get("/me", token=old["token"]).status_code == 200


def test_assisted_onboarding_refuses_a_phone_already_registered(api, app, world):
    new_user(api, phone="0966 555 444")
    body = {**household_body(), "full_name": "Trùng", "phone": "+84966555444"}
    r = world.coop_admin.api.post(f"/coops/{world.coop['id']}/households", body)
    assert r.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.full_name == "Trùng")) == 0
    assert world.buyer.api.post(f"/coops/{world.coop['id']}/households", body).status_code == 403
    assert (
        world.other_coop_admin.api.post(f"/coops/{world.coop['id']}/households", body).status_code
        == 403
    )


def test_rejected_household_can_resubmit(api, world):
    h = new_household(api, world.coop, world.coop_admin, status="rejected")
    sid = h.seller["id"]
    assert world.other_household.api.get(f"/sellers/{sid}").status_code == 404
    assert h.api.post(f"/sellers/{sid}/submit").get_json()["status"] == "submitted"
