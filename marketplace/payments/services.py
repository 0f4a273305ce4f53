"""Payment records and the calls to the provider that change them.

Card payments: one Payment per order, created `pending` before the provider is called (its id
derives the provider Idempotency-Key), then updated from the PaymentIntent. Cash on delivery:
`pending_collection` until the households deliver. Refunds are rows with a UNIQUE scope, so the same
thing is never refunded twice even though localstripe ignores idempotency keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from ..errors import PaymentDeclined
from ..extensions import db
from ..orders.models import Order, SellerOrder
from .models import Payment, Refund
from .stripe_client import (
    DECLINED,
    SUCCEEDED,
    StripeClient,
    decline_details,
    intent_outcome,
)

CURRENCY = "vnd"  # zero-decimal: amounts are sent as the VND integer


def provider() -> StripeClient:
    """The configured provider client; PaymentsUnavailable (503) without STRIPE_SECRET_KEY."""
    return StripeClient.from_config(current_app.config)


def new_payment(order: Order, method: str, payment_method_id: str | None = None) -> Payment:
    payment = Payment(
        order=order,
        method=method,
        status="pending" if method == "card" else "pending_collection",
        amount_vnd=order.total_vnd,
        currency=CURRENCY,
        payment_method_id=payment_method_id,
        refunded_vnd=0,
        collected_vnd=0,
    )
    db.session.add(payment)
    return payment


def create_intent(
    client: StripeClient,
    *,
    payment_id: int,
    amount: int,
    payment_method_id: str,
    order_id: int,
    order_number: str,
) -> dict[str, Any]:
    """Create and confirm the PaymentIntent of payment ``payment_id`` (plain values: the caller
    has committed and holds no row locks while the provider is called).

    Returns the intent; a decline at create time raises PaymentDeclined carrying the intent id
    when the provider named it. The Idempotency-Key derives from our payment record.
    """
    return client.create_payment_intent(
        amount=amount,
        currency=CURRENCY,
        payment_method=payment_method_id,
        metadata={
            "order_id": str(order_id),
            "order_number": order_number,
            "payment_id": str(payment_id),
        },
        idempotency_key=f"pi-create-{payment_id}",
    )


def record_intent(payment: Payment, intent: Mapping[str, Any]) -> str:
    """Copy what the intent says into ``payment``; returns intent_outcome(intent)."""
    outcome = intent_outcome(intent)
    if intent.get("id"):
        payment.provider_id = intent["id"]
    if outcome == SUCCEEDED:
        payment.status = "succeeded"
        payment.next_action = None
    elif outcome == DECLINED:
        details = decline_details(intent)
        record_decline(payment, details["decline_code"], details["provider_message"])
    elif outcome == "requires_action":
        payment.status = "requires_action"
        payment.next_action = dict(intent.get("next_action") or {}) or None
    else:
        payment.status = "processing"
    return outcome


def record_decline(payment: Payment, code: str | None, message: str | None) -> None:
    payment.status = "failed"
    payment.next_action = None
    payment.failure_code = (code or "card_declined")[:100]
    payment.failure_message = message


def record_declined_error(payment: Payment, declined: PaymentDeclined) -> None:
    intent_id = getattr(declined, "provider_payment_intent_id", None)
    if intent_id and not payment.provider_id:
        payment.provider_id = intent_id
    details = declined.details or {}
    record_decline(payment, details.get("decline_code"), details.get("provider_message"))


def refundable_vnd(payment: Payment) -> int:
    """What may still be refunded of a card payment that succeeded (0 otherwise)."""
    if payment.method != "card" or payment.provider_id is None:
        return 0
    if payment.status not in ("succeeded", "partially_refunded"):
        return 0
    return max(payment.amount_vnd - payment.refunded_vnd, 0)


def refund(
    payment: Payment,
    amount: int,
    *,
    scope: str,
    seller_order: SellerOrder | None = None,
    reason: str | None = None,
) -> Refund | None:
    """Give ``amount`` VND back through the provider's Refunds API and record it.

    The row is flushed first (its UNIQUE scope refuses a second refund of the same thing), then the
    provider is called with an Idempotency-Key derived from the scope; a provider failure raises
    PaymentProviderError and the caller's transaction (the row included) rolls back.
    """
    amount = min(amount, refundable_vnd(payment))
    if amount <= 0:
        return None
    record = Refund(
        payment=payment,
        seller_order=seller_order,
        scope=scope,
        amount_vnd=amount,
        status="pending",
        reason=reason,
    )
    db.session.add(record)
    db.session.flush()
    answer = provider().create_refund(
        payment_intent=payment.provider_id,
        amount=amount,
        idempotency_key=f"refund-{scope}",
        metadata={"order_id": str(payment.order_id), "refund_id": str(record.id)},
    )
    record.provider_id = answer.get("id")
    record.status = "succeeded" if answer.get("status") in ("succeeded", None) else answer["status"]
    payment.refunded_vnd += amount
    payment.status = (
        "refunded" if payment.refunded_vnd >= payment.amount_vnd else "partially_refunded"
    )
    db.session.flush()
    return record


def record_provider_refunds(payment: Payment, amount_refunded: int) -> None:
    """`charge.refunded`: the provider's total wins when it knows of more (a dashboard refund)."""
    if payment.method != "card" or amount_refunded <= payment.refunded_vnd:
        return
    payment.refunded_vnd = min(amount_refunded, payment.amount_vnd)
    if payment.status in ("succeeded", "partially_refunded"):
        payment.status = (
            "refunded" if payment.refunded_vnd >= payment.amount_vnd else "partially_refunded"
        )
