"""How a product is sold: from stock, or pre-ordered from a forecast until its harvest; and
whether it is weighed at packing (catch weight).

A pre-order product has no stock of its own: its ``stock_quantity`` is what is left of its
allowance, ``floor(expected_quantity × pre_order_cap_pct / 100)`` minus what has been pre-ordered
(orders reserve it like any stock, through stock.py). The harvest (orders/preorders.py) moves it
to ``in_stock`` once, with the leftover as ordinary stock.
"""

from __future__ import annotations

from typing import Any

from ..auth.models import User
from ..clock import today_vn
from ..errors import InsufficientStock, ValidationError
from . import stock
from .models import Product

PRE_ORDER_FIELDS = ("expected_quantity", "pre_order_cap_pct", "deposit_pct")


def allowance(expected_quantity: int, cap_pct: int) -> int:
    """What may be pre-ordered in all: floor(expected × cap / 100)."""
    return expected_quantity * cap_pct // 100


def check_new_listing(data: dict[str, Any]) -> dict[str, list[str]]:
    """422 details for a new listing's sale mode and catch weight ({} when fine)."""
    errors: dict[str, list[str]] = _catch_weight_errors(
        data.get("unit"), data.get("catch_weight", False)
    )
    if data.get("sale_mode") == "pre_order":
        if "stock_quantity" in data:
            errors["stock_quantity"] = [
                "A pre-order has no stock: its allowance is a share of expected_quantity."
            ]
        if not data.get("expected_quantity"):
            errors["expected_quantity"] = ["Required for a pre-order, and more than 0."]
        start = data.get("harvest_start")
        if start is None or start <= today_vn():
            errors["harvest_start"] = ["A pre-order needs a harvest_start in the future."]
    else:
        if data.get("expected_quantity") is not None:
            errors["expected_quantity"] = ["Only for sale_mode pre_order."]
    return errors


def opening_stock(data: dict[str, Any]) -> int:
    """The stock a new listing opens with: its allowance for a pre-order."""
    if data.get("sale_mode") == "pre_order":
        return allowance(data["expected_quantity"], data.get("pre_order_cap_pct", 70))
    return data.get("stock_quantity") or 0


def check_edit(product: Product, changes: dict[str, Any]) -> None:
    """422 when ``changes`` (PATCH) do not fit how ``product`` is sold."""
    errors = _catch_weight_errors(
        changes.get("unit", product.unit), changes.get("catch_weight", product.catch_weight)
    )
    if "sale_mode" in changes and changes["sale_mode"] != product.sale_mode:
        errors["sale_mode"] = [
            "The sale mode is chosen when the product is listed; recording the harvest ends a "
            "pre-order."
        ]
    if product.sale_mode == "pre_order":
        if "stock_quantity" in changes:
            errors["stock_quantity"] = [
                "A pre-order's stock is what is left of its allowance; change expected_quantity."
            ]
        if "harvest_start" in changes and (
            changes["harvest_start"] is None or changes["harvest_start"] <= today_vn()
        ):
            errors["harvest_start"] = ["A pre-order needs a harvest_start in the future."]
    else:
        for name in ("expected_quantity", "pre_order_cap_pct"):
            if name in changes:
                errors[name] = ["Only for a pre-order not yet harvested."]
    if errors:
        raise ValidationError(details=errors)


def apply_allowance_change(
    product: Product, changes: dict[str, Any], reason: str, actor: User | None
) -> None:
    """A new forecast or cap moves the allowance, and the stock (what is left of it) with it;
    409 insufficient_stock when more has been pre-ordered than the new allowance."""
    if product.sale_mode != "pre_order":
        return
    if "expected_quantity" not in changes and "pre_order_cap_pct" not in changes:
        return
    before = allowance(product.expected_quantity or 0, product.pre_order_cap_pct)
    after = allowance(
        changes.get("expected_quantity", product.expected_quantity or 0),
        changes.get("pre_order_cap_pct", product.pre_order_cap_pct),
    )
    if after == before:
        return
    try:
        stock.adjust_stock(product, after - before, reason, actor)
    except InsufficientStock as short:
        raise InsufficientStock(
            "More has been pre-ordered than this forecast would allow.",
            {"allowance": after, "pre_ordered": before - product.stock_quantity},
        ) from short


def _catch_weight_errors(unit: str | None, catch_weight: bool) -> dict[str, list[str]]:
    if catch_weight and unit != "kg":
        return {"catch_weight": ["Only a product sold by the kg can be priced by its weight."]}
    return {}
