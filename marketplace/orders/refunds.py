"""Money given back to the buyer of a prepaid order, whichever way it was paid.

A card is refunded at the provider (payments.services.refund); a bank transfer is refunded by hand,
so its amount is recorded as owed back (payments.bank_transfer.owe_back: a Refund row ``owed``
listed for the platform admin), never more than the platform keeps of what arrived. Either way the
``scope`` is UNIQUE: the same thing is never given back twice. Cash on delivery gives nothing back
(nothing was paid before delivery).
"""

from __future__ import annotations

from ..payments import bank_transfer
from ..payments import services as payments
from .models import Order, SellerOrder


def give_back(
    order: Order,
    amount: int,
    *,
    scope: str,
    seller_order: SellerOrder | None = None,
    reason: str | None = None,
) -> int:
    """Give ``amount`` back; the amount refunded (card) or recorded as owed (bank transfer)."""
    payment = order.payment
    if payment.method == "bank_transfer":
        owed = min(amount, bank_transfer.kept_vnd(payment))
        bank_transfer.owe_back(
            payment, owed, scope=scope, reason=reason or scope, seller_order=seller_order
        )
        return owed
    if payment.method == "card":
        payments.refund(payment, amount, scope=scope, seller_order=seller_order, reason=reason)
        return amount
    return 0
