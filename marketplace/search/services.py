"""GET /search: a backend finds the hits; the catalogue's own queries load and describe them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..catalogue.models import Category, Product
from ..catalogue.services import (
    SORT_ORDERS,
    filter_products,
    visible_products,
    with_relations,
)
from ..extensions import db
from ..http import paginate
from ..places import province_name
from . import EXTENSION
from .backend import SearchBackend, facet_counts
from .text import tokenize


@dataclass(frozen=True)
class Hit:
    """A product found, and how well it matched (0 when browsing)."""

    product: Product
    score: float


def get_backend() -> SearchBackend:
    return current_app.extensions[EXTENSION]


def _facets(counts: dict[str, dict[int, int]]) -> dict[str, list[dict[str, Any]]]:
    category_ids = list(counts.get("category", {}))
    categories = {
        c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_(category_ids)))
    }
    category = [
        {"value": categories[cid].slug, "label": categories[cid].name, "count": count}
        for cid, count in counts.get("category", {}).items()
        if cid in categories
    ]
    province = [
        {"value": code, "label": province_name(code) or str(code), "count": count}
        for code, count in counts.get("province", {}).items()
    ]
    for facet in (category, province):
        facet.sort(key=lambda f: (-f["count"], f["label"]))
    return {"category": category, "province": province}


def _browse(filters: dict[str, Any], page: int, per_page: int) -> dict[str, Any]:
    query = filter_products(visible_products(), filters)
    result = paginate(
        with_relations(query.order_by(*SORT_ORDERS["newest"])), page, per_page, count_query=query
    )
    result["items"] = [Hit(p, 0.0) for p in result["items"]]
    result["facets"] = _facets(facet_counts(query))
    result["suggestion"] = None
    return result


def search(q: str | None, filters: dict[str, Any], page: int, per_page: int) -> dict[str, Any]:
    """Visible products matching ``q`` and the catalogue ``filters``, best first, with facet counts
    over the whole result and a spelling suggestion when nothing matches. No ``q`` browses."""
    if q is None or not q.strip():
        return _browse(filters, page, per_page)
    empty = {"category": [], "province": []}
    if not tokenize(q):  # only punctuation, symbols or emoji: no word can match
        return {
            "items": [],
            "total": 0,
            "page": page,
            "per_page": per_page,
            "facets": empty,
            "suggestion": None,
        }
    hits = get_backend().search(q, filters, page, per_page)
    ids = [product_id for product_id, _ in hits.hits]
    # The catalogue decides what is shown, even if the index were a moment behind.
    products = {
        p.id: p
        for p in db.session.scalars(
            with_relations(visible_products().where(Product.id.in_(ids)))
        ).unique()
    }
    items = [Hit(products[pid], round(score, 6)) for pid, score in hits.hits if pid in products]
    return {
        "items": items,
        "total": hits.total,
        "page": page,
        "per_page": per_page,
        "facets": _facets(hits.facets),
        "suggestion": hits.suggestion,
    }
