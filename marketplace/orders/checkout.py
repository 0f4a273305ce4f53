"""POST /orders: place an order and take its payment; returns a domain outcome, not HTTP.

Cash on delivery and bank transfer are a single unit of work (the request's). A card checkout is the one documented
exception to "one request, one transaction": three short transactions, so that no row lock is
held while the provider is called:
  1. reserve the stock and write the order (`awaiting_payment`) and a `pending` payment; commit;
  2. create the PaymentIntent, then confirm it (network; no transaction open);
  3. lock the order, apply the provider's answer (paid / requires_action / declined → stock back);
     commit. A provider that cannot be reached releases the stock too (502).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.models import User
from ..errors import InsufficientStock, PaymentDeclined, PaymentProviderError, ValidationError
from ..payments import bank_transfer
from ..payments import services as payments
from ..payments.stripe_client import StripeClient
from ..unit_of_work import rollback, transaction
from . import idempotency, preorders, services
from .models import Order


@dataclass
class Checkout:
    """What a checkout left behind: an order, and why its card was declined when it was."""

    order: Order
    declined: dict[str, Any] | None = None


def checkout(
    buyer: User,
    data: dict[str, Any],
    *,
    key: str | None = None,
    expected_prices: Mapping[int, int] | None = None,
) -> Checkout:
    """Place an order for ``buyer`` and pay for it (card) or leave it to be paid on delivery.

    ``key``: the request's Idempotency-Key, linked to a card order in its first commit.
    Raises like place_order (422, 409) and, for cards, PaymentsUnavailable (503, before anything
    is written), PaymentProviderError (502, the stock released) or ValidationError (an unknown
    payment method id). A declined card is an outcome: the order is `payment_failed`.
    """
    # Card payments without a configured provider, bank transfers without the receiving account:
    # 503 before anything is written.
    if data["payment_method"] == "bank_transfer":
        bank_transfer.require_available()
    client = payments.provider() if data["payment_method"] == "card" else None
    if client is None:  # cash on delivery or bank transfer: one unit of work, no provider call
        return Checkout(_place(buyer, data, expected_prices))
    return _card(client, buyer, data, key, expected_prices)


def _place(buyer: User, data: dict, expected_prices) -> Order:
    """place_order(); when stock is short because overdue unpaid orders still hold it, expire
    those (committed on their own) and try once more."""
    try:
        return services.place_order(buyer, data, expected_prices)
    except InsufficientStock as short:
        rollback()
        product_ids = [item["product_id"] for item in (short.details or {}).get("items", [])]
        if not product_ids:
            raise
        with transaction():
            expired = services.expire_overdue_holding(product_ids)
        if not expired:
            raise
    return services.place_order(buyer, data, expected_prices)


def _card(
    client: StripeClient, buyer: User, data: dict, key: str | None, expected_prices
) -> Checkout:
    with transaction():  # 1: stock held, order awaiting payment
        order = _place(buyer, data, expected_prices)
        order_id, payment = order.id, order.payment
        charge = {
            "payment_id": payment.id,
            "amount": payment.amount_vnd,
            "payment_method_id": payment.payment_method_id or "",
            "order_id": order_id,
            "order_number": order.number,
        }
        idempotency.link(buyer.id, key, order_id)  # a retry after a crash finds this order

    try:
        intent = payments.charge_card(client, **charge)  # 2: no transaction open
    except PaymentDeclined as declined:
        with transaction():  # 3
            order = services.lock_order(order_id)
            if order.status == "awaiting_payment":
                payments.record_declined_error(order.payment, declined)
                services.mark_payment_failed(order)
        details = declined.details or {}
        return Checkout(order, _declined(details.get("decline_code"), details))
    except PaymentProviderError as failure:
        unknown_card = _unknown_payment_method(failure)
        with transaction():  # 3: give the stock back, then 502 (or 422)
            order = services.lock_order(order_id)
            if order.status == "awaiting_payment":
                payments.record_decline(
                    order.payment,
                    "invalid_payment_method" if unknown_card else "provider_error",
                    failure.message,
                )
                services.mark_payment_failed(order)
        if unknown_card:
            raise ValidationError(
                "The payment provider does not know this payment method.",
                {"card": {"payment_method_id": ["Unknown payment method."]}},
            ) from None
        raise

    with transaction():  # 3
        order = services.lock_order(order_id)
        outcome = services.apply_intent(order, intent)
    if outcome == "declined":
        return Checkout(order, _declined(order.payment.failure_code, {}))
    preorders.refuse_if_harvested_meanwhile(order)  # its deposit was refunded in step 3
    return Checkout(order)


def _declined(code: str | None, details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "decline_code": code or "card_declined",
        "provider_message": details.get("provider_message"),
    }


def _unknown_payment_method(failure: PaymentProviderError) -> bool:
    """The provider refused the buyer's payment_method id (a Stripe-shaped 404, or a 400 naming
    that parameter): the buyer's mistake, not an outage."""
    status = getattr(failure, "provider_status", None)
    if getattr(failure, "provider_type", None) != "invalid_request_error":
        return False
    return status == 404 or (
        status == 400 and getattr(failure, "provider_param", None) == "payment_method"
    )


def declined_error(result: Checkout) -> PaymentDeclined:
    """The 402 a declined checkout answers, naming the order it left behind."""
    return PaymentDeclined(
        details={
            **(result.declined or {}),
            "order_id": result.order.id,
            "order_number": result.order.number,
        }
    )
