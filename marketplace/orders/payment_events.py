"""What the payment provider's events do to orders (registered with payments.webhooks).

The event body is only a hint: a signed event could still carry an amount, currency or status
that the provider does not hold (a replayed or forged test event, a misconfigured endpoint). The
PaymentIntent is read back from the provider and that answer is what moves the order; its amount
and currency must be the payment's.
"""

from __future__ import annotations

from typing import Any

from ..money import services as money
from ..payments import services as payments
from ..payments.models import CHARGED, Payment
from ..payments.webhooks import handles, payment_for_intent
from . import services as orders


def _intent_matches(payment: Payment, intent: dict[str, Any]) -> bool:
    return (
        intent.get("amount") == payment.amount_vnd
        and str(intent.get("currency") or "").lower() == payment.currency
    )


@handles("payment_intent.succeeded", "payment_intent.payment_failed")
def intent_event(hint: dict[str, Any]) -> str:
    payment = payment_for_intent(hint.get("id"), hint.get("metadata"))
    if payment is None:
        return "unknown payment"
    intent_id = hint.get("id") if isinstance(hint.get("id"), str) else None
    if not intent_id:
        return "no intent id"
    intent = payments.provider().retrieve_payment_intent(intent_id)
    order = orders.lock_order(payment.order_id)
    payment = order.payment
    if payment.provider_id and intent.get("id") != payment.provider_id:
        if (intent.get("metadata") or {}).get("order_number") != order.number:
            return "unknown payment"
        # A second intent of ours for the same payment charged the buyer: give that money back.
        if intent.get("status") == "succeeded":
            refund = payments.refund_stray_intent(payment, intent)
            return "second charge refunded" if refund else "second charge already refunded"
        return "another intent of this payment; nothing to do"
    if not _intent_matches(payment, intent):
        return "amount or currency differs from the payment; ignored"
    before = order.status
    if intent.get("status") in ("succeeded", "requires_payment_method", "canceled"):
        orders.apply_intent(order, intent)
    elif before == "awaiting_payment" and payment.status not in CHARGED:
        payments.record_intent(payment, intent)
    if before != order.status:
        return f"order {before} -> {order.status}"
    if any(r.scope.startswith("late-payment") for r in payment.refunds):
        return f"order {order.status}; late payment refunded"
    return f"order {order.status}; nothing to do"


@handles("charge.refunded")
def charge_refunded(charge: dict[str, Any]) -> str:
    payment = payment_for_intent(charge.get("payment_intent"), charge.get("metadata"))
    if payment is None:
        return "unknown payment"
    orders.lock_order(payment.order_id)
    intent = charge.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    if payment.provider_id and intent_id and intent_id != payment.provider_id:
        return "refund of another intent; nothing to do"
    amount = charge.get("amount_refunded")
    if isinstance(amount, int) and not isinstance(amount, bool) and amount >= 0:
        before = payment.refunded_vnd
        payments.record_provider_refunds(payment, amount)
        _refund_delivered_parts(payment.order, payment.refunded_vnd - before)
    return f"payment {payment.status}, refunded {payment.refunded_vnd}"


def _refund_delivered_parts(order, refunded_vnd: int) -> None:
    """A refund made at the provider (its dashboard) after delivery: the delivered seller orders
    give it back in id order, each up to its subtotal, with the commission on that part."""
    for seller_order in order.seller_orders:
        if refunded_vnd <= 0:
            return
        if seller_order.status == "delivered":
            part = min(refunded_vnd, seller_order.subtotal_vnd)
            money.record_refund(seller_order, part, "Refunded at the payment provider")
            refunded_vnd -= part
