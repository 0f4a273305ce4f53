"""POST /orders as one unit of work, with the commits the card flow needs.

Cash on delivery is a single transaction. A card checkout is three short ones, so that no row lock
is held while the provider is called:
  1. reserve the stock and write the order (`awaiting_payment`) and a `pending` payment; commit;
  2. create and confirm the PaymentIntent (network; Idempotency-Key from the payment's id);
  3. lock the order, apply the provider's answer (paid / requires_action / declined → stock back);
     commit. A provider that cannot be reached releases the stock too (502).

With an `Idempotency-Key`, a row UNIQUE on (user, key) is committed first: a concurrent duplicate
fails that insert and is answered from the row (409 while in progress, the stored answer after).
The answer (201 or 402, which both leave an order behind) is stored with the order in the last
transaction; any other failure deletes the row, so the same key may be retried. A card checkout
links the row to its order in its first commit. A row still in progress after ABANDONED_AFTER
belongs to a process that died: a retry then claims the key again (no order was written) or is
answered with the linked order as it stands (its stock expires or its payment's webhook settles it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..clock import utcnow
from ..errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InsufficientStock,
    PaymentDeclined,
    PaymentProviderError,
    ValidationError,
)
from ..extensions import db
from ..payments import services as payments
from ..payments.stripe_client import StripeClient
from . import services
from .models import IdempotencyRecord
from .schemas import OrderSchema

_order_schema = OrderSchema()
# A key still in progress after this long belongs to a request whose process died: no request
# lives longer (gunicorn's timeout is 30 s; the payment provider's calls time out well before).
ABANDONED_AFTER = dt.timedelta(minutes=10)


def _key_is(user_id: int, key: str):
    """The condition naming one buyer's Idempotency-Key row."""
    return (IdempotencyRecord.user_id == user_id) & (IdempotencyRecord.key == key)


def fingerprint(body: Any) -> str:
    """SHA-256 of the JSON body in canonical form (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _claim(user_id: int, key: str, print_: str, *, retry: bool = True) -> tuple[int, dict] | None:
    """Insert the key (committed at once); None when we own it, else the earlier answer.

    Raises IdempotencyKeyReused (other body) or IdempotencyInProgress (not finished yet).
    """
    db.session.add(IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_))
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
    earlier = db.session.scalar(select(IdempotencyRecord).where(_key_is(user_id, key)))
    if earlier is None:  # the first request failed and let the key go meanwhile
        raise IdempotencyInProgress()
    if earlier.fingerprint != print_:
        raise IdempotencyKeyReused()
    if earlier.status == "done":
        return earlier.response_status or 201, earlier.response_body or {}
    if utcnow() - earlier.created_at < ABANDONED_AFTER or not retry:
        raise IdempotencyInProgress()
    return _recover(earlier, user_id, key, print_)


def _recover(
    abandoned: IdempotencyRecord, user_id: int, key: str, print_: str
) -> tuple[int, dict] | None:
    """A key in progress for longer than any request can live: its process died.

    Without an order (it died before writing one) the key is released and claimed again. With one
    (a card checkout that died after its first commit) the answer is that order as it stands now.
    """
    if abandoned.order_id is None:
        # Only the abandoned row: a concurrent retry that already replaced it keeps its own.
        db.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == abandoned.id, IdempotencyRecord.status == "in_progress"
            )
        )
        db.session.commit()
        return _claim(user_id, key, print_, retry=False)
    order = services.lock_order(abandoned.order_id)
    body = _order_schema.dump(services.order_view(order))
    _store(user_id, key, 201, body, order.id)
    db.session.commit()
    return 201, body


def _store(user_id: int, key: str | None, status: int, body: dict, order_id: int) -> None:
    if key is None:
        return
    record = db.session.scalar(select(IdempotencyRecord).where(_key_is(user_id, key)))
    if record is not None:
        record.status = "done"
        record.response_status = status
        record.response_body = body
        record.order_id = order_id


def forget_keys(older_than: dt.timedelta) -> int:
    """Delete the Idempotency-Key records made before ``older_than`` ago (`flask orders
    forget-keys`); a request that reuses such a key is a new request. Returns how many."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - older_than)
    )
    return result.rowcount or 0


def _link(user_id: int, key: str | None, order_id: int) -> None:
    if key is not None:
        db.session.execute(
            update(IdempotencyRecord).where(_key_is(user_id, key)).values(order_id=order_id)
        )


def _release_key(user_id: int, key: str | None) -> None:
    if key is None:
        return
    db.session.rollback()
    db.session.execute(
        delete(IdempotencyRecord).where(
            _key_is(user_id, key),
            IdempotencyRecord.status == "in_progress",
        )
    )
    db.session.commit()


