"""One request, one unit of work: an API route or a page that fails — by validation, permission,
conflict or a payment provider's error, raised or answered — leaves nothing written; one that
succeeds commits once. The boundary is the blueprints' (marketplace/unit_of_work.py), so these
stories register routes of their own on the same blueprint classes and write a real row first."""

from __future__ import annotations

import pytest
from flask import redirect
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.coops.models import Coop
from marketplace.coops.services import create_coop
from marketplace.errors import Conflict, Forbidden, PaymentProviderError, ValidationError
from marketplace.extensions import db
from marketplace.http import Blueprint
from marketplace.unit_of_work import TransactionalBlueprint, after_commit
from marketplace.web.actions import perform
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.web import browser

FAILURES = {
    "validation": ValidationError(details={"name": ["Too long."]}),
    "permission": Forbidden(),
    "conflict": Conflict(),
    "provider": PaymentProviderError(),
}
STATUS = {"validation": 422, "permission": 403, "conflict": 409, "provider": 502}


@pytest.fixture
def app(app_config):
    """The app with an API blueprint and a page blueprint of the same kinds as the real ones."""
    app = create_app(app_config)
    api_blp = Blueprint("uow_test", __name__, url_prefix="/api/v1/uow-test")
    pages = TransactionalBlueprint("uow_pages", __name__, url_prefix="/uow-test")
    effects: list[str] = []
    app.extensions["uow_effects"] = effects

    def write(name: str) -> None:
        create_coop(name=name, province_code=31)  # flushes a real row
        after_commit(lambda: effects.append(name))

    @api_blp.route("/<kind>", methods=["POST"])
    def api_action(kind):
        write(f"API {kind}")
        if kind == "ok":
            return {"ok": True}
        if kind == "answered":
            return {"error": {"code": "validation_error"}}, 422
        raise FAILURES[kind]

    @pages.route("/<kind>", methods=["POST"])
    def page_action(kind):
        if kind == "refused":  # a page that answers a refusal with a redirect
            perform(lambda: (write("page refused"), _raise(Conflict())), "never shown")
            return redirect("/")
        write(f"page {kind}")
        if kind == "ok":
            return redirect("/")
        raise FAILURES[kind]

    from marketplace.extensions import api

    api.register_blueprint(api_blp)
    app.register_blueprint(pages)
    yield app
    from tests.conftest import _empty_tables

    _empty_tables(app)
    with app.app_context():
        db.engine.dispose()


def _raise(exc):
    raise exc


def coops(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Coop.name).order_by(Coop.id)))


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_failing_api_action_leaves_nothing_written(app, kind):
    r = app.test_client().post(f"/api/v1/uow-test/{kind}")
    assert r.status_code == STATUS[kind]
    assert r.get_json()["error"]["code"]
    assert coops(app) == []
    assert app.extensions["uow_effects"] == []  # nothing outside the database either


def test_an_api_action_answered_with_an_error_status_leaves_nothing_written(app):
    assert app.test_client().post("/api/v1/uow-test/answered").status_code == 422
    assert coops(app) == []


def test_a_successful_api_action_commits_once_and_then_runs_its_effects(app):
    assert app.test_client().post("/api/v1/uow-test/ok").status_code == 200
    assert coops(app) == ["API ok"]
    assert app.extensions["uow_effects"] == ["API ok"]


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_failing_page_action_leaves_nothing_written(app, kind):
    r = app.test_client().post(f"/uow-test/{kind}", headers={"Accept": "text/html"})
    assert r.status_code == STATUS[kind]
    assert coops(app) == []


def test_a_page_that_answers_a_refusal_with_a_redirect_writes_nothing(app):
    r = app.test_client().post("/uow-test/refused")
    assert r.status_code == 302
    assert coops(app) == []
    assert app.extensions["uow_effects"] == []


def test_a_successful_page_action_commits(app):
    assert app.test_client().post("/uow-test/ok").status_code == 302
    assert coops(app) == ["page ok"]


class TestRealActions:
    """The same rule through real routes and pages of the marketplace."""

    @pytest.fixture
    def app_config(self, app_config, stripe_config):
        return {**app_config, **stripe_config}

    def test_a_checkout_refused_for_one_item_reserves_none_of_the_others(self, app, api):
        shop = build_shop(app, api)
        r = shop.buyer.api.post(
            "/orders",
            order_body([(shop.lychee["id"], 3), (shop.rice["id"], 1)]),  # rice: min 2
        )
        assert r.status_code == 422
        assert stock_of(app, shop.lychee["id"]) == 100
        with app.app_context():
            from marketplace.orders.models import Order

            assert db.session.scalar(select(func.count()).select_from(Order)) == 0

    def test_a_page_cancel_that_the_provider_refuses_changes_nothing(
        self, app, api, closed_port_url
    ):
        shop = build_shop(app, api)
        order = shop.buyer.api.post(
            "/orders", order_body([(shop.lychee["id"], 2)], "card", "pm_card_visa")
        ).get_json()
        assert order["status"] == "paid"
        app.config["STRIPE_API_BASE"] = closed_port_url  # the provider goes away
        page = browser(app, shop.buyer.user["email"])
        r = page.post(f"/orders/{order['id']}/cancel", {"reason": "Đổi ý"})
        assert r.status_code == 302
        view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
        assert view["status"] == "paid" and view["payment"]["refunded_vnd"] == 0
        assert stock_of(app, shop.lychee["id"]) == 98
