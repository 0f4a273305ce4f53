"""Weighed (catch-weight) lines: fruit sold by the crate, priced by the weight found at packing.

A ``kg`` product with ``catch_weight`` is ordered at an estimated quantity (kg). Shipping its
seller order needs the packed weight of each such line (``POST /seller-orders/{id}/ship``
``lines: [{product_id, actual_weight_g}]``), within ±10 % of the ordered weight (quantity ×
1000 g). The line total becomes ``round_half_up(unit_price_vnd × actual_weight_g / 1000)`` and the
seller order's subtotal and the order's totals follow (the amount collected for cash on delivery
too). A card order paid in full is never charged more: a heavier line keeps the total it was
paid; a lighter one is refunded the difference (one Refund, scope ``weighed-<seller order id>``:
at the provider for a card, owed back by hand for a bank transfer, orders/refunds.py). A pre-order pays the rest on delivery, so its weighed total is
what it owes; only what its deposit paid beyond that total is refunded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ValidationError
from ..money import services as money
from . import preorders, refunds
from .models import Order, OrderLine, SellerOrder

TOLERANCE_PCT = 10
GRAMS_PER_KG = 1000


def weighed_total_vnd(unit_price_vnd: int, actual_weight_g: int) -> int:
    """round_half_up(price per kg × grams / 1000), in integer VND."""
    return (unit_price_vnd * actual_weight_g * 2 + GRAMS_PER_KG) // (2 * GRAMS_PER_KG)


def weight_range_g(quantity: int) -> tuple[int, int]:
    """The weights accepted for ``quantity`` kg ordered: ±10 %, bounds included."""
    ordered = quantity * GRAMS_PER_KG
    return (
        ordered * (100 - TOLERANCE_PCT) // 100,
        ordered * (100 + TOLERANCE_PCT) // 100,
    )


def weighed_line_total(line: OrderLine, actual_weight_g: int, *, prepaid: bool) -> int:
    """The line's new total; a line paid in full is capped at what was paid for it."""
    total = weighed_total_vnd(line.unit_price_vnd, actual_weight_g)
    return min(total, line.line_total_vnd) if prepaid else total


def check_can_ship(seller_order: SellerOrder, lines: Sequence[dict[str, Any]] | None) -> None:
    """422 unless ``lines`` weighs every catch-weight line of the seller order, each within the
    tolerance, and nothing else."""
    lines = list(lines or [])
    by_product = {line.product_id: line for line in seller_order.lines}
    errors: dict[int, dict[str, list[str]]] = {}
    seen: set[int] = set()
    for index, given in enumerate(lines):
        line = by_product.get(given["product_id"])
        if line is None:
            errors[index] = {"product_id": ["Not a line of this seller order."]}
        elif not line.catch_weight:
            errors[index] = {"product_id": ["This line is not priced by weight."]}
        elif given["product_id"] in seen:
            errors[index] = {"product_id": ["Each line is weighed once."]}
        else:
            low, high = weight_range_g(line.quantity)
            if not low <= given["actual_weight_g"] <= high:
                errors[index] = {
                    "actual_weight_g": [
                        f"Must be within ±{TOLERANCE_PCT} % of the {line.quantity * GRAMS_PER_KG}"
                        f" g ordered ({low}–{high} g)."
                    ]
                }
        seen.add(given["product_id"])
    missing = sorted(
        line.product_id for line in seller_order.lines if line.catch_weight and line.product_id
    )
    missing = [pid for pid in missing if pid not in seen]
    details: dict[str, Any] = {}
    if errors:
        details["lines"] = errors
    elif missing:
        details["lines"] = [
            "Give actual_weight_g for every line priced by weight (product "
            + ", ".join(str(pid) for pid in missing)
            + ")."
        ]
    if details:
        raise ValidationError("The packed weights are needed to ship this part.", details)


def weigh(order: Order, seller_order: SellerOrder, lines: Sequence[dict[str, Any]] | None) -> None:
    """Price the catch-weight lines by their weights (checked by check_can_ship), let the totals
    follow, and refund a prepaid buyer what the lighter lines no longer cost."""
    weights = {given["product_id"]: given["actual_weight_g"] for given in lines or []}
    if not weights:
        return
    payment = order.payment
    deposit = payment.deposit_vnd is not None
    prepaid = payment.method != "cod" and not deposit
    change = 0
    for line in seller_order.lines:
        if line.product_id not in weights:
            continue
        new_total = weighed_line_total(line, weights[line.product_id], prepaid=prepaid)
        change += new_total - line.line_total_vnd
        line.actual_weight_g = weights[line.product_id]
        line.line_total_vnd = new_total
    seller_order.subtotal_vnd += change
    order.items_total_vnd += change
    order.total_vnd += change
    # the commission is recomputed on the weighed subtotal
    seller_order.commission_vnd = money.commission_for(
        seller_order.seller, seller_order.subtotal_vnd
    )
    if payment.method == "cod":
        payment.amount_vnd += change  # what is collected on delivery
        return
    # a deposit never pays for more than the weighed total
    kept = preorders.deposit_kept_vnd(payment)
    refund = -change if prepaid else kept - order.total_vnd
    if refund > 0:
        refunds.give_back(
            order,
            refund,
            scope=f"weighed-{seller_order.id}",
            seller_order=seller_order,
            reason="Lighter than ordered at packing",
        )
