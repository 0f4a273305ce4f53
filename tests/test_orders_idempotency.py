"""Idempotency-Key on POST /orders: one order per key and body, whatever the retries and races."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt

import pytest
import requests
from sqlalchemy import select

from marketplace.clock import utcnow
from marketplace.extensions import db
from marketplace.orders.idempotency import fingerprint
from marketplace.orders.models import IdempotencyRecord, Order
from marketplace.payments.models import Payment
from tests.conftest import pg_only
from tests.factories import new_user
from tests.orders_helpers import build_shop, order_body, order_count, stock_of
from tests.payments_fixtures import CARD_DECLINED, CARD_OK, TEST_SECRET_KEY


@pytest.fixture
def app_config(app_config, stripe_config):
    return {**app_config, **stripe_config}


@pytest.fixture
def shop(app, api):
    return build_shop(app, api)


def post(actor, body, key):
    return actor.api.post("/orders", body, headers={"Idempotency-Key": key})


def intents_for(stripe_config, order_number: str) -> list[dict]:
    """Every PaymentIntent localstripe holds for this order number (paging through all)."""
    found, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        r = requests.get(
            f"{stripe_config['STRIPE_API_BASE']}/v1/payment_intents",
            params=params,
            headers={"Authorization": f"Bearer {TEST_SECRET_KEY}"},
            timeout=10,
        )
        r.raise_for_status()
        page = r.json()
        found += [
            pi for pi in page["data"] if pi.get("metadata", {}).get("order_number") == order_number
        ]
        if not page.get("has_more") or not page["data"]:
            return found
        after = page["data"][-1]["id"]


def test_same_key_and_body_gives_the_same_order_and_answer(app, shop):
    body = order_body([(shop.lychee["id"], 2)])
    first = post(shop.buyer, body, "đơn-1".encode().hex())
    second = post(shop.buyer, body, "đơn-1".encode().hex())
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert order_count(app) == 1
    assert stock_of(app, shop.lychee["id"]) == 98


def test_key_order_and_spacing_of_the_body_do_not_matter(app, shop):
    body = order_body([(shop.lychee["id"], 1)])
    reordered = dict(reversed(list(body.items())))
    first = post(shop.buyer, body, "k-order")
    second = post(shop.buyer, reordered, "k-order")
    assert second.status_code == 201 and second.get_json()["id"] == first.get_json()["id"]
    assert order_count(app) == 1


def test_same_key_with_another_body_is_refused(app, shop):
    assert post(shop.buyer, order_body([(shop.lychee["id"], 1)]), "k-1").status_code == 201
    r = post(shop.buyer, order_body([(shop.lychee["id"], 3)]), "k-1")
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "idempotency_key_reused"
    assert order_count(app) == 1 and stock_of(app, shop.lychee["id"]) == 99


def test_keys_belong_to_one_buyer(app, api, shop):
    other = new_user(api, "Lý Thị Hạnh")
    body = order_body([(shop.lychee["id"], 1)])
    a = post(shop.buyer, body, "chung")
    b = post(other, body, "chung")
    assert a.status_code == b.status_code == 201
    assert a.get_json()["id"] != b.get_json()["id"]
    # Neither sees the other's order through the replay.
    assert other.api.get(f"/orders/{a.get_json()['id']}").status_code == 404


def test_a_key_in_flight_answers_409(app, shop):
    body = order_body([(shop.lychee["id"], 1)])
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                user_id=shop.buyer.id,
                key="k-busy",
                fingerprint=fingerprint(body),
                status="in_progress",
            )
        )
        db.session.commit()
    r = post(shop.buyer, body, "k-busy")
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "idempotency_in_progress"
    assert order_count(app) == 0


def test_a_failed_attempt_lets_the_key_be_used_again(app, shop):
    body = order_body([(shop.longan["id"], 25)])
    r = post(shop.buyer, body, "k-retry")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "insufficient_stock"
    shop.other_household.api.post(
        f"/products/{shop.longan['id']}/stock-adjustments", {"delta": 10, "reason": "Thu hoạch"}
    )
    r = post(shop.buyer, body, "k-retry")
    assert r.status_code == 201, r.get_json()
    assert stock_of(app, shop.longan["id"]) == 5


def test_a_declined_card_is_replayed_not_charged_again(app, shop, stripe_config):
    body = order_body([(shop.lychee["id"], 1)], "card", CARD_DECLINED)
    first = post(shop.buyer, body, "k-declined")
    second = post(shop.buyer, body, "k-declined")
    assert first.status_code == second.status_code == 402
    assert first.get_json() == second.get_json()
    number = first.get_json()["error"]["details"]["order_number"]
    assert order_count(app) == 1
    assert len(intents_for(stripe_config, number)) == 1


@pytest.mark.parametrize("key", ["", "a" * 256, "có dấu", "two words"])
def test_malformed_keys_are_refused(app, shop, key):
    r = post(shop.buyer, order_body([(shop.lychee["id"], 1)]), key)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert order_count(app) == 0


@pg_only()
def test_twenty_concurrent_requests_with_one_key_make_one_order_and_one_payment_intent(
    app, shop, stripe_config
):
    body = order_body([(shop.lychee["id"], 3)], "card", CARD_OK)

    def send(_):
        client = app.test_client()
        return client.post(
            "/api/v1/orders",
            json=body,
            headers={"Authorization": f"Bearer {shop.buyer.token}", "Idempotency-Key": "k-race"},
        )

    with cf.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, statuses
    created = [a.get_json() for a in answers if a.status_code == 201]
    assert created and len({o["id"] for o in created}) == 1
    for a in answers:
        if a.status_code == 409:
            assert a.get_json()["error"]["code"] == "idempotency_in_progress"
    with app.app_context():
        assert len(db.session.scalars(select(Order)).all()) == 1
        assert len(db.session.scalars(select(Payment)).all()) == 1
    assert stock_of(app, shop.lychee["id"]) == 97
    assert len(intents_for(stripe_config, created[0]["number"])) == 1
    # After the race, the key replays the order.
    again = send(0)
    assert again.status_code == 201 and again.get_json() == created[0]


def _abandoned(
    app, shop, key: str, body: dict, order_id: int | None = None, minutes: int = 11
) -> None:
    """A key left in progress ``minutes`` ago (by default, by a process that died)."""
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                user_id=shop.buyer.id,
                key=key,
                fingerprint=fingerprint(body),
                status="in_progress",
                order_id=order_id,
                created_at=utcnow() - dt.timedelta(minutes=minutes),
            )
        )
        db.session.commit()


def test_a_key_abandoned_before_any_order_is_written_can_be_retried(app, shop):
    body = order_body([(shop.lychee["id"], 2)])
    _abandoned(app, shop, "k-crashed", body)
    r = post(shop.buyer, body, "k-crashed")
    assert r.status_code == 201, r.get_json()
    assert order_count(app) == 1 and stock_of(app, shop.lychee["id"]) == 98
    again = post(shop.buyer, body, "k-crashed")
    assert again.status_code == 201 and again.get_json() == r.get_json()
    assert order_count(app) == 1


def test_a_key_abandoned_after_its_card_order_was_written_answers_that_order(app, shop):
    # A card checkout commits the order (and links the key) before it calls the provider; the
    # process died there. The retry must not reserve stock or charge a second time.
    body = order_body([(shop.lychee["id"], 3)], "card", CARD_OK)
    first = post(shop.buyer, order_body([(shop.lychee["id"], 3)], "card", CARD_OK), "k-first")
    assert first.status_code == 201, first.get_json()
    _abandoned(app, shop, "k-died", body, order_id=first.get_json()["id"])
    r = post(shop.buyer, body, "k-died")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["id"] == first.get_json()["id"]
    assert order_count(app) == 1 and stock_of(app, shop.lychee["id"]) == 97
    with app.app_context():
        record = db.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.key == "k-died")
        )
        assert record.status == "done" and record.response_status == 201


def test_a_card_checkout_links_its_key_to_the_order_before_calling_the_provider(app, shop):
    r = post(shop.buyer, order_body([(shop.lychee["id"], 1)], "card", CARD_OK), "k-linked")
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        record = db.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.key == "k-linked")
        )
        assert record.order_id == r.get_json()["id"]


def test_a_key_in_progress_for_less_than_the_limit_still_answers_409(app, shop):
    body = order_body([(shop.lychee["id"], 1)])
    _abandoned(app, shop, "k-slow", body, minutes=9)
    assert post(shop.buyer, body, "k-slow").status_code == 409
    assert order_count(app) == 0


def test_old_keys_are_forgotten_by_the_cli_and_recent_ones_kept(app, shop):
    body = order_body([(shop.lychee["id"], 1)])
    assert post(shop.buyer, body, "k-recent").status_code == 201
    _abandoned(app, shop, "k-last-week", body, minutes=8 * 24 * 60)
    result = app.test_cli_runner().invoke(args=["orders", "forget-keys", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "forgot 1 idempotency key older than 7 days" in result.output
    with app.app_context():
        keys = db.session.scalars(select(IdempotencyRecord.key)).all()
    assert keys == ["k-recent"]
    # the recent key still replays its order
    assert post(shop.buyer, body, "k-recent").status_code == 201
    assert order_count(app) == 1
    refused = app.test_cli_runner().invoke(args=["orders", "forget-keys", "--days", "0"])
    assert refused.exit_code == 2 and "0" in refused.output
