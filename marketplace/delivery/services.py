"""Delivery methods, their fees and which are offered to a household's part of an order.

The rules (DESIGN "Delivery and freshness"; decisions in docs/delivery.md):
- fee = base + per_kg × ceil(weight_g / 1000), or 0 when `free_over_vnd` is set and the
  subtotal reaches it;
- offered: the active methods of the household's co-op that serve the shipping province (pickup
  serves every province: the buyer comes to the collection point) and whose lead time fits within
  the shortest shelf life of the part's lines (the cold shelf life for cold-chain methods);
- a household left out of `deliveries` gets its cheapest offered method; a co-op without active
  methods delivers "as arranged with the household" (no method, fee 0).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..catalogue.models import Category, Product
from ..clock import utcnow
from ..coops import services as coops
from ..coops.models import Coop
from ..coops.services import get_coop
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..places import check_place, is_province
from ..sellers.models import Seller
from .models import DeliveryMethod

# ---- methods ------------------------------------------------------------------------------


def active_methods(coop_id: int) -> list[DeliveryMethod]:
    """GET /coops/{id}/delivery-methods: the co-op's active methods, pickup first, by name."""
    return list(
        db.session.scalars(
            select(DeliveryMethod)
            .where(DeliveryMethod.coop_id == coop_id, DeliveryMethod.active.is_(True))
            .order_by(DeliveryMethod.kind.desc(), DeliveryMethod.name, DeliveryMethod.id)
        )
    )


def all_methods(coop_id: int) -> list[DeliveryMethod]:
    """The co-op console's list: active ones first, deactivated ones kept for history."""
    return list(
        db.session.scalars(
            select(DeliveryMethod)
            .where(DeliveryMethod.coop_id == coop_id)
            .order_by(
                DeliveryMethod.active.desc(),
                DeliveryMethod.kind.desc(),
                DeliveryMethod.name,
                DeliveryMethod.id,
            )
        )
    )


METHODS_FOR_ADMINS = "Only this co-op's admins can manage its delivery methods."


def require_coop_admin(user: User, coop: Coop) -> None:
    coops.require_coop_admin(user, coop.id, METHODS_FOR_ADMINS)


def method_of_coop(user: User, coop_id: int, method_id: int) -> None:
    """The route's check: the co-op exists (404), the caller administers it (403), the method is
    one of its own (404)."""
    get_method_for(user, get_coop(coop_id), method_id)


def get_method_for(user: User, coop: Coop, method_id: int) -> DeliveryMethod:
    """A method of this co-op (deactivated ones too) for one of its admins: 403 for others, 404
    for a method of another co-op."""
    require_coop_admin(user, coop)
    method = db.session.scalar(
        select(DeliveryMethod).where(
            DeliveryMethod.id == method_id, DeliveryMethod.coop_id == coop.id
        )
    )
    if method is None:
        raise NotFound("No such delivery method.")
    return method


def _check_method(values: dict[str, Any]) -> None:
    """Field errors of a method as a whole (places exist, a pickup has its address)."""
    errors: dict[str, Any] = {}
    unknown = {
        index: [f"{code} is not a province code (34 provinces since 2025)."]
        for index, code in enumerate(values.get("provinces") or [])
        if not is_province(code)
    }
    if unknown:
        errors["provinces"] = unknown
    address = values.get("pickup_address")
    if values["kind"] == "pickup" and not address:
        errors["pickup_address"] = ["Required for a pickup method."]
    elif address:
        place_errors = check_place(address["province_code"], address["ward_code"])
        if place_errors:
            errors["pickup_address"] = place_errors
    if errors:
        raise ValidationError(details=errors)


def create_method(user: User, coop: Coop, data: dict[str, Any]) -> DeliveryMethod:
    """A co-op admin adds a delivery method to the co-op (active at once)."""
    require_coop_admin(user, coop)
    _check_method(data)
    method = DeliveryMethod(
        coop_id=coop.id,
        kind=data["kind"],
        name=data["name"],
        pickup_address=dict(data["pickup_address"]) if data.get("pickup_address") else None,
        provinces=sorted(set(data.get("provinces") or [])),
        base_fee_vnd=data["base_fee_vnd"],
        per_kg_fee_vnd=data["per_kg_fee_vnd"],
        free_over_vnd=data.get("free_over_vnd"),
        lead_time_hours=data["lead_time_hours"],
        cold_chain=data["cold_chain"],
        active=True,
    )
    db.session.add(method)
    db.session.flush()
    return method


FIELDS = (
    "kind",
    "name",
    "pickup_address",
    "provinces",
    "base_fee_vnd",
    "per_kg_fee_vnd",
    "free_over_vnd",
    "lead_time_hours",
    "cold_chain",
)


def update_method(method: DeliveryMethod, changes: dict[str, Any]) -> DeliveryMethod:
    """Change a method (found by get_method_for); seller orders placed before keep the name and
    fee they were given."""
    values = {name: getattr(method, name) for name in FIELDS}
    values.update(changes)
    if "pickup_address" in changes and changes["pickup_address"] is not None:
        values["pickup_address"] = dict(changes["pickup_address"])
    if "provinces" in changes:
        values["provinces"] = sorted(set(changes["provinces"] or []))
    _check_method(values)
    for name in FIELDS:
        setattr(method, name, values[name])
    db.session.flush()
    return method


def deactivate_method(method: DeliveryMethod) -> None:
    """DELETE (found by get_method_for): no longer offered; seller orders that used it keep it."""
    method.active = False
    db.session.flush()


# ---- fees and offers ----------------------------------------------------------------------


