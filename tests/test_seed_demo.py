"""`flask seed --demo`: the README's demo logins work, a second run changes nothing, and
production refuses them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.seed.demo import DEMO_PASSWORD

from .test_seed import SEED_DATA


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "SEED_CLAIM_CODES_FILE": str(tmp_path / "claim_codes.csv")}


@pytest.fixture
def seed(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["seed", *args])


def login(api, email: str) -> str:
    response = api.post("/auth/tokens", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_demo_logins_work_for_each_role(app, api, seed, tmp_path):
    result = seed("--path", str(tmp_path), "--demo")

    assert result.exit_code == 0, result.output
    assert "buyer@demo.vn" in result.output and DEMO_PASSWORD in result.output
    buyer = api.get("/me", token=login(api, "buyer@demo.vn")).get_json()
    assert buyer["roles"] == ["buyer"]
    admin = api.get("/me", token=login(api, "admin@demo.vn")).get_json()
    assert "admin" in admin["roles"]
    coop_admin = api.get("/me", token=login(api, "coop@demo.vn")).get_json()
    household = api.get("/me", token=login(api, "household@demo.vn")).get_json()
    assert "seller" in household["roles"]
    seller = api.get(f"/sellers/{household['seller_id']}").get_json()
    assert seller["status"] == "approved"
    assert coop_admin["coop_ids"] == [seller["coop"]["id"]]
    assert seller["coop"]["name"] == "Hợp tác xã Vải thiều Thanh Hà"
    products = api.get(f"/products?seller_id={household['seller_id']}").get_json()
    assert products["total"] == 3
    assert "Vải thiều Thanh Hà loại 1" in {p["name"] for p in products["items"]}
    # The co-op admin moderates the demo household.
    queue = api.get(
        f"/coops/{seller['coop']['id']}/products", token=login(api, "coop@demo.vn")
    ).get_json()
    assert queue["total"] == 3


def test_a_second_demo_run_changes_nothing(app, api, seed, tmp_path):
    assert seed("--path", str(tmp_path), "--demo").exit_code == 0
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
        hashes = set(db.session.scalars(select(User.password_hash)))

    result = seed("--path", str(tmp_path), "--demo")

    assert result.exit_code == 0, result.output
    assert "demo: created 0, unchanged 9" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users
        assert set(db.session.scalars(select(User.password_hash))) == hashes


def test_demo_joins_the_seed_data_co_op(app, api, seed):
    result = seed("--path", str(SEED_DATA), "--demo")

    assert result.exit_code == 0, result.output
    assert "demo: created 8, unchanged 1" in result.output  # the co-op came from coops.csv
    household = api.get("/me", token=login(api, "household@demo.vn")).get_json()
    coop_id = api.get(f"/sellers/{household['seller_id']}").get_json()["coop"]["id"]
    households = api.get(
        f"/coops/{coop_id}/sellers?per_page=1", token=login(api, "coop@demo.vn")
    ).get_json()
    assert households["total"] == 14  # 13 from households.csv and the demo household


def test_demo_is_refused_in_production(app_config, tmp_path):
    from marketplace import create_app

    app = create_app({**app_config, "MARKETPLACE_ENV": "production"})

    result = app.test_cli_runner().invoke(args=["seed", "--path", str(tmp_path), "--demo"])

    assert result.exit_code == 1
    assert "production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        db.engine.dispose()


def test_plain_seed_is_allowed_in_production(app_config, tmp_path):
    from marketplace import create_app

    app = create_app({**app_config, "MARKETPLACE_ENV": "production"})

    result = app.test_cli_runner().invoke(args=["seed", "--path", str(SEED_DATA), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "households.csv: created 86" in result.output


def test_readme_walkthrough_first_cod_order_from_the_demo(app, api, seed):
    """README "A first order with curl", through the API: search, order COD, the household sees it."""
    assert seed("--path", str(SEED_DATA), "--demo").exit_code == 0
    buyer = login(api, "buyer@demo.vn")

    found = api.get("/search?q=vai%20thieu&per_page=100").get_json()
    assert found["total"] >= 26  # the lychee of Thanh Hà and Lục Ngạn
    product = next(
        p for p in found["items"] if p["seller"]["display_name"] == "Vườn vải nhà ông Tư"
    )
    order = api.post(
        "/orders",
        {
            "items": [{"product_id": product["id"], "quantity": 2}],
            "payment_method": "cod",
            "shipping_address": {
                "recipient_name": "Lê Thị Hoa",
                "phone": "0987 654 321",
                "province_code": 1,
                "ward_code": 70,
                "address_line": "12 Hàng Bài",
            },
        },
        token=buyer,
        headers={"Idempotency-Key": "readme-walkthrough-1"},
    )
    assert order.status_code == 201, order.get_json()
    assert order.get_json()["status"] == "placed"
    assert order.get_json()["total_vnd"] == 2 * 65000

    mine = api.get("/seller/orders", token=login(api, "household@demo.vn")).get_json()
    assert [(o["status"], o["subtotal_vnd"]) for o in mine["items"]] == [("confirmed", 130000)]
    assert mine["items"][0]["lines"][0]["name"] == "Vải thiều Thanh Hà loại 1"
