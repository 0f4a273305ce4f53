"""The embedded search backend: a Whoosh 2.7.4 index in SEARCH_INDEX_DIR.

The folder holds generations of the index (Whoosh "index names"); the file CURRENT names the one
that answers. A rebuild writes a new generation and swaps CURRENT, so search keeps answering.
Writers wait for the lock (``writer(timeout=…)``) instead of failing, and every writer commits
before the request returns: no AsyncWriter, whose buffered documents die with the process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from whoosh import query as Q
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.sorting import Count, FieldFacet

from ..catalogue.services import category_and_descendants
from ..clock import today_vn
from .backend import Document, Drift, Progress, SearchBackend, SearchHits, all_documents
from .text import TOKEN_PATTERN, fold, fold_tokens, query_variants

log = logging.getLogger("marketplace.search")

WRITE_TIMEOUT = 30.0  # seconds a writer waits for another process's lock
BULK = 2000  # from this many documents on, write with a larger memory pool
BULK_LIMITMB = 256


class FoldFilter(Filter):
    """Whoosh filter applying the one ``fold()``; at module level because Whoosh pickles the
    schema with its analyzers."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


# Text reaches the index already NFC (see _fields); exact tokens keep their accents.
EXACT = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
FOLDED = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | FoldFilter()


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        stamp=STORED(),
        name=TEXT(analyzer=EXACT, phrase=False),
        name_f=TEXT(analyzer=FOLDED, phrase=False),
        meta=TEXT(analyzer=EXACT, phrase=False),
        meta_f=TEXT(analyzer=FOLDED, phrase=False),
        desc=TEXT(analyzer=EXACT, phrase=False),
        desc_f=TEXT(analyzer=FOLDED, phrase=False),
        category_id=ID(sortable=True),
        province_code=ID(sortable=True),
        coop_id=ID(),
        seller_id=ID(),
        price=NUMERIC(bits=64),
        stock=NUMERIC(bits=64),
        # harvest dates as day ordinals, 0 when not given
        harvest_start=NUMERIC(bits=32),
        harvest_end=NUMERIC(bits=32),
    )


# (field, weight): name above origin/household/category above description; the exact
# (accented) form above the folded one.
TERM_FIELDS = (
    ("name", 3.0),
    ("name_f", 2.0),
    ("meta", 1.2),
    ("meta_f", 0.8),
    ("desc", 0.45),
    ("desc_f", 0.3),
)
PREFIX_FIELDS = (("name_f", 1.5), ("meta_f", 0.6), ("desc_f", 0.2))
MIN_PREFIX = 2  # a one-letter prefix matches half the vocabulary and means nothing


def _fields(doc: Document) -> dict[str, Any]:
    def ordinal(day: dt.date | None) -> int:
        return day.toordinal() if day else 0

    return {
        "id": str(doc.id),
        "stamp": doc.stamp,
        "name": doc.name,
        "name_f": doc.name,
        "meta": doc.meta,
        "meta_f": doc.meta,
        "desc": doc.description,
        "desc_f": doc.description,
        "category_id": str(doc.category_id),
        "province_code": str(doc.province_code),
        "coop_id": str(doc.coop_id),
        "seller_id": str(doc.seller_id),
        "price": doc.price,
        "stock": doc.stock,
        "harvest_start": ordinal(doc.harvest_start),
        "harvest_end": ordinal(doc.harvest_end),
    }


def _nfc_fields(doc: Document) -> dict[str, Any]:
    import unicodedata

    fields = _fields(doc)
    for key in ("name", "name_f", "meta", "meta_f", "desc", "desc_f"):
        fields[key] = unicodedata.normalize("NFC", fields[key])
    return fields


def text_query(q: str) -> Q.Query | None:
    """The Whoosh query for what a buyer typed, built from tokens (never parsed as syntax)."""
    variants = query_variants(q)
    if not variants:
        return None
    alternatives = []
    for n, tokens in enumerate(variants):
        per_token = []
        for i, token in enumerate(tokens):
            folded = fold(token)
            parts: list[Q.Query] = [
                Q.Term(field, folded if field.endswith("_f") else token, boost=weight)
                for field, weight in TERM_FIELDS
            ]
            if n == 0 and i == len(tokens) - 1 and len(folded) >= MIN_PREFIX:
                parts += [Q.Prefix(field, folded, boost=w) for field, w in PREFIX_FIELDS]
            per_token.append(Q.Or(parts))
        alternatives.append(Q.And(per_token) if len(per_token) > 1 else per_token[0])
    return Q.Or(alternatives) if len(alternatives) > 1 else alternatives[0]


