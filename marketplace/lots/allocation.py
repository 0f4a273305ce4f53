"""Which lots an order's units come from: oldest harvest first, a line may span lots.

Checkout calls ``take_for_lines`` once the stock is reserved; releasing stock (cancel, expiry,
failed payment) calls ``release_lot_units``. Each lot is changed by one conditional UPDATE
(``remaining >= q``), so two checkouts never take the same unit, whatever the database.
Import-light on purpose: orders.services imports it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from itertools import chain

from sqlalchemy import ColumnElement, literal_column, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import InsufficientStock
from ..extensions import db
from ..orders.models import OrderLine, SellerOrder
from .models import Lot, LotAllocation


def _oldest_first(product_id: int) -> list[tuple[int, int]]:
    return list(
        db.session.execute(
            select(Lot.id, Lot.remaining)
            .where(Lot.product_id == product_id, Lot.status == "active", Lot.remaining > 0)
            .order_by(Lot.harvested_on, Lot.id)
        ).tuples()
    )


def take_from_lots(
    line: OrderLine, product_id: int, quantity: int, lots: list[tuple[int, int]] | None = None
) -> list[LotAllocation]:
    """Take ``quantity`` units for ``line`` from the product's active lots, oldest first."""
    needed = quantity
    taken: list[LotAllocation] = []
    for lot_id, remaining in lots if lots is not None else _oldest_first(product_id):
        while needed and remaining > 0:
            q = min(needed, remaining)
            left = db.session.execute(
                update(Lot)
                .where(Lot.id == lot_id, Lot.status == "active", Lot.remaining >= q)
                .values(remaining=Lot.remaining - q)
                .returning(Lot.remaining),
                execution_options={"synchronize_session": False},
            ).scalar()
            if left is None:
                # Someone took units of this lot since we read it: read what is left, retry.
                remaining = (
                    db.session.scalar(
                        select(Lot.remaining).where(Lot.id == lot_id, Lot.status == "active")
                    )
                    or 0
                )
                continue
            taken.append(LotAllocation(order_line_id=line.id, lot_id=lot_id, quantity=q))
            needed -= q
            remaining = left
        if not needed:
            break
    if needed:
        # Stock was reserved, so the lots hold it unless the invariant broke: refuse the order.
        raise InsufficientStock(
            "Not enough stock for some items.",
            {
                "items": [
                    {
                        "product_id": product_id,
                        "requested": quantity,
                        "available": quantity - needed,
                    }
                ]
            },
        )
    db.session.add_all(taken)
    return taken


def has_lots() -> ColumnElement[bool]:
    """Whether the product of the enclosing ``products`` row has active lots with units left
    (checkout has each stock UPDATE return it: read under the row lock, as fresh as the stock)."""
    # RETURNING names the UPDATE's own columns unqualified ("id" would be the lot's): spelled out
    product_id = literal_column("products.id")
    return (
        select(Lot.id)
        .where(Lot.product_id == product_id, Lot.status == "active", Lot.remaining > 0)
        .exists()
    )


def take_for_lines(lines: Iterable[OrderLine], with_lots: Collection[int] | None = None) -> None:
    """Allocate every line of a new order whose product has lots (one SELECT when some has).

    ``with_lots``: the products known to have lots (``has_lots()`` read with the stock); the
    others' lines are not looked up, and when none has, nothing is read."""
    lines = list(lines)
    product_ids = {line.product_id for line in lines}
    if with_lots is not None:
        product_ids &= set(with_lots)
    candidates: dict[int, list[tuple[int, int]]] = {}
    rows: Iterable[tuple[int, int, int]] = ()
    if product_ids:
        rows = db.session.execute(
            select(Lot.id, Lot.product_id, Lot.remaining)
            .where(Lot.product_id.in_(product_ids), Lot.status == "active", Lot.remaining > 0)
            .order_by(Lot.product_id, Lot.harvested_on, Lot.id)
        ).tuples()
    for lot_id, product_id, remaining in rows:
        candidates.setdefault(product_id, []).append((lot_id, remaining))
    for line in lines:
        taken: list[LotAllocation] = []
        if line.product_id in candidates:
            taken = take_from_lots(
                line, line.product_id, line.quantity, candidates[line.product_id]
            )
            # Later lines of the same product re-read what this one left.
            candidates[line.product_id] = _oldest_first(line.product_id)
        # The new order is answered from memory: no lazy load per line.
        set_committed_value(line, "lot_allocations", taken)
    if candidates:
        db.session.flush()


def release_lot_units(
    seller_orders: Iterable[SellerOrder], quantities: Mapping[int, int]
) -> dict[int, int]:
    """Units of cancelled seller orders go back to the lots they came from; units of a recalled
    lot are destroyed instead. Returns ``quantities`` less the destroyed units: what goes back
    into stock."""
    line_ids = [line.id for line in chain.from_iterable(so.lines for so in seller_orders)]
    back = dict(quantities)
    if not line_ids:
        return back
    rows = db.session.execute(
        select(LotAllocation.lot_id, LotAllocation.quantity, Lot.status, Lot.product_id)
        .join(Lot, Lot.id == LotAllocation.lot_id)
        .where(LotAllocation.order_line_id.in_(line_ids))
        .order_by(LotAllocation.lot_id)
    ).tuples()
    for lot_id, quantity, status, product_id in rows:
        if status == "active":
            db.session.execute(
                update(Lot).where(Lot.id == lot_id).values(remaining=Lot.remaining + quantity),
                execution_options={"synchronize_session": False},
            )
        else:
            back[product_id] = back.get(product_id, 0) - quantity
    return {pid: q for pid, q in back.items() if q > 0}
