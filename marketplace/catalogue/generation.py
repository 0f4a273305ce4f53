"""The catalogue generation: a number in the database that moves on whenever the catalogue changes.

Every transaction that writes something the public catalogue shows (products, households, co-ops,
categories, certifications) is marked during the transaction and advances the generation *after* it
commits. A stock change is the exception unless it takes a product out of stock or back in: the
exact stock and ``updated_at`` are read live for every answer (``read_with_live``), so a sale that
leaves some stock changes nothing a cached answer holds (``LIVE_ONLY``). A reader that reads the generation *before* it reads the catalogue
therefore knows that what it reads is at least as new as the generation it saw, which is what the
response cache (catalogue.response_cache) needs; see docs/performance.md.

PostgreSQL keeps it in a sequence (``nextval`` takes no row lock, so concurrent checkouts never
wait on each other for it); SQLite, which has no sequences, in a one-row table. Both are made by
migration 0007. Import-light on purpose: catalogue.stock and search.changes import it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, case, column, select, table, text
from sqlalchemy.orm import Session as OrmSession

from ..extensions import db, listen_on_sessions

log = logging.getLogger("marketplace.catalogue")

CHANGED = "catalogue.changed"  # session.info flag: this transaction changes the catalogue
COMMITTED = "catalogue.committed"  # …and has committed: advance once the connection is back

# The tables whose rows a catalogue or search answer shows.
CATALOGUE_TABLES = frozenset(
    {"products", "categories", "sellers", "coops", "certifications", "product_images"}
)
# Execution option of a statement that changes only what answers read live (a product's stock and
# updated_at, stock staying on the same side of zero): it does not move the generation.
LIVE_ONLY = "catalogue_live_only"

_READ = {
    "postgresql": "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM catalogue_generation",
    "sqlite": "SELECT value FROM catalogue_generation",
}
_ADVANCE = {
    "postgresql": "SELECT nextval('catalogue_generation')",
    "sqlite": "UPDATE catalogue_generation SET value = value + 1",
}


def catalogue_changed(session: OrmSession | None = None) -> None:
    """Mark the current transaction as changing the catalogue (Core writes the ORM cannot see)."""
    session = session if session is not None else db.session()
    session.info[CHANGED] = True


def current() -> int | None:
    """The generation, read in the request's transaction; None where there is none to read."""
    statement = _READ.get(db.engine.dialect.name)
    return None if statement is None else db.session.execute(text(statement)).scalar()


def _generation_column():
    if db.engine.dialect.name == "postgresql":
        sequence = table("catalogue_generation", column("last_value"), column("is_called"))
        return sequence, case((sequence.c.is_called, sequence.c.last_value), else_=0)
    row = table("catalogue_generation", column("value"))
    return row, row.c.value


def read_with_live(ids: Sequence[int]) -> tuple[int | None, dict[int, tuple[int, Any]]]:
    """The generation and the live fields ``{id: (stock_quantity, updated_at)}`` of ``ids``, in
    one statement (one snapshot): what a cache hit reads."""
    from .models import Product  # import-light module: catalogue.stock imports this one

    if db.engine.dialect.name not in _READ:
        return None, {}
    source, value = _generation_column()
    if not ids:
        return db.session.execute(select(value).select_from(source)).scalar(), {}
    on = Product.id.in_(bindparam("ids", list(ids), expanding=True))
    rows = db.session.execute(
        select(value, Product.id, Product.stock_quantity, Product.updated_at).select_from(
            source.outerjoin(Product.__table__, on)
        )
    ).all()
    return rows[0][0], {pid: (stock, updated) for _, pid, stock, updated in rows if pid}


def advance() -> None:
    """Move the generation on, outside any transaction (called after a commit)."""
    statement = _ADVANCE.get(db.engine.dialect.name)
    if statement is None:
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


def _table_of(obj) -> str | None:
    table = getattr(type(obj), "__table__", None)
    return None if table is None else table.name


def _collect(session: OrmSession, _flush_context) -> None:
    for obj in (*session.new, *session.deleted, *session.dirty):
        if _table_of(obj) in CATALOGUE_TABLES and (
            obj not in session.dirty or session.is_modified(obj)
        ):
            session.info[CHANGED] = True
            return


def _collect_statement(state) -> None:
    # Core DML run through the session (stock UPDATEs, bulk changes) does not pass through flush.
    if (state.is_update or state.is_delete or state.is_insert) and not state.execution_options.get(
        LIVE_ONLY
    ):
        target = getattr(state.statement, "table", None)
        if getattr(target, "name", None) in CATALOGUE_TABLES:
            state.session.info[CHANGED] = True


def _after_commit(session: OrmSession) -> None:
    if session.info.pop(CHANGED, False):
        session.info[COMMITTED] = True


def _after_transaction_end(session: OrmSession, transaction) -> None:
    # Advanced here rather than in after_commit, which runs while the session still holds its
    # connection: a second one from the pool per commit could exhaust it under load.
    if transaction.parent is not None or not session.info.pop(COMMITTED, False):
        return
    try:
        advance()
    except Exception:
        # The change has committed; failing the request now would lie about it. Cached answers
        # expire on their own (response_cache.MAX_AGE_SECONDS).
        log.exception("could not advance the catalogue generation")


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(CHANGED, None)


def install() -> None:
    """Listen on Flask-SQLAlchemy's sessions (idempotent). Installed after search.sync, so that a
    search index written after commit is current before the generation moves on."""
    listen_on_sessions(
        [
            ("after_flush", _collect),
            ("do_orm_execute", _collect_statement),
            ("after_commit", _after_commit),
            ("after_transaction_end", _after_transaction_end),
            ("after_rollback", _forget),
        ]
    )
