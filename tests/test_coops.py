import pytest

from tests.factories import PASSWORD, new_admin, new_coop, new_coop_admin, new_user


@pytest.fixture
def admin(app, api):
    return new_admin(app, api)


def test_admin_creates_a_coop_with_a_slug_from_its_vietnamese_name(api, admin):
    r = admin.api.post(
        "/coops",
        {
            "name": "Hợp tác xã Vải thiều Thanh Hà",
            "province_code": 31,
            "ward_code": 10813,
            "description": "Vải",
        },
    )
    assert r.status_code == 201, r.get_json()
    coop = r.get_json()
    assert coop["slug"] == "hop-tac-xa-vai-thieu-thanh-ha"
    assert coop["province_name"] == "Thành phố Hải Phòng" and coop["ward_name"] == "Xã Thanh Hà"
    assert api.get(f"/coops/{coop['id']}").get_json() == coop
    listing = api.get("/coops").get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == coop["id"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "HTX", "province_code": 2}, "province_code"),
        ({"name": "HTX", "province_code": 31, "ward_code": 1}, "ward_code"),
        ({"name": "HTX", "province_code": 33, "ward_code": 10813}, "ward_code"),
        ({"name": "HTX", "province_code": "31"}, "province_code"),
        ({"name": "HTX", "province_code": 31, "slug": "Có Dấu"}, "slug"),
        ({"province_code": 31}, "name"),
        ({"name": "!!!", "province_code": 31}, "slug"),
    ],
)
def test_bad_coops_are_422(admin, body, field):
    r = admin.api.post("/coops", body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["details"]


def test_duplicate_slug_is_409(admin):
    new_coop(admin, "HTX Nhãn lồng", slug="nhan-long")
    r = admin.api.post("/coops", {"name": "Khác", "slug": "nhan-long", "province_code": 33})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"


def test_only_platform_admins_create_coops_and_appoint_admins(api, admin):
    coop = new_coop(admin)
    buyer = new_user(api)
    assert api.post("/coops", {"name": "X", "province_code": 31}).status_code == 401
    assert buyer.api.post("/coops", {"name": "X", "province_code": 31}).status_code == 403
    assert buyer.api.post(f"/coops/{coop['id']}/admins", {"user_id": buyer.id}).status_code == 403
    coop_admin = new_coop_admin(api, admin, coop)
    # A co-op admin cannot appoint others either.
    assert (
        coop_admin.api.post(f"/coops/{coop['id']}/admins", {"user_id": buyer.id}).status_code == 403
    )


def test_appointing_and_removing_a_coop_admin_changes_roles(api, admin):
    coop = new_coop(admin)
    user = new_user(api)
    assert admin.api.post(f"/coops/{coop['id']}/admins", {"user_id": user.id}).status_code == 204
    assert admin.api.post(f"/coops/{coop['id']}/admins", {"user_id": user.id}).status_code == 204
    me = user.api.get("/me").get_json()
    assert "coop_admin" in me["roles"] and me["coop_ids"] == [coop["id"]]
    assert admin.api.delete(f"/coops/{coop['id']}/admins/{user.id}").status_code == 204
    me = user.api.get("/me").get_json()
    assert "coop_admin" not in me["roles"] and me["coop_ids"] == []
    assert admin.api.delete(f"/coops/{coop['id']}/admins/{user.id}").status_code == 404
    assert admin.api.post(f"/coops/{coop['id']}/admins", {"user_id": 99999}).status_code == 422
    assert admin.api.post("/coops/99999/admins", {"user_id": user.id}).status_code == 404


def test_audit_log_is_for_its_coop_admins(api, admin):
    coop = new_coop(admin)
    other = new_coop(admin, "HTX khác")
    mine = new_coop_admin(api, admin, coop)
    theirs = new_coop_admin(api, admin, other)
    assert mine.api.get(f"/coops/{coop['id']}/audit").status_code == 200
    assert admin.api.get(f"/coops/{coop['id']}/audit").status_code == 200
    assert theirs.api.get(f"/coops/{coop['id']}/audit").status_code == 403
    assert new_user(api).api.get(f"/coops/{coop['id']}/audit").status_code == 403
    assert api.get(f"/coops/{coop['id']}/audit").status_code == 401
    assert mine.api.get("/coops/99999/audit").status_code == 404


def test_unknown_coop_is_404(api):
    r = api.get("/coops/4242")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert PASSWORD