def _not_in_season(today: int) -> Q.Query:
    # What the catalogue's SQL `NOT (start <= today AND end >= today) OR start IS NULL` keeps.
    no_start = Q.NumericRange("harvest_start", 0, 0)
    no_end_starts_later = Q.And(
        [Q.NumericRange("harvest_end", 0, 0), Q.NumericRange("harvest_start", today + 1, None)]
    )
    outside = Q.And(
        [
            Q.NumericRange("harvest_start", 1, None),
            Q.NumericRange("harvest_end", 1, None),
            Q.Or(
                [
                    Q.NumericRange("harvest_start", today + 1, None),
                    Q.NumericRange("harvest_end", None, today - 1),
                ]
            ),
        ]
    )
    return Q.Or([no_start, no_end_starts_later, outside])


def filter_query(filters: dict[str, Any]) -> Q.Query | None:
    """The catalogue's filters (catalogue.services.filter_products) over the indexed fields."""
    parts: list[Q.Query] = []
    if filters.get("category"):
        ids = category_and_descendants(filters["category"])
        parts.append(Q.Or([Q.Term("category_id", str(i)) for i in ids]) if ids else Q.NullQuery)
    for key, field in (
        ("province_code", "province_code"),
        ("coop_id", "coop_id"),
        ("seller_id", "seller_id"),
    ):
        if filters.get(key) is not None:
            parts.append(Q.Term(field, str(filters[key])))
    if filters.get("min_price") is not None or filters.get("max_price") is not None:
        parts.append(Q.NumericRange("price", filters.get("min_price"), filters.get("max_price")))
    if filters.get("in_season") is not None:
        today = today_vn().toordinal()
        in_window = Q.And(
            [
                Q.NumericRange("harvest_start", 1, today),
                Q.NumericRange("harvest_end", today, None),
            ]
        )
        parts.append(in_window if filters["in_season"] else _not_in_season(today))
    if filters.get("in_stock") is not None:
        parts.append(
            Q.NumericRange("stock", 1, None)
            if filters["in_stock"]
            else Q.NumericRange("stock", 0, 0)
        )
    if not parts:
        return None
    return Q.And(parts) if len(parts) > 1 else parts[0]