def shipping_fee(method: DeliveryMethod, weight_g: int, subtotal_vnd: int) -> int:
    """base + per_kg × started kilograms; free from `free_over_vnd` on."""
    if method.free_over_vnd is not None and subtotal_vnd >= method.free_over_vnd:
        return 0
    return method.base_fee_vnd + method.per_kg_fee_vnd * math.ceil(weight_g / 1000)


def ship_within() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["SHIP_WITHIN_HOURS"])


@dataclass(frozen=True)
class Option:
    method: DeliveryMethod
    fee_vnd: int
    promised_by: dt.datetime


@dataclass
class Part:
    """One household's part of a basket: what delivery needs to know about it."""

    seller: Seller
    subtotal_vnd: int = 0
    weight_g: int = 0
    shelf_life_hours: int | None = None
    cold_shelf_life_hours: int | None = None
    options: list[Option] = field(default_factory=list)
    coop_has_methods: bool = False
    chosen: Option | None = None

    def add(self, product: Product, quantity: int) -> None:
        self.subtotal_vnd += product.unit_price_vnd * quantity
        self.weight_g += product.unit_weight_g * quantity
        self.shelf_life_hours = _shortest(self.shelf_life_hours, product.shelf_life_hours)
        self.cold_shelf_life_hours = _shortest(
            self.cold_shelf_life_hours, product.cold_shelf_life_hours
        )

    def fits(self, method: DeliveryMethod) -> bool:
        limit = self.cold_shelf_life_hours if method.cold_chain else self.shelf_life_hours
        return limit is None or method.lead_time_hours <= limit


def _shortest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _load_categories(products: Iterable[Product]) -> None:
    """The products' categories (their shelf lives) in one statement, not one per category."""
    products = [p for p in products if "category" in inspect(p).unloaded]
    if not products:
        return
    ids = {p.category_id for p in products}
    categories = {c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_(ids)))}
    for product in products:
        set_committed_value(product, "category", categories[product.category_id])


def parts_of(items: Iterable[dict], products: dict[int, Product]) -> dict[int, Part]:
    """The basket's lines grouped by household, in the order the items came."""
    _load_categories(products.values())
    parts: dict[int, Part] = {}
    for item in items:
        product = products[item["product_id"]]
        part = parts.get(product.seller_id)
        if part is None:
            part = parts[product.seller_id] = Part(seller=product.seller)
        part.add(product, item["quantity"])
    return parts


def offer(parts: dict[int, Part], province_code: int, now: dt.datetime | None = None) -> None:
    """Fill each part's offered options, cheapest first. Each co-op's active methods come loaded
    with the products (``Coop.active_delivery_methods``: checkout's locking read and the quote
    read both join them)."""
    now = now or utcnow()
    ship_by = now + ship_within()
    for part in parts.values():
        of_coop = part.seller.coop.active_delivery_methods
        part.coop_has_methods = bool(of_coop)
        part.options = sorted(
            (
                Option(
                    method,
                    shipping_fee(method, part.weight_g, part.subtotal_vnd),
                    ship_by + dt.timedelta(hours=method.lead_time_hours),
                )
                for method in of_coop
                if method.serves(province_code) and part.fits(method)
            ),
            key=lambda o: (o.fee_vnd, o.method.lead_time_hours, o.method.id),
        )


def choose(parts: dict[int, Part], choices: list[dict]) -> None:
    """Apply the buyer's `deliveries` (cheapest offered for households left out).

    422 when a choice names a household not in the order or a method not offered to it, and when
    nothing is offered to a household whose co-op has methods (`details.deliveries`).
    """
    errors: dict[Any, Any] = {}
    chosen: dict[int, int] = {}
    for index, choice in enumerate(choices or []):
        part = parts.get(choice["seller_id"])
        if part is None:
            errors[index] = {"seller_id": ["This household has nothing in the order."]}
            continue
        option = next((o for o in part.options if o.method.id == choice["method_id"]), None)
        if option is None:
            errors[index] = {
                "method_id": ["This delivery method is not offered for this household's part."]
            }
            continue
        chosen[choice["seller_id"]] = choice["method_id"]
    for seller_id, part in parts.items():
        if seller_id in chosen:
            part.chosen = next(o for o in part.options if o.method.id == chosen[seller_id])
        elif part.options:
            part.chosen = part.options[0]
        elif part.coop_has_methods:
            errors[f"seller_{seller_id}"] = [
                f"No delivery method of {part.seller.display_name}'s co-op can bring these "
                "products to this address before they spoil."
            ]
    if errors:
        raise ValidationError(
            "No delivery method is offered for part of the order.", {"deliveries": errors}
        )


def plan(
    items: list[dict],
    products: dict[int, Product],
    province_code: int,
    choices: list[dict] | None,
    now: dt.datetime | None = None,
) -> dict[int, Part]:
    """Parts of the basket with their offered options and the chosen one (see choose())."""
    parts = parts_of(items, products)
    offer(parts, province_code, now)
    choose(parts, choices or [])
    return parts


def delivery_snapshot(option: Option | None) -> dict[str, Any] | None:
    """What a seller order keeps of its method (the method may be renamed or deactivated)."""
    if option is None:
        return None
    method = option.method
    return {
        "method_id": method.id,
        "kind": method.kind,
        "name": method.name,
        "cold_chain": method.cold_chain,
        "lead_time_hours": method.lead_time_hours,
    }


@dataclass(frozen=True)
class Quote:
    """What a basket would cost to deliver: each household's part with its offered options."""

    parts: dict[int, Part]

    @property
    def items_total_vnd(self) -> int:
        return sum(part.subtotal_vnd for part in self.parts.values())

    @property
    def seller_orders(self) -> list[Part]:
        return list(self.parts.values())
