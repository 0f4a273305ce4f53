"""The search backend interface, and the documents both backends index.

A backend indexes what buyers may see (``visible_products()``) and answers one query with a page of
``(product_id, score)`` hits, the total, facet counts over the whole result set and a spelling
suggestion. ``services.search`` turns the hits into products with the catalogue's own query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, func, select

from ..catalogue.models import Category, Product
from ..catalogue.services import visible_products
from ..extensions import db
from ..sellers.models import Seller

# Ids per statement when loading documents (SQLite allows 32,766 bound parameters).
CHUNK = 5000


@dataclass(frozen=True)
class Document:
    """What the index knows about one visible product."""

    id: int
    name: str
    description: str
    seller_name: str
    origin_area: str
    category_name: str
    category_id: int
    province_code: int
    coop_id: int
    seller_id: int
    price: int
    stock: int
    harvest_start: dt.date | None
    harvest_end: dt.date | None

    @property
    def meta(self) -> str:
        """Origin area, household and category: the middle-weight text."""
        return " ".join(filter(None, (self.origin_area, self.seller_name, self.category_name)))

    @property
    def stamp(self) -> str:
        """A fingerprint of the indexed content: `flask search check` compares it."""
        raw = "\x1f".join(str(v) for v in self.__dict__.values())
        return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _document_columns() -> Sequence[Any]:
    return (
        Product.id,
        Product.name,
        Product.description,
        Seller.display_name,
        Product.origin_area,
        Category.name,
        Product.category_id,
        Product.origin_province_code,
        Seller.coop_id,
        Product.seller_id,
        Product.unit_price_vnd,
        Product.stock_quantity,
        Product.harvest_start,
        Product.harvest_end,
    )


def _to_document(row) -> Document:
    return Document(
        id=row[0],
        name=row[1] or "",
        description=row[2] or "",
        seller_name=row[3] or "",
        origin_area=row[4] or "",
        category_name=row[5] or "",
        category_id=row[6],
        province_code=row[7],
        coop_id=row[8],
        seller_id=row[9],
        price=row[10],
        # 0 or 1: the index only filters on being in stock, so an order that leaves some stock
        # does not change the document (catalogue.stock re-indexes only when crossing 0).
        stock=min(row[11], 1),
        harvest_start=row[12],
        harvest_end=row[13],
    )


def _visible_documents_query():
    return (
        visible_products()
        .with_only_columns(*_document_columns(), maintain_column_froms=True)
        .join(Category, Category.id == Product.category_id)
    )


def load_documents(conn: Connection, ids: Iterable[int]) -> tuple[list[Document], set[int]]:
    """Documents of the visible products among ``ids``, and the ids that are not (or no longer)
    visible. Runs on ``conn`` so that it sees the current transaction's own changes."""
    ids = sorted(set(ids))
    documents: list[Document] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = _visible_documents_query().where(Product.id.in_(chunk))
        documents.extend(_to_document(row) for row in conn.execute(query))
    found = {d.id for d in documents}
    return documents, set(ids) - found


def all_documents(conn: Connection, batch: int = CHUNK) -> Iterator[Document]:
    """Every visible product's document, in id order, streamed in batches."""
    last = 0
    while True:
        query = (
            _visible_documents_query().where(Product.id > last).order_by(Product.id).limit(batch)
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield _to_document(row)
        last = rows[-1][0]


def count_visible(conn: Connection) -> int:
    return conn.execute(
        select(func.count()).select_from(visible_products().subquery())
    ).scalar_one()


@dataclass
class SearchHits:
    """One page of a query's hits, with what describes the whole result set."""

    hits: list[tuple[int, float]]
    total: int
    # {"category": {category_id: count}, "province": {province_code: count}}
    facets: dict[str, dict[int, int]]
    suggestion: str | None = None


@dataclass
class Drift:
    """Where the index and the database disagree (ids of products)."""

    missing: list[int] = field(default_factory=list)  # visible, not in the index
    stale: list[int] = field(default_factory=list)  # indexed with other content
    extra: list[int] = field(default_factory=list)  # in the index, not visible

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


Progress = Callable[[int], None]


class SearchBackend(ABC):
    """What GET /search, the sync hooks and the CLI need from an index."""

    name: str

    def in_transaction(self, conn: Connection, product_ids: set[int]) -> None:  # noqa: B027
        """Called before commit, inside the transaction that changed ``product_ids``."""

    def after_commit(self, documents: list[Document], gone: set[int]) -> None:  # noqa: B027
        """Called after commit with the documents to (re)index and the ids to drop."""

    # Whether after_commit needs the documents (the PostgreSQL backend works inside the
    # transaction and needs none).
    wants_documents = True

    @abstractmethod
    def search(self, q: str, filters: dict[str, Any], page: int, per_page: int) -> SearchHits:
        """The page of hits for ``q`` among the products matching the catalogue ``filters``."""

    @abstractmethod
    def rebuild(self, conn: Connection, progress: Progress | None = None) -> int:
        """Index every visible product anew; returns how many were indexed."""

    @abstractmethod
    def check(self, conn: Connection) -> Drift:
        """Compare the index with the database."""

    @abstractmethod
    def healthy(self) -> bool:
        """Can the index answer a query?"""

    def clear(self) -> None:  # noqa: B027
        """Forget everything indexed (tests)."""


def facet_counts(query: Select) -> dict[str, dict[int, int]]:
    """Category and province counts over every row of a catalogue query (not just a page)."""
    counts: dict[str, dict[int, int]] = {}
    for name, column in (
        ("category", Product.category_id),
        ("province", Product.origin_province_code),
    ):
        grouped = (
            query.order_by(None)
            .with_only_columns(column, func.count(), maintain_column_froms=True)
            .group_by(column)
        )
        counts[name] = {value: count for value, count in db.session.execute(grouped)}
    return counts
