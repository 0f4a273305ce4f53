"""Marks products whose index entry must follow a change the ORM cannot see (Core UPDATEs and
bulk INSERTs). Import-light on purpose: catalogue.stock and the seed loader import it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ..catalogue.generation import catalogue_changed
from ..extensions import db

PENDING = "search.pending"  # product ids touched by the current transaction


def products_changed(product_ids: Iterable[int], session: Session | None = None) -> None:
    """Mark products changed by Core statements; they are (re)indexed when the session commits,
    exactly like products changed through the ORM."""
    session = session if session is not None else db.session()
    session.info.setdefault(PENDING, set()).update(product_ids)
    catalogue_changed(session)
