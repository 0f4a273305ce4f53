"""An order as a household or a co-op admin sees it: only their seller orders, and the amounts of
those parts only (never the other households' parts, the whole order's total or its payment).

These wrap the models; the schemas in schemas.py dump them like the models themselves.
"""

from __future__ import annotations

from typing import Any

from .models import Order, SellerOrder


def _part_total(seller_order: SellerOrder) -> int:
    return seller_order.subtotal_vnd + (getattr(seller_order, "shipping_fee_vnd", 0) or 0)


class PaymentPart:
    """The payment of an order, limited to some of its seller orders."""

    def __init__(self, order: Order, parts: list[SellerOrder]):
        self._payment = order.payment
        self._parts = parts
        ids = {so.id for so in parts}
        whole = [r for r in self._payment.refunds if r.seller_order_id is None]
        refunded = sum(r.amount_vnd for r in self._payment.refunds if r.seller_order_id in ids)
        if whole:  # a whole-order refund gave back every part that was still open then
            refunded += sum(_part_total(so) for so in parts if so.status == "cancelled")
        self.amount_vnd = sum(_part_total(so) for so in parts)
        self.refunded_vnd = min(refunded, self.amount_vnd)
        # A bank transfer's reference, code and money received are the buyer's business.
        self.amount_due_vnd = self.amount_vnd
        self.reference = None
        self.amount_received_vnd = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._payment, name)


class OrderPart:
    """An order limited to some of its seller orders."""

    def __init__(self, order: Order, parts: list[SellerOrder]):
        self._order = order
        self.seller_orders = parts
        self.items_total_vnd = sum(so.subtotal_vnd for so in parts)
        self.total_vnd = sum(_part_total(so) for so in parts)
        self.payment = PaymentPart(order, parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._order, name)


class SellerOrderPart:
    """A household's seller order with the order it belongs to, as the household sees it."""

    def __init__(self, seller_order: SellerOrder):
        self._seller_order = seller_order
        self.order = OrderPart(seller_order.order, [seller_order])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._seller_order, name)
