"""POST /payments/stripe/webhook: verified, stored once under the event id, then handled.

The event row is inserted in the transaction that handles it: a second delivery of the same event
(even concurrent: the UNIQUE constraint makes it wait for the first, then fail) changes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import BadRequest, PaymentsUnavailable
from ..extensions import db
from ..orders import services as orders
from . import services as payments
from .models import Payment, WebhookEvent
from .signature import verify_signature

log = logging.getLogger("marketplace.payments")

HANDLED_TYPES = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


def receive(body: bytes, signature: str | None) -> dict[str, Any]:
    """Verify, de-duplicate and handle one delivery; returns the acknowledgement body."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise PaymentsUnavailable("Webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
    verify_signature(body, signature, secret)
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The event is not valid JSON.") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"]:
        raise BadRequest("The event has no id.")
    event_id, event_type = event["id"][:255], str(event.get("type") or "")[:100]
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None

    record = WebhookEvent(event_id=event_id, type=event_type, outcome="received")
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return {"received": True, "duplicate": True, "outcome": "already handled"}
    if event_type not in HANDLED_TYPES or not isinstance(obj, dict):
        record.outcome = "ignored"
    elif event_type == "charge.refunded":
        record.outcome = _charge_refunded(obj)
    else:
        record.outcome = _intent_event(obj)
    db.session.flush()
    return {"received": True, "duplicate": False, "outcome": record.outcome}


def _payment_for_intent(intent_id: Any, metadata: Any) -> Payment | None:
    if isinstance(intent_id, dict):  # an expanded object
        intent_id = intent_id.get("id")
    if isinstance(intent_id, str) and intent_id:
        payment = db.session.scalar(select(Payment).where(Payment.provider_id == intent_id))
        if payment is not None:
            return payment
    # An intent created but never recorded (the provider answered too late): our metadata.
    raw = (metadata or {}).get("payment_id") if isinstance(metadata, dict) else None
    if isinstance(raw, str) and raw.isdigit() and int(raw) < 2**31:
        payment = db.session.get(Payment, int(raw))
        if (
            payment is not None
            and payment.method == "card"
            and payment.provider_id in (None, intent_id)
        ):
            return payment
    return None


def _intent_event(intent: dict[str, Any]) -> str:
    payment = _payment_for_intent(intent.get("id"), intent.get("metadata"))
    if payment is None:
        return "unknown payment"
    order = orders.lock_order(payment.order_id)
    before = order.status
    if intent.get("status") == "succeeded" or intent.get("status") in (
        "requires_payment_method",
        "canceled",
    ):
        orders.apply_intent(order, intent)
    elif before == "awaiting_payment":
        payments.record_intent(order.payment, intent)
    if before != order.status:
        return f"order {before} -> {order.status}"
    if order.payment.refunds and any(
        r.scope.startswith("late-payment") for r in order.payment.refunds
    ):
        return f"order {order.status}; late payment refunded"
    return f"order {order.status}; nothing to do"


def _charge_refunded(charge: dict[str, Any]) -> str:
    payment = _payment_for_intent(charge.get("payment_intent"), charge.get("metadata"))
    if payment is None:
        return "unknown payment"
    orders.lock_order(payment.order_id)
    amount = charge.get("amount_refunded")
    if isinstance(amount, int) and not isinstance(amount, bool) and amount >= 0:
        payments.record_provider_refunds(payment, amount)
    return f"payment {payment.status}, refunded {payment.refunded_vnd}"
