"""Every change of a product's stock goes through this module.

Each change is one conditional UPDATE (``stock + delta >= 0``), so no concurrency can take stock
below zero, and each leaves a StockMovement row saying why. Reservations for orders lock the rows
in product-id order first (PostgreSQL ``FOR UPDATE``) so that a multi-item order is all or nothing
and concurrent orders cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..clock import utcnow
from ..errors import InsufficientStock
from ..extensions import db
from ..row_locks import for_update
from ..search.changes import products_changed
from .generation import LIVE_ONLY
from .models import Product, StockMovement


def _apply(
    product_id: int,
    delta: int,
    reason: str,
    actor: User | None,
    order_id: int | None,
    movements: list[dict] | None = None,
    also: Also | None = None,
) -> int | None:
    """Add ``delta`` to the stock unless that would go below 0; the new quantity, or None.

    ``movements``: the StockMovement row goes into this list (the caller inserts them all in one
    Core statement) instead of the session. ``also``: see reserve_stock."""
    changed = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock_quantity + delta >= 0)
        .values(stock_quantity=Product.stock_quantity + delta)
        .returning(Product.stock_quantity, *([also.expression] if also else [])),
        # Cached answers read the stock live (catalogue.response_cache): the UPDATE alone does
        # not move the catalogue generation…
        execution_options={"synchronize_session": False, LIVE_ONLY: True},
    ).first()
    if changed is None:
        return None
    new_quantity = changed[0]
    if also:
        also.values[product_id] = changed[1]
    if new_quantity == 0 or new_quantity == delta:
        # …but being in stock or not changes what the in_stock filter keeps: into or out of 0,
        # the product is re-indexed (the index knows only that, search.backend.Document.stock)
        # and the generation moves (products_changed). A sale that leaves stock does neither.
        products_changed([product_id])
    movement = {
        "product_id": product_id,
        "delta": delta,
        "reason": reason,
        "resulting_quantity": new_quantity,
        "actor_id": actor.id if actor else None,
        "order_id": order_id,
    }
    if movements is None:
        db.session.add(StockMovement(**movement))
    else:
        movements.append({**movement, "created_at": utcnow()})
    product = db.session.identity_map.get(db.session.identity_key(Product, product_id))
    if product is not None:
        set_committed_value(product, "stock_quantity", new_quantity)
    return new_quantity


@dataclass
class Also:
    """A column expression over the ``products`` row that each stock UPDATE of a reservation also
    returns, and the values it returned by product id."""

    expression: ColumnElement
    values: dict[int, Any] = field(default_factory=dict)


def adjust_stock(product: Product, delta: int, reason: str, actor: User | None = None) -> Product:
    """A household's manual correction (harvest came in, fruit spoiled …); 409 below zero."""
    if _apply(product.id, delta, reason, actor, None) is None:
        db.session.refresh(product, ["stock_quantity"])
        raise InsufficientStock(
            f"Only {product.stock_quantity} in stock; cannot remove {-delta}.",
            {"available": product.stock_quantity, "delta": delta},
        )
    db.session.flush()
    return product


def lock_rows(query) -> list[Row]:
    """Run a Product query with row locks taken in product-id order (no deadlocks between orders);
    its rows, the product first, then any columns the query adds. SQLite ignores the lock:
    reserve_stock's conditional UPDATEs keep stock from going below 0."""
    return list(
        db.session.execute(query.order_by(Product.id).with_for_update(of=Product)).unique()
    )  # a product comes once whatever collections were joined to it


def lock_products(query) -> dict[int, Product]:
    """lock_rows' products by id."""
    return {row[0].id: row[0] for row in lock_rows(query)}


def shortages(quantities: Mapping[int, int], products: Mapping[int, Product]) -> list[dict]:
    """``[{product_id, requested, available}]`` for the loaded products that have too little."""
    return [
        {"product_id": pid, "requested": quantities[pid], "available": products[pid].stock_quantity}
        for pid in sorted(quantities)
        if pid in products and products[pid].stock_quantity < quantities[pid]
    ]


def set_stock(product: Product, quantity: int, reason: str, actor: User | None = None) -> Product:
    """The owner states the stock outright (PATCH); kept as a movement of the difference.

    The row is locked first so that the difference is taken from the quantity really stored,
    not from one that a concurrent order has already changed.
    """
    current = db.session.scalar(
        for_update(
            select(Product.stock_quantity).where(Product.id == product.id),
            "products",
            [product.id],
        )
    )
    if quantity != current:
        _apply(product.id, quantity - current, reason, actor, None)
    db.session.flush()
    return product


def reserve_stock(
    quantities: Mapping[int, int],
    *,
    reason: str,
    order_id: int | None = None,
    locked: Mapping[int, Product] | None = None,
    also: Also | None = None,
) -> dict[int, Product]:
    """Take ``{product_id: quantity}`` out of stock, all or nothing.

    ``locked``: the products, already loaded with lock_products() by the caller (checkout loads
    them once to validate and lock them in one statement). ``also``: an expression each
    product's UPDATE returns besides the new stock (read with the row locked and after it, so
    as fresh as the stock itself; checkout asks whether the product has lots to allocate).
    Raises InsufficientStock with ``details.items = [{product_id, requested, available}]``.
    """
    ids = sorted(quantities)
    products = (
        dict(locked)
        if locked is not None
        else lock_products(select(Product).where(Product.id.in_(ids)))
    )
    short = shortages(quantities, products)
    movements: list[dict] = []
    if not short:
        # No autoflush between the UPDATEs; the movement rows go out in one Core INSERT after.
        with db.session.no_autoflush:
            short = _take(ids, quantities, products, reason, order_id, movements, also)
    if short:
        raise InsufficientStock("Not enough stock for some items.", {"items": short})
    db.session.connection().execute(insert(StockMovement.__table__), movements)
    db.session.flush()
    return products


def _take(ids, quantities, products, reason, order_id, movements, also) -> list[dict]:
    for pid in ids:
        if _apply(pid, -quantities[pid], reason, None, order_id, movements, also) is None:
            # Only reachable without row locks (SQLite): another writer got there first.
            db.session.refresh(products[pid], ["stock_quantity"])
            return [
                {
                    "product_id": pid,
                    "requested": quantities[pid],
                    "available": products[pid].stock_quantity,
                }
            ]
    return []


def release_stock(quantities: Mapping[int, int], *, reason: str, order_id: int | None = None):
    """Put reserved quantities back (cancellation, payment failure, expiry)."""
    with db.session.no_autoflush:
        for pid in sorted(quantities):
            _apply(pid, quantities[pid], reason, None, order_id)
    db.session.flush()


def receive_lot(product: Product, quantity: int, actor: User | None) -> Product:
    """A harvest lot comes in: its units join the product's stock (a movement of reason `lot`)."""
    _apply(product.id, quantity, "lot", actor, None)
    db.session.flush()
    return product


def remove_recalled(product: Product, quantity: int, actor: User | None) -> Product:
    """A recalled lot's unsold units leave the stock (a movement of reason `lot_recalled`)."""
    if quantity and _apply(product.id, -quantity, "lot_recalled", actor, None) is None:
        raise InsufficientStock(
            "The stock holds fewer units than the recalled lot.", {"quantity": quantity}
        )
    db.session.flush()
    return product
