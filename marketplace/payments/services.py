"""Payment records and the calls to the provider that change them.

Card payments: one Payment per order, created `pending` before the provider is called (its id
derives the provider Idempotency-Key and is in the PaymentIntent's metadata), then moved along
PAYMENTS (models.py) from what the PaymentIntent says. Cash on delivery: `pending_collection` until
the households deliver. Refunds are rows with a UNIQUE scope, so the same thing is never refunded
twice even though localstripe ignores idempotency keys.

This package never imports orders at run time (orders use payments, not the other way round).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import current_app

from ..errors import PaymentDeclined, PaymentProviderError
from ..extensions import db
from .models import PAYMENTS, Payment, Refund
from .stripe_client import (
    DECLINED,
    SUCCEEDED,
    StripeClient,
    decline_details,
    intent_outcome,
)
from .vietqr import bank_reference

if TYPE_CHECKING:
    from ..orders.models import Order, SellerOrder

CURRENCY = "vnd"  # zero-decimal: amounts are sent as the VND integer


def provider() -> StripeClient:
    """The configured provider client; PaymentsUnavailable (503) without STRIPE_SECRET_KEY."""
    return StripeClient.from_config(current_app.config)


def payment_for(order: Order, method: str, payment_method_id: str | None = None) -> Payment:
    """The payment record of a new order, not yet in the session (checkout writes it with
    core_insert)."""
    return Payment(
        order=order,
        method=method,
        status="pending_collection" if method == "cod" else "pending",
        amount_vnd=order.total_vnd,
        currency=CURRENCY,
        payment_method_id=payment_method_id,
        refunded_vnd=0,
        collected_vnd=0,
        # A bank transfer names its order by this text (NS-261207-KC2NP5A → NS261207KC2NP5A).
        reference=bank_reference(order.number) if method == "bank_transfer" else None,
        amount_received_vnd=0,
    )


def charge_card(
    client: StripeClient,
    *,
    payment_id: int,
    amount: int,
    payment_method_id: str,
    order_id: int,
    order_number: str,
) -> dict[str, Any]:
    """Create the PaymentIntent of payment ``payment_id``, then confirm that one intent.

    Plain values: the caller has committed and holds no row locks while the provider is called.
    The intent is created unconfirmed, so a create that timed out and was retried (a provider that
    ignores Idempotency-Key makes a second intent) can never charge twice: only the intent it
    answered is confirmed, and a confirm that timed out is retried on that same intent, then
    read back. An intent confirmed elsewhere is refunded by the webhook (refund_stray_intent).

    Returns the intent; a decline raises PaymentDeclined carrying the intent id.
    """
    intent = client.create_payment_intent(
        amount=amount,
        currency=CURRENCY,
        payment_method=payment_method_id,
        metadata={
            "order_id": str(order_id),
            "order_number": order_number,
            "payment_id": str(payment_id),
        },
        idempotency_key=f"pi-create-{payment_id}",
        confirm=False,
    )
    intent_id = intent["id"]
    try:
        return client.confirm_payment_intent(intent_id, idempotency_key=f"pi-confirm-{payment_id}")
    except PaymentDeclined as declined:
        declined.provider_payment_intent_id = intent_id  # type: ignore[attr-defined]
        raise
    except PaymentProviderError:
        # The confirm may have gone through before the answer was lost: ask how the intent is.
        settled = client.retrieve_payment_intent(intent_id)
        if settled.get("status") in ("requires_confirmation", "requires_payment_method") and not (
            settled.get("last_payment_error")
        ):
            raise
        return settled


def record_intent(payment: Payment, intent: Mapping[str, Any]) -> str:
    """Move ``payment`` to what the intent says; returns intent_outcome(intent)."""
    outcome = intent_outcome(intent)
    if intent.get("id") and not payment.provider_id:
        payment.provider_id = intent["id"]
    if outcome == SUCCEEDED:
        PAYMENTS.move(payment, "succeed", next_action=None)
    elif outcome == DECLINED:
        details = decline_details(intent)
        record_decline(payment, details["decline_code"], details["provider_message"])
    elif outcome == "requires_action":
        PAYMENTS.move(
            payment, "require_action", next_action=dict(intent.get("next_action") or {}) or None
        )
    else:
        PAYMENTS.move(payment, "process")
    return outcome


def record_decline(payment: Payment, code: str | None, message: str | None) -> None:
    PAYMENTS.move(
        payment,
        "fail",
        next_action=None,
        failure_code=(code or "card_declined")[:100],
        failure_message=message,
    )


def record_declined_error(payment: Payment, declined: PaymentDeclined) -> None:
    intent_id = getattr(declined, "provider_payment_intent_id", None)
    if intent_id and not payment.provider_id:
        payment.provider_id = intent_id
    details = declined.details or {}
    record_decline(payment, details.get("decline_code"), details.get("provider_message"))


def close_unpaid(payment: Payment, action: str) -> None:
    """The order stopped waiting for this payment (``fail`` or ``expire``); a payment already
    failed or expired stays as it is."""
    if PAYMENTS.allows(payment.status, action):
        PAYMENTS.move(payment, action, next_action=None)


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

    The database changes come first: the Refund row (its UNIQUE scope refuses a second refund of
    the same thing) and the payment's refunded amount, moved as a compare-and-set on the amount
    this transaction read, so two refunds racing on one payment cannot both be recorded (nor both
    reach the provider). Then the provider is called with an Idempotency-Key derived from the
    scope; a provider failure raises PaymentProviderError and the caller's unit of work rolls
    back (the row and the amount included).
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
    _add_refunded(payment, payment.refunded_vnd + amount)
    answer = provider().create_refund(
        payment_intent=payment.provider_id,
        amount=amount,
        idempotency_key=f"refund-{scope}",
        metadata={"order_id": str(payment.order_id), "refund_id": str(record.id)},
    )
    record.provider_id = answer.get("id")
    record.status = "succeeded" if answer.get("status") in ("succeeded", None) else answer["status"]
    db.session.flush()
    return record


def refund_stray_intent(payment: Payment, intent: Mapping[str, Any]) -> Refund | None:
    """A PaymentIntent of ours (its metadata names ``payment``) that charged the buyer but is not
    the payment's intent (a retried create or confirm that a provider without idempotency turned
    into a second charge): refund all of it, once, and record it on the payment."""
    intent_id = str(intent.get("id") or "")
    amount = intent.get("amount_received") or intent.get("amount") or 0
    if not intent_id or intent_id == payment.provider_id or not isinstance(amount, int):
        return None
    scope = f"stray-{intent_id}"[:64]
    if db.session.query(Refund.id).filter_by(scope=scope).first() is not None:
        return None
    record = Refund(
        payment=payment,
        scope=scope,
        amount_vnd=amount,
        status="pending",
        reason=f"A second charge ({intent_id}) for the same payment",
    )
    db.session.add(record)
    db.session.flush()
    answer = provider().create_refund(
        payment_intent=intent_id,
        amount=amount,
        idempotency_key=f"refund-{scope}",
        metadata={"order_id": str(payment.order_id), "refund_id": str(record.id)},
    )
    record.provider_id = answer.get("id")
    record.status = "succeeded" if answer.get("status") in ("succeeded", None) else answer["status"]
    db.session.flush()
    return record


def record_provider_refunds(payment: Payment, amount_refunded: int) -> None:
    """`charge.refunded`: the provider's total wins when it knows of more (a dashboard refund)."""
    if payment.method != "card" or amount_refunded <= payment.refunded_vnd:
        return
    if payment.status not in ("succeeded", "partially_refunded"):
        return
    _add_refunded(payment, min(amount_refunded, payment.amount_vnd))


def _add_refunded(payment: Payment, refunded_vnd: int) -> None:
    """Record that ``refunded_vnd`` in all has gone back: a compare-and-set on the amount read."""
    PAYMENTS.move(
        payment,
        "refund_all" if refunded_vnd >= payment.amount_vnd else "refund_part",
        guard={"refunded_vnd": payment.refunded_vnd},
        refunded_vnd=refunded_vnd,
    )
