"""Hostile input on the money path (marketplace/payments/, web/shop.py: the lead engineer's files).

These are the issue #14 finding 9 cases that live in those files: a lone surrogate in a webhook's
event id and non-ASCII digits where the cart expects a quantity are a 4xx, never a 500.
"""

from __future__ import annotations

import json

import pytest

from marketplace.payments.signature import sign_payload
from tests.factories import build_world, new_product
from tests.web import browser

WEBHOOK = "/api/v1/payments/stripe/webhook"
SECRET = "whsec_hostile"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "STRIPE_WEBHOOK_SECRET": SECRET}


def deliver(api, event: dict):
    body = json.dumps(event).encode()
    return api.client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign_payload(body, SECRET)},
    )


def test_a_signed_event_whose_id_is_a_lone_surrogate_is_refused(api):
    r = deliver(api, {"id": "evt_\ud800", "type": "payment_intent.succeeded", "data": {}})
    assert r.status_code in (400, 422) and r.is_json


def test_a_signed_event_whose_payment_id_is_a_superscript_is_ignored(api):
    intent = {"id": "pi_unknown", "status": "succeeded", "metadata": {"payment_id": "²"}}
    r = deliver(
        api, {"id": "evt_sup", "type": "payment_intent.succeeded", "data": {"object": intent}}
    )
    assert r.status_code == 200


def test_a_cart_quantity_in_superscript_digits_is_refused_not_500(app, api):
    quantity = "²"  # str.isdigit() says yes, int() says no
    world = build_world(app, api)
    product = new_product(world.household, world.coop_admin)
    page = browser(app, world.buyer.user["email"])
    r = page.post("/cart/items", {"product_id": str(product["id"]), "quantity": quantity})
    assert r.status_code < 500
    r = page.post(f"/cart/items/{product['id']}", {"quantity": quantity})
    assert r.status_code < 500
