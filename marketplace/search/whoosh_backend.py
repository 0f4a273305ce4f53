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
import functools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from whoosh import query as Q
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, W3Segment, _lenfield
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.sorting import Count, FieldFacet
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

from ..catalogue.services import category_and_descendants
from ..clock import today_vn
from .backend import Document, Drift, Progress, SearchBackend, SearchHits, all_documents
from .text import TOKEN_PATTERN, fold, fold_tokens, query_variants
from .whoosh_bulk import build_segments

log = logging.getLogger("marketplace.search")

WRITE_TIMEOUT = 30.0  # seconds a writer waits for another process's lock
OPEN_RETRIES = 10
# From this many documents on, a write builds new segments with whoosh_bulk (seed, rebuild, a
# household's products) instead of adding them one by one to the writer.
BULK = 2000
# Bulk writes use one process per core, up to 4 (measured in docs/search.md).
BULK_PROCS = max(1, min(4, os.cpu_count() or 1))


# Words repeat across products: fold each distinct word once.
_fold_word = functools.lru_cache(maxsize=200_000)(fold)


class FoldedCopyFilter(Filter):
    """Emits each token as it is and, when folding changes it, its ``fold()`` at the same position:
    'vải' → 'vải', 'vai'. At module level because Whoosh pickles the schema with its analyzers."""

    def __call__(self, tokens):
        for token in tokens:
            yield token
            folded = _fold_word(token.text)
            if folded != token.text:
                token.text = folded
                yield token


# Text reaches the index already NFC (see _nfc_fields). One field holds both forms of a word, so
# an exact-accent match scores both terms and a folded-only match one.
VIETNAMESE = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | FoldedCopyFilter()


class FoldFilter(Filter):
    """Replaces each token by its ``fold()`` (descriptions: the lowest weight, half the terms)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = _fold_word(token.text)
            yield token


FOLDED = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | FoldFilter()

_token = re.compile(TOKEN_PATTERN)


@functools.lru_cache(maxsize=200_000)
def _forms(token: str, keep_exact: bool) -> tuple[str, ...]:
    """The terms one token becomes: what VIETNAMESE (keep_exact) or FOLDED emits for it."""
    word = token.lower()
    folded = _fold_word(word)
    if not keep_exact:
        return (folded,)
    return (word,) if folded == word else (word, folded)


class VietnameseText(TEXT):
    """A TEXT field whose ``index()`` gives what its analyzer would, without building a Whoosh
    token per word: indexing 100,000 products runs this ~3 million times. The analyzer stays the
    field's (queries, the corrector); ``tests/test_search_whoosh_bulk.py`` checks that both agree."""

    def __init__(self, keep_exact: bool):
        super().__init__(analyzer=VIETNAMESE if keep_exact else FOLDED, phrase=False)
        self.keep_exact = keep_exact

    def index(self, value, **kwargs):
        if not isinstance(value, str) or kwargs:
            yield from super().index(value, **kwargs)
            return
        counts: dict[str, int] = {}
        for token in _token.findall(value):
            for term in _forms(token, self.keep_exact):
                counts[term] = counts.get(term, 0) + 1
        boost = self.format.field_boost
        for term, freq in counts.items():
            # what Frequency.word_values gives: weight = summed token boosts (1.0) × field boost
            yield term.encode("utf-8"), freq, freq * boost, pack_uint(freq)


class _LengthsInMemory(W3PerDocReader):
    """Field lengths read once per field into bytes. Writing a segment asks the length of the
    document of every posting (~6 million for 100,000 products); the stock reader seeks in the
    file each time and looks for a (missing) length file on disk for every keyword posting."""

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self.__dict__.setdefault("_lengths_in_memory", {})
        try:
            column = lengths[fieldname]
        except KeyError:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            column = lengths[fieldname] = None if reader is None else bytes(reader.load())
        if column is None:
            return default
        lbyte = column[docnum] if docnum < len(column) else 0
        return byte_to_length(lbyte) if lbyte else None  # as W3PerDocReader does


class WriterCodec(W3Codec):
    """Whoosh's default codec, with the per-document reader above for writers. The segments it
    makes name the plain W3Codec, so readers (and the table of contents) never depend on it."""

    def per_document_reader(self, storage, segment):
        return _LengthsInMemory(storage, segment)

    def new_segment(self, storage, indexname):
        return W3Segment(W3Codec(), indexname)


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        stamp=STORED(),
        name=VietnameseText(keep_exact=True),
        meta=VietnameseText(keep_exact=True),
        desc=VietnameseText(keep_exact=False),
        category_id=ID(sortable=True),
        province_code=ID(sortable=True),
        coop_id=ID(),
        seller_id=ID(),
        in_stock=ID(),
        # Coarse numeric trees (shift_step 16): a few terms per value keep bulk indexing fast;
        # range queries over at most 100,000 documents stay cheap.
        price=NUMERIC(bits=64, shift_step=16),
        # harvest dates as day ordinals, 0 when not given
        harvest_start=NUMERIC(bits=32, shift_step=16),
        harvest_end=NUMERIC(bits=32, shift_step=16),
    )


