"""New ORM objects written with Core ``INSERT … RETURNING`` instead of the unit of work's flush.

The checkout writes an order, its seller orders, lines and payment on every request; the flush's
bookkeeping (dependency sorting, per-object history, post-fetch) cost more CPU than the SQL. Here
each class's objects go out in one statement (one executemany with RETURNING of the ids), every
column gets the value the flush would have given it (the attribute set, else the column's Python
default, else NULL), and the objects are then attached to the session as if just loaded: later
code reads them, navigates their relationships and changes them (compare-and-set UPDATEs) as
usual. Only for objects that nothing else in the session has flushed yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, inspect, null
from sqlalchemy.orm import make_transient_to_detached

from .extensions import db


def _column_values(mapper, obj) -> tuple[dict[str, Any], dict[str, Any]]:
    """(attribute key → its value in memory, column key → the value to insert), the primary key
    left out. A column never set and without a default is SQL NULL, as when the flush leaves it
    out (a JSON column given None would store the JSON ``null`` instead)."""
    state = obj.__dict__
    values: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        param = None
        if prop.key in state:
            value = param = state[prop.key]
        elif column.default is not None and column.default.is_scalar:
            value = param = column.default.arg
        elif column.default is not None and column.default.is_callable:
            value = param = column.default.arg(None)
        else:
            if column.server_default is not None:
                # The flush would leave it out for the database to fill; here it would be NULL.
                raise TypeError(
                    f"{column}: give it a Python default (default=) to be written by insert_rows"
                )
            value = None
            if getattr(column.type, "should_evaluate_none", False):
                param = null()
        values[prop.key] = value
        params[column.key] = param
    return values, params


def insert_rows(objects: Sequence[Any]) -> None:
    """INSERT ``objects`` (new, all of one mapped class with an integer ``id``) in one statement
    and give each its id and every column value. Foreign keys must be set as attributes (a
    relationship alone is not synchronised here). Call ``attach`` once the whole graph is written.
    """
    if not objects:
        return
    mapper = inspect(type(objects[0]))
    table = mapper.local_table
    rows = [_column_values(mapper, obj) for obj in objects]
    # On the session's connection, past the ORM's statement layer (no ORM entity is involved).
    ids = (
        db.session.connection()
        .execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [params for _values, params in rows],
        )
        .scalars()
    )
    for obj, (row, _params), new_id in zip(objects, rows, ids, strict=True):
        obj.__dict__.update(row)
        obj.__dict__["id"] = new_id


def attach(objects: Iterable[Any]) -> None:
    """Put objects written by ``insert_rows`` into the session as persistent rows, their
    attributes and the relationships set between them taken as loaded (no further INSERT)."""
    objects = list(objects)
    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        db.session.add(obj)
