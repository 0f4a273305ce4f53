"""Ship-by deadlines (not shipped in time → cancelled, restocked, refunded), late deliveries, and
refused cash-on-delivery parcels."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import time

import pytest
import requests
from sqlalchemy import select, update

from marketplace.delivery.deadlines import cancel_overdue_shipments
from marketplace.extensions import db
from marketplace.orders.models import SellerOrder
from marketplace.payments.models import Refund
from tests.delivery_helpers import COLD_TRUCK, HA_NOI, PICKUP, make_overdue, new_method
from tests.orders_helpers import build_shop, order_body, stock_of
from tests.payments_fixtures import CARD_OK, TEST_SECRET_KEY

SHORT_HOURS = 0.0005  # 1.8 seconds


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def place(shop, items, method="cod", card=None, address=HA_NOI, **extra) -> dict:
    body = order_body(items, method, card, **extra)
    body["shipping_address"] = address
    r = shop.buyer.api.post("/orders", body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def stored_part(app, seller_order_id: int) -> SellerOrder:
    with app.app_context():
        part = db.session.get(SellerOrder, seller_order_id)
        db.session.expunge(part)
        return part


def parse(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


# ---- deadlines ---------------------------------------------------------------------------


def test_ship_by_counts_from_placing_for_cod_and_promised_by_adds_the_lead_time(shop):
    new_method(shop.world.coop_admin, shop.world.coop, COLD_TRUCK)
    before = dt.datetime.now(dt.UTC)
    order = place(shop, [(shop.lychee["id"], 2)])
    (part,) = order["seller_orders"]
    ship_by, promised_by = parse(part["ship_by"]), parse(part["promised_by"])
    assert dt.timedelta(hours=24) <= ship_by - before < dt.timedelta(hours=24, minutes=1)
    assert promised_by - ship_by == dt.timedelta(hours=24)
    assert part["late"] is False and part["cancel_reason"] is None


class TestShortDeadline:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "SHIP_WITHIN_HOURS": SHORT_HOURS}

    def test_an_unshipped_card_order_is_cancelled_restocked_and_refunded_at_the_provider(
        self, app, shop, stripe_config
    ):
        new_method(shop.world.coop_admin, shop.world.coop, COLD_TRUCK)
        order = place(shop, [(shop.lychee["id"], 3), (shop.longan["id"], 1)], "card", CARD_OK)
        assert order["status"] == "paid" and order["shipping_total_vnd"] > 0
        parts = {so["seller"]["id"]: so for so in order["seller_orders"]}
        late_part = parts[shop.household.seller["id"]]
        on_time = parts[shop.other_household.seller["id"]]
        paid_at = parse(order["updated_at"])
        assert parse(late_part["ship_by"]) - paid_at < dt.timedelta(seconds=3)
        # The other household ships in time.
        assert (
            shop.other_household.api.post(f"/seller-orders/{on_time['id']}/ship").status_code == 200
        )
        assert stock_of(app, shop.lychee["id"]) == 97

        time.sleep(SHORT_HOURS * 3600 + 0.3)
        view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()  # lazily, on read

        parts = {so["id"]: so for so in view["seller_orders"]}
        assert parts[late_part["id"]]["status"] == "cancelled"
        assert parts[late_part["id"]]["cancel_reason"] == "not_shipped_in_time"
        assert parts[on_time["id"]]["status"] == "shipped"
        assert view["status"] == "paid"
        assert stock_of(app, shop.lychee["id"]) == 100
        refunded = 3 * 45_000 + late_part["shipping_fee_vnd"]  # its lines and its shipping
        assert view["payment"]["refunded_vnd"] == refunded
        assert view["payment"]["status"] == "partially_refunded"
        intent = requests.get(
            f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents/"
            f"{order['payment']['provider_id']}",
            headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
            timeout=10,
        ).json()
        assert intent["latest_charge"]["amount_refunded"] == refunded
        with app.app_context():
            (refund,) = db.session.scalars(select(Refund)).all()
            assert refund.seller_order_id == late_part["id"] and refund.amount_vnd == refunded
        # The sweep finds nothing left to do, and a second read refunds nothing more.
        with app.app_context():
            assert cancel_overdue_shipments() == 0
        assert (
            shop.buyer.api.get(f"/orders/{order['id']}").get_json()["payment"]["refunded_vnd"]
            == refunded
        )

    def test_delivered_after_the_promised_date_is_late(self, app, shop):
        new_method(shop.world.coop_admin, shop.world.coop, PICKUP)  # lead time 0
        order = place(shop, [(shop.lychee["id"], 1)])
        part = order["seller_orders"][0]
        assert part["promised_by"] == part["ship_by"]
        assert shop.household.api.post(f"/seller-orders/{part['id']}/ship").status_code == 200
        time.sleep(SHORT_HOURS * 3600 + 0.3)
        r = shop.household.api.post(f"/seller-orders/{part['id']}/deliver")
        assert r.status_code == 200 and r.get_json()["late"] is True
        assert (
            shop.buyer.api.get(f"/orders/{order['id']}").get_json()["seller_orders"][0]["late"]
            is True
        )


def test_cli_cancels_overdue_cod_parts_only_and_returns_their_stock(app, shop):
    overdue = place(shop, [(shop.lychee["id"], 4)])
    fresh = place(shop, [(shop.longan["id"], 2)])
    make_overdue(app, overdue["seller_orders"][0]["id"])

    result = app.test_cli_runner().invoke(args=["orders", "expire-shipments"])

    assert result.exit_code == 0, result.output
    assert "cancelled 1 seller order not shipped in time" in result.output
    part = stored_part(app, overdue["seller_orders"][0]["id"])
    assert part.status == "cancelled" and part.cancel_reason == "not_shipped_in_time"
    assert stored_part(app, fresh["seller_orders"][0]["id"]).status == "confirmed"
    assert stock_of(app, shop.lychee["id"]) == 100 and stock_of(app, shop.longan["id"]) == 18
    view = shop.buyer.api.get(f"/orders/{overdue['id']}").get_json()
    assert view["status"] == "cancelled" and view["payment"]["status"] == "cancelled"
    again = app.test_cli_runner().invoke(args=["orders", "expire-shipments"])
    assert "cancelled 0 seller orders" in again.output


def test_the_household_sees_its_overdue_part_cancelled_when_it_opens_its_orders(app, shop):
    order = place(shop, [(shop.lychee["id"], 2)])
    part_id = order["seller_orders"][0]["id"]
    make_overdue(app, part_id)
    listed = shop.household.api.get("/seller/orders").get_json()["items"]
    assert [(p["id"], p["status"], p["cancel_reason"]) for p in listed] == [
        (part_id, "cancelled", "not_shipped_in_time")
    ]
    assert shop.household.api.post(f"/seller-orders/{part_id}/ship").status_code == 409


def test_a_sweep_and_a_shipment_racing_end_in_exactly_one_of_shipped_or_cancelled(app, shop):
    outcomes = set()
    for round_ in range(6):
        order = place(shop, [(shop.lychee["id"], 1)])
        part_id = order["seller_orders"][0]["id"]
        make_overdue(app, part_id)

        def sweep():
            with app.app_context():
                return "sweep", cancel_overdue_shipments()

        def ship(part_id=part_id):
            r = app.test_client().post(
                f"/api/v1/seller-orders/{part_id}/ship",
                headers={"Authorization": f"Bearer {shop.household.token}"},
            )
            return "ship", r.status_code

        tasks = (sweep, ship) if round_ % 2 else (ship, sweep)
        with cf.ThreadPoolExecutor(2) as pool:
            results = dict(f.result() for f in [pool.submit(t) for t in tasks])
        status = stored_part(app, part_id).status
        if status == "shipped":
            assert results == {"sweep": 0, "ship": 200}, results
        else:
            assert status == "cancelled" and results == {"sweep": 1, "ship": 409}, results
        outcomes.add(status)
    # Every cancelled part gave its unit back, every shipped one kept it.
    with app.app_context():
        shipped = len(
            db.session.scalars(select(SellerOrder).where(SellerOrder.status == "shipped")).all()
        )
    assert stock_of(app, shop.lychee["id"]) == 100 - shipped


# ---- refused cash on delivery --------------------------------------------------------------


def ship(shop, order) -> int:
    part_id = order["seller_orders"][0]["id"]
    assert shop.household.api.post(f"/seller-orders/{part_id}/ship").status_code == 200
    return part_id


def test_a_refused_cod_parcel_is_terminal_without_money_or_restock(app, shop):
    order = place(shop, [(shop.lychee["id"], 5)])
    part_id = ship(shop, order)

    r = shop.household.api.post(
        f"/seller-orders/{part_id}/refused", {"reason": "Khách không nghe máy"}
    )

    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "refused" and body["refused_at"] is not None
    assert body["cancel_reason"] == "Khách không nghe máy"
    assert stock_of(app, shop.lychee["id"]) == 95  # not restocked
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "cancelled"
    assert view["payment"]["status"] == "cancelled" and view["payment"]["amount_vnd"] > 0
    # terminal
    assert shop.household.api.post(f"/seller-orders/{part_id}/deliver").status_code == 409
    again = shop.household.api.post(f"/seller-orders/{part_id}/refused", {"reason": "x"})
    assert again.status_code == 409


def test_refused_needs_a_shipped_cod_part_its_household_or_coop_admin_and_a_reason(app, shop):
    cod = place(shop, [(shop.lychee["id"], 1)])
    part_id = cod["seller_orders"][0]["id"]
    path = f"/seller-orders/{part_id}/refused"
    assert shop.household.api.post(path, {"reason": "Không nhận"}).status_code == 409  # not shipped
    ship(shop, cod)
    assert shop.buyer.api.post(path, {"reason": "Không nhận"}).status_code == 403
    assert shop.world.other_coop_admin.api.post(path, {"reason": "x"}).status_code == 404
    assert shop.household.api.post(path, {}).status_code == 422
    assert stored_part(app, part_id).status == "shipped"
    r = shop.world.coop_admin.api.post(path, {"reason": "Khách từ chối nhận"})
    assert r.status_code == 200 and r.get_json()["status"] == "refused"

    card = place(shop, [(shop.lychee["id"], 1)], "card", CARD_OK)
    card_part = ship(shop, card)
    r = shop.household.api.post(f"/seller-orders/{card_part}/refused", {"reason": "x"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"


class TestRefusalLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "COD_REFUSAL_LIMIT": 2}

    def test_after_two_refusals_in_ninety_days_a_buyer_must_pay_before_delivery(self, app, shop):
        for _ in range(2):
            part_id = ship(shop, place(shop, [(shop.lychee["id"], 1)]))
            shop.household.api.post(f"/seller-orders/{part_id}/refused", {"reason": "Bom hàng"})

        body = order_body([(shop.lychee["id"], 1)])
        r = shop.buyer.api.post("/orders", body)

        assert r.status_code == 422
        error = r.get_json()["error"]
        assert error["code"] == "validation_error" and "payment_method" in error["details"]
        assert stock_of(app, shop.lychee["id"]) == 98
        # The rule is checked before the items, whether or not any of them is on sale.
        r = shop.buyer.api.post("/orders", order_body([(999_999, 1)]))
        assert r.status_code == 422 and "payment_method" in r.get_json()["error"]["details"]
        assert (
            shop.buyer.api.post(
                "/orders", order_body([(shop.lychee["id"], 1)], "card", CARD_OK)
            ).status_code
            == 201
        )
        # Another buyer is not affected; refusals older than 90 days do not count.
        with app.app_context():
            db.session.execute(
                update(SellerOrder)
                .where(SellerOrder.status == "refused")
                .values(refused_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=91))
            )
            db.session.commit()
        assert shop.buyer.api.post("/orders", body).status_code == 201