# (field, weight): name above origin/household/category above description.
FIELD_WEIGHTS = (("name", 2.0), ("meta", 0.8), ("desc", 0.3))
FOLDED_ONLY = {"desc"}
EXACT_BONUS = 1.5  # the exact (accented) term's weight relative to the folded one
PREFIX_WEIGHT = 0.75
PREFIX_FIELDS = {"name", "meta"}  # a prefix inside descriptions matches too much to mean much
# A lone one-letter prefix matches half the vocabulary and means nothing; after other words
# ('thanh h') the words before it narrow the result, so any length is a prefix there.
MIN_PREFIX = 2


def _fields(doc: Document) -> dict[str, Any]:
    def ordinal(day: dt.date | None) -> int:
        return day.toordinal() if day else 0

    return {
        "id": str(doc.id),
        "stamp": doc.stamp,
        "name": doc.name,
        "meta": doc.meta,
        "desc": doc.description,
        "category_id": str(doc.category_id),
        "province_code": str(doc.province_code),
        "coop_id": str(doc.coop_id),
        "seller_id": str(doc.seller_id),
        "price": doc.price,
        "in_stock": "1" if doc.stock > 0 else "0",
        "harvest_start": ordinal(doc.harvest_start),
        "harvest_end": ordinal(doc.harvest_end),
    }


def _nfc_fields(doc: Document) -> dict[str, Any]:
    import unicodedata

    fields = _fields(doc)
    for key in ("name", "meta", "desc"):
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
            parts: list[Q.Query] = []
            for field, weight in FIELD_WEIGHTS:
                if field in FOLDED_ONLY:
                    parts.append(Q.Term(field, folded, boost=weight))
                elif folded == token:
                    parts.append(Q.Term(field, token, boost=weight * (1 + EXACT_BONUS)))
                else:
                    parts.append(Q.Term(field, token, boost=weight * EXACT_BONUS))
                    parts.append(Q.Term(field, folded, boost=weight))
            if n == 0 and i == len(tokens) - 1 and (i > 0 or len(folded) >= MIN_PREFIX):
                parts += [
                    Q.Prefix(field, folded, boost=weight * PREFIX_WEIGHT)
                    for field, weight in FIELD_WEIGHTS
                    if field in PREFIX_FIELDS
                ]
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
        parts.append(Q.Term("in_stock", "1" if filters["in_stock"] else "0"))
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
                ix = _indexes[key] = self._open(name)
            return ix

    def _open(self, name: str):
        # Opening reads the newest table of contents, which a writer in another process may
        # replace (and delete) meanwhile; Whoosh's own reader() retries the same way.
        for attempt in range(OPEN_RETRIES):
            try:
                return self._storage().open_index(indexname=name)
            except FileNotFoundError:
                if attempt == OPEN_RETRIES - 1:
                    raise
                time.sleep(0.05)

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

    def _write(
        self,
        ix,
        documents: Sequence[Document],
        gone: Iterable[int] = (),
        progress: Progress | None = None,
    ) -> int:
        """Replace (or add) ``documents`` and drop ``gone`` ids in one commit. Large batches are
        written as new segments by ``whoosh_bulk`` (several processes), small ones by the writer."""
        writer = ix.writer(timeout=WRITE_TIMEOUT, codec=WriterCodec())
        merge = None
        try:
            # What update_document does, with one searcher instead of one per document (Whoosh's
            # own advice for batches): drop every indexed version, then add the new ones.
            replaced = [str(doc.id) for doc in documents] + [str(i) for i in gone]
            with writer.searcher() as searcher:
                if searcher.doc_count_all():
                    for product_id in replaced:
                        writer.delete_by_term("id", product_id, searcher=searcher)
            if len(documents) >= BULK:
                segments = build_segments(writer, documents, _nfc_fields, BULK_PROCS, progress)

                def merge(_writer, existing):
                    # keep the other segments as they are; later small commits merge the small
                    return existing + segments
            else:
                for doc in documents:
                    writer.add_document(**_nfc_fields(doc))
                if progress:
                    progress(len(documents))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=merge)
        return len(documents)

    def after_commit(self, documents: list[Document], gone: set[int]) -> None:
        if documents or gone:
            self._write(self._index(), documents, sorted(gone))

    def index_documents(self, documents: list[Document], gone: Iterable[int] = ()) -> None:
        """Index (or re-index) documents and drop ids, outside any transaction."""
        self._write(self._index(), documents, list(gone))

    def rebuild(self, conn: Connection, progress: Progress | None = None) -> int:
        old = self._current_name()
        name = self._new_generation()
        ix = self._storage().open_index(indexname=name)
        try:
            # in memory (~1 KB a product) so that the writer processes can share them
            count = self._write(ix, list(all_documents(conn)), progress=progress)
        except BaseException:
            self._drop_generation(name)
            raise
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
        correctors = [searcher.corrector("name"), searcher.corrector("meta")]
        reader = searcher.reader()
        corrected, changed = [], False
        for word in words:
            known = reader.frequency("name", word) or reader.frequency("meta", word)
            options = []
            if not known:
                for corrector in correctors:
                    # the fields hold exact and folded words: suggest in the folded alphabet
                    options = [
                        o
                        for o in corrector.suggest(word, limit=8, maxdist=2, prefix=1)
                        if o == fold(o)
                    ]
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

    def close(self) -> None:
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            cached[1].close()
            self._local.searcher = None
        with _indexes_lock:
            for key in [k for k in _indexes if k[0] == str(self.directory)]:
                del _indexes[key]

    def healthy(self) -> bool:
        self._searcher().doc_count()
        return True
