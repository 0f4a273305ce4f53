"""Checkout with cash on delivery, the views of an order, and the two state machines."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy import text as sa_text

from marketplace.catalogue.models import StockMovement
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderLine, SellerOrder
from marketplace.orders.services import ORDER_TRANSITIONS, SELLER_ORDER_TRANSITIONS
from marketplace.payments.models import Payment
from tests.conftest import recorded_statements
from tests.factories import new_coop_admin, new_household, new_product, new_user
from tests.orders_helpers import ADDRESS, build_shop, order_body, order_count, stock_of


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def _place(shop, items, **kw):
    r = shop.buyer.api.post("/orders", order_body(items, **kw))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# ---- checkout ---------------------------------------------------------------------------


def test_buyer_orders_from_two_households_in_one_cash_on_delivery_checkout(app, shop):
    r = shop.buyer.api.post(
        "/orders",
        order_body(
            [(shop.lychee["id"], 3), (shop.longan["id"], 2), (shop.rice["id"], 2)],
            note="Giao giờ hành chính, gọi trước 15 phút.",
        ),
    )
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert re.fullmatch(r"NS-\d{6}-[2-9A-HJ-NP-Z]{7}", order["number"])
    assert order["status"] == "placed"
    assert order["payment"]["method"] == "cod"
    assert order["payment"]["status"] == "pending_collection"
    assert order["items_total_vnd"] == 3 * 45_000 + 2 * 60_000 + 2 * 30_000
    assert order["total_vnd"] == order["items_total_vnd"]
    assert order["shipping_address"]["phone"] == "+84912345678"
    assert order["shipping_address"]["recipient_name"] == "Đỗ Minh Anh"
    assert order["note"] == "Giao giờ hành chính, gọi trước 15 phút."
    parts = {so["seller"]["id"]: so for so in order["seller_orders"]}
    assert set(parts) == {shop.household.seller["id"], shop.other_household.seller["id"]}
    mine = parts[shop.household.seller["id"]]
    assert mine["status"] == "confirmed"
    assert mine["subtotal_vnd"] == 3 * 45_000 + 2 * 30_000
    assert {line["product_id"]: line["quantity"] for line in mine["lines"]} == {
        shop.lychee["id"]: 3,
        shop.rice["id"]: 2,
    }
    lychee_line = next(li for li in mine["lines"] if li["product_id"] == shop.lychee["id"])
    assert lychee_line == {
        "product_id": shop.lychee["id"],
        "name": "Vải thiều Thanh Hà loại 1",
        "unit": "kg",
        "unit_price_vnd": 45_000,
        "quantity": 3,
        "line_total_vnd": 135_000,
        "catch_weight": False,
        "actual_weight_g": None,
        "pre_ordered_quantity": None,
        "lots": [],  # the product has no harvest lots
    }
    assert stock_of(app, shop.lychee["id"]) == 97
    assert stock_of(app, shop.longan["id"]) == 18
    assert stock_of(app, shop.rice["id"]) == 48
    with app.app_context():
        stored = db.session.get(Order, order["id"])
        assert stored.status == "placed" and stored.total_vnd == order["total_vnd"]
        assert len(stored.seller_orders) == 2
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order["id"]))
        assert payment.status == "pending_collection" and payment.amount_vnd == order["total_vnd"]
        movements = db.session.scalars(
            select(StockMovement).where(StockMovement.order_id == order["id"])
        ).all()
        assert sorted(m.delta for m in movements) == [-3, -2, -2]


def test_prices_are_copied_into_the_order(app, shop):
    order = _place(shop, [(shop.lychee["id"], 1)])
    r = shop.household.api.patch(f"/products/{shop.lychee['id']}", {"unit_price_vnd": 99_000})
    assert r.status_code == 200
    again = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert again["seller_orders"][0]["lines"][0]["unit_price_vnd"] == 45_000
    assert again["total_vnd"] == 45_000


def test_order_numbers_are_unique(app, shop):
    numbers = {_place(shop, [(shop.lychee["id"], 1)])["number"] for _ in range(5)}
    assert len(numbers) == 5


def test_buyer_cannot_order_more_than_stock_and_nothing_is_reserved(app, shop):
    r = shop.buyer.api.post(
        "/orders", order_body([(shop.lychee["id"], 5), (shop.longan["id"], 21)])
    )
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["details"]["items"] == [
        {"product_id": shop.longan["id"], "requested": 21, "available": 20}
    ]
    assert stock_of(app, shop.lychee["id"]) == 100
    assert stock_of(app, shop.longan["id"]) == 20
    assert order_count(app) == 0


def test_product_not_on_sale_cannot_be_ordered(app, shop):
    pending = new_product(shop.household, name="Vải chưa duyệt")  # pending review
    paused = shop.longan
    assert shop.other_household.api.post(f"/products/{paused['id']}/pause").status_code == 200
    r = shop.buyer.api.post(
        "/orders",
        order_body([(shop.lychee["id"], 1), (pending["id"], 1), (paused["id"], 1), (999_999, 1)]),
    )
    assert r.status_code == 422
    details = r.get_json()["error"]["details"]["items"]
    assert set(details) == {"1", "2", "3"}
    assert details["1"]["product_id"] == ["No such product on sale."]
    assert order_count(app) == 0
    assert stock_of(app, shop.lychee["id"]) == 100


def test_product_of_a_suspended_household_cannot_be_ordered(app, shop):
    r = shop.world.coop_admin.api.post(
        f"/sellers/{shop.other_household.seller['id']}/suspend", {"reason": "Kiểm tra"}
    )
    assert r.status_code == 200
    r = shop.buyer.api.post("/orders", order_body([(shop.longan["id"], 1)]))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"


def test_household_cannot_buy_its_own_products(app, shop):
    r = shop.household.api.post(
        "/orders", order_body([(shop.longan["id"], 1), (shop.lychee["id"], 1)])
    )
    assert r.status_code == 422
    assert r.get_json()["error"]["details"]["items"]["1"]["product_id"] == [
        "You cannot buy your own product."
    ]
    assert stock_of(app, shop.longan["id"]) == 20


def test_quantity_below_the_minimum_order_is_refused(app, shop):
    r = shop.buyer.api.post("/orders", order_body([(shop.rice["id"], 1)]))
    assert r.status_code == 422
    assert r.get_json()["error"]["details"]["items"]["0"]["quantity"] == [
        "At least 2 kg per order."
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"items": []},
        {"items": [{"product_id": 1, "quantity": 0}]},
        {"items": [{"product_id": 1, "quantity": 1.5}]},
        {"items": [{"product_id": 1, "quantity": "2"}]},
        {"items": [{"product_id": 1, "quantity": True}]},
        {"items": [{"product_id": 1, "quantity": 10**12}]},
        {"items": [{"product_id": "1; DROP TABLE orders", "quantity": 1}]},
        {"items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]},
        {"payment_method": "bitcoin"},
        {"payment_method": "card"},  # no card
        {"card": {"payment_method_id": "pm_card_visa"}},  # card with cod
        {"shipping_address": {**ADDRESS, "phone": "12345"}},
        {"shipping_address": {**ADDRESS, "province_code": 99}},
        {"shipping_address": {**ADDRESS, "ward_code": 4}},  # a ward of another province
        {"shipping_address": {**ADDRESS, "recipient_name": "   "}},
        {"note": "x" * 1001},
        {"shipping": "nhanh"},
    ],
)
def test_invalid_checkout_bodies_are_refused_with_422(app, shop, change):
    body = order_body([(shop.lychee["id"], 1)])
    body.update(change)
    r = shop.buyer.api.post("/orders", body)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "validation_error"
    assert order_count(app) == 0
    assert stock_of(app, shop.lychee["id"]) == 100


def test_checkout_needs_a_login_and_a_json_body(app, shop):
    r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)]), token="")
    assert r.status_code == 401
    assert stock_of(app, shop.lychee["id"]) == 100
    r = shop.buyer.api.call("POST", "/orders", data="không phải json", content_type="text/plain")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


def test_card_checkout_without_a_provider_is_unavailable_and_writes_nothing(app, shop):
    r = shop.buyer.api.post("/orders", order_body([(shop.lychee["id"], 1)], "card", "pm_card_visa"))
    assert r.status_code == 503
    assert r.get_json()["error"]["code"] == "payments_unavailable"
    assert order_count(app) == 0
    assert stock_of(app, shop.lychee["id"]) == 100
    # Cash on delivery still works.
    assert _place(shop, [(shop.lychee["id"], 1)])["status"] == "placed"


# ---- views --------------------------------------------------------------------------------


def test_buyers_cannot_see_each_others_orders(app, api, shop):
    order = _place(shop, [(shop.lychee["id"], 1)])
    stranger = new_user(api, "Vũ Thị Lan")
    assert stranger.api.get(f"/orders/{order['id']}").status_code == 404
    assert stranger.api.get("/orders").get_json()["total"] == 0
    r = stranger.api.post(f"/orders/{order['id']}/cancel")
    assert r.status_code == 404
    assert shop.buyer.api.get(f"/orders/{order['id']}").status_code == 200
    mine = shop.buyer.api.get("/orders").get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == order["id"]


def test_household_sees_only_its_own_seller_order(app, shop):
    order = _place(shop, [(shop.lychee["id"], 2), (shop.longan["id"], 1)])
    seen = shop.household.api.get(f"/orders/{order['id']}").get_json()
    assert [so["seller"]["id"] for so in seen["seller_orders"]] == [shop.household.seller["id"]]
    assert [li["product_id"] for li in seen["seller_orders"][0]["lines"]] == [shop.lychee["id"]]
    listed = shop.other_household.api.get("/orders").get_json()
    assert listed["total"] == 1
    assert [so["seller"]["id"] for so in listed["items"][0]["seller_orders"]] == [
        shop.other_household.seller["id"]
    ]
    queue = shop.household.api.get("/seller/orders").get_json()
    assert queue["total"] == 1
    part = queue["items"][0]
    assert part["order"]["number"] == order["number"]
    assert part["order"]["shipping_address"]["address_line"] == ADDRESS["address_line"]
    assert [li["product_id"] for li in part["lines"]] == [shop.lychee["id"]]


def test_household_without_a_part_in_the_order_cannot_see_it(app, api, shop):
    order = _place(shop, [(shop.lychee["id"], 1)])
    assert shop.other_household.api.get(f"/orders/{order['id']}").status_code == 404
    assert shop.other_household.api.get("/seller/orders").get_json()["total"] == 0
    part = order["seller_orders"][0]["id"]
    r = shop.other_household.api.post(f"/seller-orders/{part}/ship")
    assert r.status_code == 404


def test_coop_admin_sees_the_seller_orders_of_its_households_only(app, api, shop):
    w = shop.world
    far_admin = new_coop_admin(api, w.admin, w.other_coop, "Hoàng Văn Nam")
    far_household = new_household(api, w.other_coop, far_admin)
    far_product = new_product(
        far_household, far_admin, name="Xoài cát Hòa Lộc", category_slug="xoai"
    )
    order = _place(shop, [(shop.lychee["id"], 1), (far_product["id"], 1)])
    seen = w.coop_admin.api.get(f"/orders/{order['id']}").get_json()
    assert [so["seller"]["id"] for so in seen["seller_orders"]] == [shop.household.seller["id"]]
    far_seen = far_admin.api.get(f"/orders/{order['id']}").get_json()
    assert [so["seller"]["id"] for so in far_seen["seller_orders"]] == [far_household.seller["id"]]
    # Seeing is not acting: the co-op admin cannot ship a household's part.
    part = seen["seller_orders"][0]["id"]
    r = w.coop_admin.api.post(f"/seller-orders/{part}/ship")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    # and cannot cancel the buyer's order
    assert w.coop_admin.api.post(f"/orders/{order['id']}/cancel").status_code == 403


def test_seller_orders_list_is_for_households(app, shop):
    r = shop.buyer.api.get("/seller/orders")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert shop.buyer.api.get("/seller/orders?status=teleported").status_code == 422


def test_orders_list_filters_by_status_and_pages(app, shop):
    first = _place(shop, [(shop.lychee["id"], 1)])
    _place(shop, [(shop.lychee["id"], 1)])
    assert shop.buyer.api.post(f"/orders/{first['id']}/cancel").status_code == 200
    page = shop.buyer.api.get("/orders?status=cancelled").get_json()
    assert page["total"] == 1 and page["items"][0]["id"] == first["id"]
    page = shop.buyer.api.get("/orders?per_page=1&page=2").get_json()
    assert page["total"] == 2 and page["items"][0]["id"] == first["id"]  # newest first
    assert shop.buyer.api.get("/orders?per_page=500").status_code == 422


def test_order_list_runs_a_constant_number_of_queries(app, shop):
    for _ in range(3):
        _place(shop, [(shop.lychee["id"], 1), (shop.longan["id"], 1)])
    counts = {}
    with recorded_statements(app) as statements:
        for per_page in (1, 3):
            statements.clear()
            r = shop.buyer.api.get(f"/orders?per_page={per_page}")
            assert r.status_code == 200 and len(r.get_json()["items"]) == per_page
            counts[per_page] = len(statements)
    assert counts[1] == counts[3], counts


# ---- state machines -----------------------------------------------------------------------


def test_transition_tables_are_the_designed_ones():
    assert ORDER_TRANSITIONS == {
        ("awaiting_payment", "pay"): "paid",
        ("awaiting_payment", "fail"): "payment_failed",
        ("awaiting_payment", "expire"): "expired",
        ("placed", "complete"): "completed",
        ("paid", "complete"): "completed",
        ("placed", "cancel"): "cancelled",
        ("paid", "cancel"): "cancelled",
    }
    assert SELLER_ORDER_TRANSITIONS == {
        ("pending", "confirm"): "confirmed",
        ("confirmed", "ship"): "shipped",
        ("shipped", "deliver"): "delivered",
        ("pending", "cancel"): "cancelled",
        ("confirmed", "cancel"): "cancelled",
        ("confirmed", "miss_ship_by"): "cancelled",
        ("shipped", "refuse"): "refused",
        ("pending", "pre_order"): "pre_ordered",
        ("pre_ordered", "confirm"): "confirmed",
        ("pre_ordered", "cancel"): "cancelled",
    }


def test_households_ship_and_deliver_and_cash_is_collected_on_the_last_delivery(app, shop):
    order = _place(shop, [(shop.lychee["id"], 2), (shop.longan["id"], 1)])
    parts = {so["seller"]["id"]: so["id"] for so in order["seller_orders"]}
    mine, theirs = parts[shop.household.seller["id"]], parts[shop.other_household.seller["id"]]

    r = shop.household.api.post(f"/seller-orders/{mine}/deliver")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    r = shop.household.api.post(
        f"/seller-orders/{mine}/ship", {"carrier": "Giao Hàng Nhanh", "tracking_number": "GHN123"}
    )
    assert r.status_code == 200, r.get_json()
    shipped = r.get_json()
    assert shipped["status"] == "shipped" and shipped["carrier"] == "Giao Hàng Nhanh"
    assert shipped["tracking_number"] == "GHN123" and shipped["shipped_at"]
    assert shop.household.api.post(f"/seller-orders/{mine}/ship").status_code == 409
    r = shop.household.api.post(f"/seller-orders/{mine}/deliver")
    assert r.status_code == 200 and r.get_json()["status"] == "delivered"
    assert r.get_json()["order"]["status"] == "placed"
    assert r.get_json()["order"]["payment"]["status"] == "pending_collection"
    # Nobody ships another household's part.
    assert shop.household.api.post(f"/seller-orders/{theirs}/ship").status_code == 404
    assert shop.other_household.api.post(f"/seller-orders/{theirs}/ship").status_code == 200
    r = shop.other_household.api.post(f"/seller-orders/{theirs}/deliver")
    assert r.status_code == 200
    final = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert final["status"] == "completed"
    assert final["payment"]["status"] == "collected"
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order["id"]))
        assert payment.collected_vnd == order["total_vnd"]
    # Delivered and completed: nothing can be cancelled any more.
    assert shop.buyer.api.post(f"/orders/{order['id']}/cancel").status_code == 409
    r = shop.household.api.post(f"/seller-orders/{mine}/cancel", {"reason": "Hết hàng"})
    assert r.status_code == 409


def test_buyer_cancels_a_cash_order_and_the_stock_comes_back(app, shop):
    order = _place(shop, [(shop.lychee["id"], 4), (shop.longan["id"], 3)])
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel", {"reason": "Đặt nhầm số lượng"})
    assert r.status_code == 200, r.get_json()
    cancelled = r.get_json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["payment"]["status"] == "cancelled"
    assert {so["status"] for so in cancelled["seller_orders"]} == {"cancelled"}
    assert stock_of(app, shop.lychee["id"]) == 100
    assert stock_of(app, shop.longan["id"]) == 20
    again = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"
    assert stock_of(app, shop.lychee["id"]) == 100


def test_buyer_cannot_cancel_once_a_part_has_shipped(app, shop):
    order = _place(shop, [(shop.lychee["id"], 1), (shop.longan["id"], 1)])
    mine = next(
        so["id"]
        for so in order["seller_orders"]
        if so["seller"]["id"] == shop.household.seller["id"]
    )
    assert shop.household.api.post(f"/seller-orders/{mine}/ship").status_code == 200
    r = shop.buyer.api.post(f"/orders/{order['id']}/cancel")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    assert stock_of(app, shop.lychee["id"]) == 99
    assert shop.buyer.api.get(f"/orders/{order['id']}").get_json()["status"] == "placed"


def test_household_cancels_its_part_and_only_its_stock_comes_back(app, shop):
    order = _place(shop, [(shop.lychee["id"], 5), (shop.longan["id"], 2)])
    mine = next(
        so["id"]
        for so in order["seller_orders"]
        if so["seller"]["id"] == shop.household.seller["id"]
    )
    assert shop.household.api.post(f"/seller-orders/{mine}/cancel", {}).status_code == 422
    r = shop.household.api.post(f"/seller-orders/{mine}/cancel", {"reason": "Mưa đá làm hỏng vải"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "cancelled"
    assert r.get_json()["cancel_reason"] == "Mưa đá làm hỏng vải"
    assert stock_of(app, shop.lychee["id"]) == 100
    assert stock_of(app, shop.longan["id"]) == 18
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "placed"
    # The other household's part goes on; its delivery completes the order.
    theirs = next(so for so in view["seller_orders"] if so["id"] != mine)
    shop.other_household.api.post(f"/seller-orders/{theirs['id']}/ship")
    shop.other_household.api.post(f"/seller-orders/{theirs['id']}/deliver")
    final = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert final["status"] == "completed" and final["payment"]["status"] == "collected"


def test_when_every_household_cancels_the_order_is_cancelled(app, shop):
    order = _place(shop, [(shop.lychee["id"], 1)])
    part = order["seller_orders"][0]["id"]
    r = shop.household.api.post(f"/seller-orders/{part}/cancel", {"reason": "Hết hàng"})
    assert r.status_code == 200
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["status"] == "cancelled" and view["payment"]["status"] == "cancelled"
    with app.app_context():
        assert db.session.get(SellerOrder, part).cancelled_at is not None
        assert len(db.session.scalars(select(OrderLine)).all()) == 1  # history kept


def test_platform_admin_sees_every_order_whole(app, shop):
    order = _place(shop, [(shop.lychee["id"], 1), (shop.longan["id"], 1)])
    seen = shop.world.admin.api.get(f"/orders/{order['id']}").get_json()
    assert len(seen["seller_orders"]) == 2
    assert shop.world.admin.api.get("/orders").get_json()["total"] == 1


def test_notes_and_names_are_stored_verbatim_not_interpreted(app, shop):
    tricky = "'; DROP TABLE orders; -- <script>alert('Đà Nẵng')</script> 🍈"
    body = order_body([(shop.lychee["id"], 1)], note=tricky)
    body["shipping_address"]["recipient_name"] = "Nguyễn Thị Ánh Tuyết"
    order = shop.buyer.api.post("/orders", body).get_json()
    view = shop.buyer.api.get(f"/orders/{order['id']}").get_json()
    assert view["note"] == tricky
    assert view["shipping_address"]["recipient_name"] == "Nguyễn Thị Ánh Tuyết"
    with app.app_context():
        assert db.session.get(Order, order["id"]).note == tricky


def test_selling_out_takes_the_product_out_of_in_stock_search_results(app, api, shop):
    def found(in_stock):
        r = api.get(f"/search?q=nhãn&in_stock={in_stock}")
        assert r.status_code == 200
        return [p["id"] for p in r.get_json()["items"]]

    assert found("true") == [shop.longan["id"]]
    _place(shop, [(shop.longan["id"], 19)])
    assert found("true") == [shop.longan["id"]]  # one left
    _place(shop, [(shop.longan["id"], 1)])
    assert found("true") == [] and found("false") == [shop.longan["id"]]
    order = shop.buyer.api.get("/orders?per_page=1").get_json()["items"][0]
    assert shop.buyer.api.post(f"/orders/{order['id']}/cancel").status_code == 200
    assert found("true") == [shop.longan["id"]]  # back in stock


# Every column of what a checkout writes, as stored (SQL NULL and JSON null told apart), less the
# ids, order number and clock times: what the unit-of-work flush wrote before checkout wrote
# these rows with Core INSERTs (marketplace/core_insert.py).
_WRITTEN = {
    "orders": "SELECT status, payment_method, items_total_vnd, shipping_total_vnd, total_vnd, "
    "shipping_address IS NULL, note IS NULL, expires_at IS NULL "
    "FROM orders WHERE id = :order_id",
    "seller_orders": "SELECT status, subtotal_vnd, commission_vnd, cod_remittance_id IS NULL, "
    "shipping_fee_vnd, delivery_method_id IS NULL, delivery IS NULL, CAST(delivery AS TEXT), "
    "ship_by IS NULL, promised_by IS NULL, ship_by_reminded_at IS NULL, refused_at IS NULL, "
    "carrier IS NULL, tracking_number IS NULL, cancel_reason IS NULL, shipped_at IS NULL, "
    "delivered_at IS NULL, cancelled_at IS NULL "
    "FROM seller_orders WHERE order_id = :order_id ORDER BY id",
    "order_lines": "SELECT l.name, l.unit, l.unit_price_vnd, l.quantity, l.line_total_vnd, "
    "l.pre_ordered_quantity IS NULL, l.catch_weight, l.actual_weight_g IS NULL "
    "FROM order_lines l JOIN seller_orders s ON s.id = l.seller_order_id "
    "WHERE s.order_id = :order_id ORDER BY l.id",
    "payments": "SELECT method, status, amount_vnd, currency, provider_id IS NULL, "
    "payment_method_id IS NULL, next_action IS NULL, failure_code IS NULL, "
    "failure_message IS NULL, refunded_vnd, collected_vnd, reference IS NULL, "
    "amount_received_vnd, deposit_vnd IS NULL, deposit_paid_at IS NULL "
    "FROM payments WHERE order_id = :order_id",
    "stock_movements": "SELECT delta, reason LIKE 'Order NS-%', resulting_quantity, "
    "actor_id IS NULL FROM stock_movements WHERE order_id = :order_id ORDER BY id",
}


def test_checkout_writes_every_column_as_the_unit_of_work_did(app, shop):
    r = shop.buyer.api.post(
        "/orders",
        order_body([(shop.lychee["id"], 2), (shop.longan["id"], 1), (shop.rice["id"], 2)]),
    )
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        written = {
            table: [
                tuple(row)
                for row in db.session.execute(sa_text(query), {"order_id": r.get_json()["id"]})
            ]
            for table, query in _WRITTEN.items()
        }
    # Two households, no delivery methods in their co-op: `delivery` is JSON null, a column never
    # set (payments.next_action) SQL NULL.
    so = (True, 0, True, False, "null", False) + (True,) * 9
    assert written == {
        "orders": [("placed", "cod", 210_000, 0, 210_000, False, True, True)],
        "seller_orders": [("confirmed", 150_000, 7_500, *so), ("confirmed", 60_000, 3_000, *so)],
        "order_lines": [
            ("Vải thiều Thanh Hà loại 1", "kg", 45_000, 2, 90_000, True, False, True),
            ("Gạo ST25 Sóc Trăng", "kg", 30_000, 2, 60_000, True, False, True),
            ("Nhãn lồng Hưng Yên", "kg", 60_000, 1, 60_000, True, False, True),
        ],
        "payments": [
            ("cod", "pending_collection", 210_000, "vnd", True, True, True, True, True, 0, 0)
            + (True, 0, True, True)
        ],
        "stock_movements": [(-2, True, 98, True), (-2, True, 48, True), (-1, True, 19, True)],
    }