def checkout(
    buyer: User, data: dict[str, Any], raw_body: Any, key: str | None
) -> tuple[int, dict[str, Any]]:
    """Place an order; returns (HTTP status, JSON body): 201 with the order, or 402 declined."""
    buyer_id = buyer.id
    # Card payments without a configured provider: 503 before anything is written.
    client = payments.provider() if data["payment_method"] == "card" else None
    if key is not None:
        earlier = _claim(buyer_id, key, fingerprint(raw_body))
        if earlier is not None:
            return earlier
    try:
        if client is None:
            return _cash_on_delivery(buyer, data, key)
        return _card(client, buyer, data, key)
    except Exception:
        # No order was written (validation, stock, provider down…): the key may be used again.
        _release_key(buyer_id, key)
        raise


def _place(buyer: User, data: dict):
    """place_order(); when stock is short because overdue unpaid orders still hold it, expire
    those (committed on their own) and try once more."""
    try:
        return services.place_order(buyer, data)
    except InsufficientStock as short:
        db.session.rollback()
        product_ids = [item["product_id"] for item in (short.details or {}).get("items", [])]
        if not product_ids or not services.expire_overdue_holding(product_ids):
            raise
        db.session.commit()
    return services.place_order(buyer, data)


def _cash_on_delivery(buyer: User, data: dict, key: str | None) -> tuple[int, dict]:
    order = _place(buyer, data)
    body = _order_schema.dump(services.order_view(order))
    _store(buyer.id, key, 201, body, order.id)
    db.session.commit()
    return 201, body


def _card(client: StripeClient, buyer: User, data: dict, key: str | None) -> tuple[int, dict]:
    buyer_id = buyer.id
    order = _place(buyer, data)
    order_id, order_number, payment = order.id, order.number, order.payment
    intent_args = {
        "payment_id": payment.id,
        "amount": payment.amount_vnd,
        "payment_method_id": payment.payment_method_id or "",
        "order_id": order_id,
        "order_number": order_number,
    }
    _link(buyer_id, key, order_id)  # so that a retry after a crash finds this order
    db.session.commit()  # 1: stock held, order awaiting payment

    try:
        intent = payments.create_intent(client, **intent_args)  # 2: no lock held
    except PaymentDeclined as declined:
        order = services.lock_order(order_id)  # 3
        if order.status == "awaiting_payment":
            payments.record_declined_error(order.payment, declined)
            services.mark_payment_failed(order)
        return _declined(buyer_id, key, order, declined.details or {})
    except PaymentProviderError as failure:
        unknown_card = _unknown_payment_method(failure)
        order = services.lock_order(order_id)  # 3: give the stock back, then 502 (or 422)
        if order.status == "awaiting_payment":
            payments.record_decline(
                order.payment,
                "invalid_payment_method" if unknown_card else "provider_error",
                failure.message,
            )
            services.mark_payment_failed(order)
        _release_and_commit_without_key(buyer_id, key)
        if unknown_card:
            raise ValidationError(
                "The payment provider does not know this payment method.",
                {"card": {"payment_method_id": ["Unknown payment method."]}},
            ) from None
        raise

    order = services.lock_order(order_id)  # 3
    outcome = services.apply_intent(order, intent)
    if outcome == "declined":
        return _declined(
            buyer_id,
            key,
            order,
            {"decline_code": order.payment.failure_code, "provider_message": None},
        )
    body = _order_schema.dump(services.order_view(order))
    _store(buyer_id, key, 201, body, order.id)
    db.session.commit()
    return 201, body


def _unknown_payment_method(failure: PaymentProviderError) -> bool:
    """The provider refused the buyer's payment_method id (a Stripe-shaped 404, or a 400 naming
    that parameter): the buyer's mistake, not an outage."""
    status = getattr(failure, "provider_status", None)
    if getattr(failure, "provider_type", None) != "invalid_request_error":
        return False
    return status == 404 or (
        status == 400 and getattr(failure, "provider_param", None) == "payment_method"
    )


def _release_and_commit_without_key(user_id: int, key: str | None) -> None:
    """Commit the failed order; the key is let go so the buyer may retry with it."""
    if key is not None:
        db.session.execute(delete(IdempotencyRecord).where(_key_is(user_id, key)))
    db.session.commit()


def _declined(user_id: int, key: str | None, order, details: dict) -> tuple[int, dict]:
    error = PaymentDeclined(
        details={
            "decline_code": details.get("decline_code") or "card_declined",
            "provider_message": details.get("provider_message"),
            "order_id": order.id,
            "order_number": order.number,
        }
    )
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    _store(user_id, key, 402, body, order.id)
    db.session.commit()
    return 402, body
