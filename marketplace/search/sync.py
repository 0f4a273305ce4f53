"""The index follows the database by itself (microblog's SearchableMixin, done with session events).

``after_flush`` collects the products a transaction touches: products created, changed or deleted;
every product of a household whose status, name or co-op changed; every product of a renamed
category. ``before_commit`` brings the backend up to date inside the transaction (PostgreSQL's
tsvector) and reads the documents the transaction leaves behind; ``after_commit`` hands them to the
backend (Whoosh). A rollback forgets everything. No route, CLI command or seed path calls the
indexer: bulk Core writes say ``products_changed(ids)`` and the same machinery does the rest.
"""

from __future__ import annotations

import logging
from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session as OrmSession

from ..catalogue.models import Category, Product
from ..extensions import db, listen_on_sessions
from ..sellers.models import Seller
from . import EXTENSION
from .backend import Drift, SearchBackend, load_documents
from .changes import PENDING, products_changed

__all__ = ["install", "products_changed", "repair"]

log = logging.getLogger("marketplace.search")

READY = "search.ready"  # (documents, gone ids) for after_commit

# Attributes whose change changes what a household's products look like in the index.
SELLER_FIELDS = ("status", "display_name", "coop_id")
CATEGORY_FIELDS = ("name",)


def backend() -> SearchBackend | None:
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)


def _changed(obj, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _collect(session: OrmSession, _flush_context) -> None:
    if backend() is None:
        return
    products: set[int] = set()
    sellers: set[int] = set()
    categories: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Product):
            if obj in session.new or obj in session.deleted or session.is_modified(obj):
                products.add(obj.id)
        elif isinstance(obj, Seller) and obj not in session.new:
            if obj in session.deleted or _changed(obj, SELLER_FIELDS):
                sellers.add(obj.id)
        elif (
            isinstance(obj, Category) and obj not in session.new and _changed(obj, CATEGORY_FIELDS)
        ):
            categories.add(obj.id)
    conn = session.connection()
    if sellers:
        products.update(
            conn.execute(select(Product.id).where(Product.seller_id.in_(sellers))).scalars()
        )
    if categories:
        products.update(
            conn.execute(select(Product.id).where(Product.category_id.in_(categories))).scalars()
        )
    if products:
        session.info.setdefault(PENDING, set()).update(products)


def _before_commit(session: OrmSession) -> None:
    search = backend()
    if search is None:
        return
    session.flush()  # so that after_flush has seen everything this transaction changes
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    conn = session.connection()
    search.in_transaction(conn, pending)
    if search.wants_documents:
        documents, gone = load_documents(conn, pending)
        session.info[READY] = (documents, gone)


def _after_commit(session: OrmSession) -> None:
    ready = session.info.pop(READY, None)
    search = backend()
    if ready is None or search is None:
        return
    try:
        search.after_commit(*ready)
    except Exception:
        # The database has committed; failing the request now would lie about it. The drift is
        # logged and `flask search check` / `rebuild` repair it.
        log.exception("search index update failed for %d products", len(ready[0]) + len(ready[1]))


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(READY, None)


def install() -> None:
    """Listen on Flask-SQLAlchemy's sessions (idempotent)."""
    listen_on_sessions(
        [
            ("after_flush", _collect),
            ("before_commit", _before_commit),
            ("after_commit", _after_commit),
            ("after_rollback", _forget),
        ]
    )


def repair(search: SearchBackend, drift: Drift) -> None:
    """Bring the index in step with the database for the products ``drift`` names."""
    ids = set(drift.missing) | set(drift.stale) | set(drift.extra)
    if not ids:
        return
    with db.engine.begin() as conn:
        search.in_transaction(conn, ids)
        documents, gone = load_documents(conn, ids) if search.wants_documents else ([], set())
    if search.wants_documents:
        search.after_commit(documents, gone)
