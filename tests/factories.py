"""Arrange test stories through the public API (and the CLI's service for platform admins)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from marketplace.auth.services import create_admin
from marketplace.extensions import db

PASSWORD = "mật-khẩu-vải-2026"
THANH_HA = {"province_code": 31, "ward_code": 10813}  # Thành phố Hải Phòng, Xã Thanh Hà
_seq = itertools.count(1)


@dataclass
class Actor:
    api: Any  # ApiClient bound to this actor's token
    user: dict
    token: str
    seller: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.user["id"]


def _ok(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json() if response.data else {}


def unique_phone() -> str:
    return f"09{next(_seq) + 10_000_000:08d}"


def login(api, login_: str, password: str = PASSWORD) -> str:
    return _ok(api.post("/auth/tokens", {"login": login_, "password": password}), 201)["token"]


def new_user(
    api, full_name: str = "Trần Thị Mai", *, email: str | None = None, phone=None
) -> Actor:
    if email is None and phone is None:
        email = f"user{next(_seq)}@example.vn"
    body = {"full_name": full_name, "password": PASSWORD}
    if email:
        body["email"] = email
    if phone:
        body["phone"] = phone
    user = _ok(api.post("/auth/register", body), 201)
    token = login(api, email or phone)
    return Actor(api.as_(token), user, token)


def new_admin(app, api) -> Actor:
    email = f"admin{next(_seq)}@example.vn"
    with app.app_context():
        create_admin(email, PASSWORD, "Quản trị viên")
        db.session.commit()
    token = login(api, email)
    return Actor(api.as_(token), _ok(api.get("/me", token=token), 200), token)


def new_coop(admin: Actor, name: str | None = None, **fields) -> dict:
    body = {"name": name or f"Hợp tác xã Vải thiều Thanh Hà {next(_seq)}", **THANH_HA, **fields}
    return _ok(admin.api.post("/coops", body), 201)


def new_coop_admin(api, admin: Actor, coop: dict, full_name: str = "Phạm Văn Hùng") -> Actor:
    actor = new_user(api, full_name)
    _ok(admin.api.post(f"/coops/{coop['id']}/admins", {"user_id": actor.id}), 204)
    actor.user = _ok(actor.api.get("/me"), 200)
    return actor


def household_body(coop_id: int | None = None, **overrides) -> dict:
    body = {
        "display_name": "Vườn vải nhà bác Lợi",
        "phone": unique_phone(),
        **THANH_HA,
        "address_line": "Thôn Hạ, số 12",
        "description": "Vải thiều Thanh Hà trồng theo VietGAP.",
        "farm_area_m2": 5000,
    }
    if coop_id is not None:
        body["coop_id"] = coop_id
    body.update(overrides)
    return body


def new_household(api, coop: dict, coop_admin: Actor | None = None, *, status="approved") -> Actor:
    """A household that onboarded itself; approved by ``coop_admin`` when status is 'approved'."""
    actor = new_user(api, "Nguyễn Văn Lợi")
    seller = _ok(actor.api.post("/sellers", household_body(coop["id"])), 201)
    if status in ("submitted", "approved", "rejected"):
        seller = _ok(actor.api.post(f"/sellers/{seller['id']}/submit"), 200)
    if status == "approved":
        seller = _ok(coop_admin.api.post(f"/sellers/{seller['id']}/approve"), 200)
    if status == "rejected":
        seller = _ok(
            coop_admin.api.post(f"/sellers/{seller['id']}/reject", {"reason": "Thiếu"}), 200
        )
    actor.seller = seller
    actor.user = _ok(actor.api.get("/me"), 200)
    return actor


@dataclass
class World:
    """Two co-ops, each with an admin and an approved household, a buyer and a platform admin."""

    admin: Actor
    coop: dict
    coop_admin: Actor
    household: Actor
    other_coop: dict
    other_coop_admin: Actor
    other_household: Actor
    buyer: Actor


def build_world(app, api) -> World:
    admin = new_admin(app, api)
    coop = new_coop(admin)
    other_coop = new_coop(admin, "Hợp tác xã Nhãn lồng Hưng Yên", province_code=33, ward_code=None)
    coop_admin = new_coop_admin(api, admin, coop)
    other_coop_admin = new_coop_admin(api, admin, other_coop, "Lê Thị Hoa")
    return World(
        admin=admin,
        coop=coop,
        coop_admin=coop_admin,
        household=new_household(api, coop, coop_admin),
        other_coop=other_coop,
        other_coop_admin=other_coop_admin,
        other_household=new_household(api, coop, coop_admin),
        buyer=new_user(api, "Đỗ Minh Anh"),
    )


def product_body(**overrides) -> dict:
    body = {
        "name": "Vải thiều Thanh Hà loại 1",
        "description": "Vải thiều chín cây, hái buổi sáng, đóng thùng xốp.",
        "category_slug": "vai-thieu",
        "unit": "kg",
        "unit_price_vnd": 45_000,
        "stock_quantity": 100,
        "min_order_quantity": 1,
        "origin_province_code": 31,
        "origin_area": "Thanh Hà",
    }
    body.update(overrides)
    return body


def new_product(household: Actor, coop_admin: Actor | None = None, **overrides) -> dict:
    """A listing of ``household``; approved (active) by ``coop_admin`` when one is given."""
    product = _ok(household.api.post("/products", product_body(**overrides)), 201)
    if coop_admin is not None:
        product = _ok(coop_admin.api.post(f"/products/{product['id']}/approve"), 200)
    return product