# One index object per (folder, generation) per process.
_indexes: dict[tuple[str, str], Any] = {}
_indexes_lock = threading.Lock()


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, directory: str):
        self.directory = Path(directory)
        self._local = threading.local()

    # ---- generations -------------------------------------------------------------------

    @property
    def _current_file(self) -> Path:
        return self.directory / "CURRENT"

    @contextlib.contextmanager
    def _folder_lock(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".generation.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _storage(self) -> FileStorage:
        return FileStorage(str(self.directory))

    def _current_name(self) -> str:
        try:
            name = self._current_file.read_text().strip()
            if name:
                return name
        except FileNotFoundError:
            pass
        with self._folder_lock():
            if self._current_file.exists():
                return self._current_file.read_text().strip()
            name = self._new_generation()
            self._swap_to(name)
            return name

    def _new_generation(self) -> str:
        name = "gen" + uuid.uuid4().hex[:12]
        self._storage().create_index(_schema(), indexname=name)
        return name

    def _swap_to(self, name: str) -> None:
        tmp = self.directory / f".CURRENT.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        tmp.write_text(name)
        os.replace(tmp, self._current_file)

    def _index(self, name: str | None = None):
        name = name or self._current_name()
        key = (str(self.directory), name)
        with _indexes_lock:
            ix = _indexes.get(key)
            if ix is None:
                ix = self._storage().open_index(indexname=name)
                _indexes[key] = ix
            return ix

    def _drop_generation(self, name: str) -> None:
        with _indexes_lock:
            _indexes.pop((str(self.directory), name), None)
        for file in self.directory.iterdir():
            if file.name.startswith((f"_{name}_", f"{name}_")):
                with contextlib.suppress(FileNotFoundError):
                    file.unlink()

    def _searcher(self):
        """This thread's searcher on the current generation, reopened when the index changed."""
        ix = self._index()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and cached[0] is ix:
            searcher = cached[1].refresh()
        else:
            if cached is not None:
                cached[1].close()
            searcher = ix.searcher()
        self._local.searcher = (ix, searcher)
        return searcher

    # ---- writing -----------------------------------------------------------------------

    def _write(self, ix, documents: Iterable[Document], gone: Iterable[int], size: int) -> int:
        options = {"limitmb": BULK_LIMITMB} if size >= BULK else {}
        writer = ix.writer(timeout=WRITE_TIMEOUT, **options)
        count = 0
        try:
            for product_id in gone:
                writer.delete_by_term("id", str(product_id))
            for doc in documents:
                writer.update_document(**_nfc_fields(doc))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def after_commit(self, documents: list[Document], gone: set[int]) -> None:
        if documents or gone:
            self._write(self._index(), documents, sorted(gone), len(documents))

    def index_documents(self, documents: list[Document], gone: Iterable[int] = ()) -> None:
        """Index (or re-index) documents and drop ids, outside any transaction."""
        gone = list(gone)
        self._write(self._index(), documents, gone, len(documents))

    def rebuild(self, conn: Connection, progress: Progress | None = None) -> int:
        old = self._current_name()
        name = self._new_generation()
        ix = self._storage().open_index(indexname=name)
        writer = ix.writer(timeout=WRITE_TIMEOUT, limitmb=BULK_LIMITMB)
        count = 0
        try:
            for doc in all_documents(conn):
                writer.add_document(**_nfc_fields(doc))
                count += 1
                if progress and count % 500 == 0:
                    progress(500)
        except BaseException:
            writer.cancel()
            self._drop_generation(name)
            raise
        writer.commit()
        if progress:
            progress(count % 500)
        with self._folder_lock():
            self._swap_to(name)
        if old != name:
            self._drop_generation(old)
        return count

    def clear(self) -> None:
        old = self._current_name()
        with self._folder_lock():
            self._swap_to(self._new_generation())
        self._drop_generation(old)

    # ---- reading -----------------------------------------------------------------------

    def search(self, q: str, filters: dict[str, Any], page: int, per_page: int) -> SearchHits:
        query = text_query(q)
        if query is None:
            return SearchHits(hits=[], total=0, facets={"category": {}, "province": {}})
        searcher = self._searcher()
        results = searcher.search(
            query,
            filter=filter_query(filters),
            limit=page * per_page,
            groupedby={
                "category": FieldFacet("category_id"),
                "province": FieldFacet("province_code"),
            },
            maptype=Count,
        )
        total = len(results)
        start = (page - 1) * per_page
        hits = [(int(hit["id"]), float(hit.score)) for hit in results[start : start + per_page]]
        facets = {
            name: {int(value): count for value, count in results.groups(name).items()}
            for name in ("category", "province")
        }
        suggestion = self._suggest(searcher, q, filters) if total == 0 else None
        return SearchHits(hits=hits, total=total, facets=facets, suggestion=suggestion)

    def _suggest(self, searcher, q: str, filters: dict[str, Any]) -> str | None:
        words = fold_tokens(q)
        if not words:
            return None
        # whoosh 2.7.4's MultiCorrector mixes up (score, word) pairs: ask one field, then the next.
        correctors = [searcher.corrector("name_f"), searcher.corrector("meta_f")]
        reader = searcher.reader()
        corrected, changed = [], False
        for word in words:
            known = reader.frequency("name_f", word) or reader.frequency("meta_f", word)
            options = []
            if not known:
                for corrector in correctors:
                    options = corrector.suggest(word, limit=1, maxdist=2)
                    if options:
                        break
            if options:
                corrected.append(options[0])
                changed = True
            else:
                corrected.append(word)
        if not changed:
            return None
        suggestion = " ".join(corrected)
        query = text_query(suggestion)
        found = searcher.search(query, filter=filter_query(filters), limit=1)
        return suggestion if len(found) else None

    def indexed_stamps(self) -> dict[int, str]:
        searcher = self._searcher()
        return {int(f["id"]): f.get("stamp", "") for f in searcher.all_stored_fields()}

    def check(self, conn: Connection) -> Drift:
        indexed = self.indexed_stamps()
        drift = Drift()
        for doc in all_documents(conn):
            stamp = indexed.pop(doc.id, None)
            if stamp is None:
                drift.missing.append(doc.id)
            elif stamp != doc.stamp:
                drift.stale.append(doc.id)
        drift.extra = sorted(indexed)
        return drift

    def healthy(self) -> bool:
        self._searcher().doc_count()
        return True
