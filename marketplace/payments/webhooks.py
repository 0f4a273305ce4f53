"""POST /payments/stripe/webhook: verified, stored once under the event id, then handled.

The event row is inserted in the transaction that handles it: a second delivery of the same event
(even concurrent: the UNIQUE constraint makes it wait for the first, then fail) changes nothing.
What an event does to orders is registered by the orders package (``handles``): payments never
import orders.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import BadRequest, PaymentsUnavailable
from ..extensions import db
from .models import Payment, WebhookEvent
from .signature import verify_signature

log = logging.getLogger("marketplace.payments")

# event type → handler(object) → outcome text; filled by the packages that act on events.
HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {}


def handles(*event_types: str):
    """Register the function that acts on these event types (one per type)."""

    def register(handler: Callable[[dict[str, Any]], str]):
        for event_type in event_types:
            HANDLERS[event_type] = handler
        return handler

    return register


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
    if not _storable(event["id"]) or not _storable(str(event.get("type") or "")):
        raise BadRequest("The event id or type is not valid text.")
    event_id, event_type = event["id"][:255], str(event.get("type") or "")[:100]
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None

    record = WebhookEvent(event_id=event_id, type=event_type, outcome="received")
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return {"received": True, "duplicate": True, "outcome": "already handled"}
    handler = HANDLERS.get(event_type)
    record.outcome = handler(obj)[:200] if handler and isinstance(obj, dict) else "ignored"
    db.session.flush()
    return {"received": True, "duplicate": False, "outcome": record.outcome}


def _storable(text: str) -> bool:
    """Text a database can keep: valid UTF-8 (no lone surrogates) and no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def payment_for_intent(intent_id: Any, metadata: Any) -> Payment | None:
    """Our card payment behind a PaymentIntent: by its recorded id, else by our metadata (an
    intent created but never recorded, or a second intent for the same payment)."""
    if isinstance(intent_id, dict):  # an expanded object
        intent_id = intent_id.get("id")
    if isinstance(intent_id, str) and intent_id:
        payment = db.session.scalar(select(Payment).where(Payment.provider_id == intent_id))
        if payment is not None:
            return payment
    raw = (metadata or {}).get("payment_id") if isinstance(metadata, dict) else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and int(raw) < 2**31:
        payment = db.session.get(Payment, int(raw))
        if payment is not None and payment.method == "card":
            return payment
    return None
