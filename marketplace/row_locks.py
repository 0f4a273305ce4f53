"""Row locks on both databases.

PostgreSQL locks rows with ``SELECT … FOR UPDATE``. SQLite ignores that clause and has no row
locks at all, only one write lock for the whole database: ``write_lock()`` takes it with a no-op
UPDATE of the rows about to be read, so the read that follows sees the latest committed state and
no other transaction can write until this one ends (it waits up to the connection's busy timeout).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, text

from .extensions import db


def on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def write_lock(table: str, ids: Iterable[int]) -> None:
    """SQLite: take the database write lock now (a no-op UPDATE of these rows). PostgreSQL:
    nothing (``for_update`` locks the rows in the read)."""
    ids = sorted(set(ids))
    if not ids or not on_sqlite():
        return
    marks = ", ".join(str(int(i)) for i in ids)
    db.session.execute(text(f"UPDATE {table} SET id = id WHERE id IN ({marks})"))


def for_update(query: Select, table: str, ids: Iterable[int], **options) -> Select:
    """``query`` reading rows of ``table`` that no other transaction may change until commit."""
    write_lock(table, ids)
    return query.with_for_update(**options)
