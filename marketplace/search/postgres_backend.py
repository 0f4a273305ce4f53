"""The PostgreSQL search backend: a weighted tsvector column on products, kept current in the same
transaction as the product change.

The vector is built in Python with the one tokenizer and ``fold()`` (so both backends agree on
what a word is) and written as a tsvector literal in one set-based UPDATE: name A; origin area,
household and category B; description C. Each word is there in its exact and its folded form, at
the same position: the query matches the folded forms, and the rank adds the exact forms' rank, so
an exact-accent match ranks first. Spelling suggestions come from ``pg_trgm`` over the vocabulary
of names and B-weighted words (table ``search_words``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR, insert

from ..catalogue.models import Product
from ..catalogue.services import filter_products, visible_products
from ..extensions import db
from .backend import CHUNK, Document, Drift, Progress, SearchBackend, SearchHits, facet_counts
from .backend import load_documents as _load
from .text import fold, query_variants, tokenize

MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MIN_PREFIX = 2

# Objects outside the ORM metadata: they exist on PostgreSQL only (migration 0003).
search_metadata = MetaData()
search_words = Table("search_words", search_metadata, Column("word", String(100), primary_key=True))
VECTOR = literal_column("products.search_vector", type_=TSVECTOR)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def vector_literal(doc: Document) -> str:
    """The tsvector literal of a document: ``'vải':1A 'vai':1A 'thiều':2A …``."""
    positions: dict[str, list[str]] = defaultdict(list)
    position = 0
    for text_, weight in ((doc.name, "A"), (doc.meta, "B"), (doc.description, "C")):
        for token in tokenize(text_):
            position = min(position + 1, MAX_POSITION)
            entry = f"{position}{weight}"
            for lexeme in {token, fold(token)}:
                if not positions[lexeme] or positions[lexeme][-1] != entry:
                    positions[lexeme].append(entry)
    return " ".join(f"{_quote(lex)}:{','.join(pos)}" for lex, pos in positions.items())


def vocabulary(doc: Document) -> set[str]:
    return {fold(t) for t in tokenize(doc.name) + tokenize(doc.meta)}


def tsquery_text(q: str, *, exact: bool) -> str | None:
    """A tsquery literal over the words of ``q`` (every word, the last one as a prefix, each
    synonym rewrite as an alternative). Built from tokens, so query syntax is never parsed."""
    alternatives = []
    for n, tokens in enumerate(query_variants(q)):
        words = [token if exact else fold(token) for token in tokens]
        terms = [_quote(w) for w in words]
        if n == 0 and len(fold(words[-1])) >= MIN_PREFIX:
            terms[-1] += ":*"
        alternatives.append("(" + " & ".join(terms) + ")")
    return " | ".join(alternatives) if alternatives else None


class PostgresBackend(SearchBackend):
    name = "postgres"
    wants_documents = False

    # ---- writing -----------------------------------------------------------------------

    def in_transaction(self, conn: Connection, product_ids: set[int]) -> None:
        documents, gone = _load(conn, product_ids)
        self.write(conn, documents, gone)

    def write(self, conn: Connection, documents: list[Document], gone: set[int]) -> None:
        """One set-based UPDATE per chunk: the vectors of ``documents``, NULL for ``gone``."""
        for start in range(0, len(documents), CHUNK):
            chunk = documents[start : start + CHUNK]
            conn.execute(
                text(
                    "UPDATE products AS p SET search_vector = CAST(v.vector AS tsvector) "
                    "FROM unnest(:ids, :vectors) AS v(id, vector) WHERE p.id = v.id"
                ).bindparams(
                    bindparam("ids", type_=ARRAY(db.Integer)),
                    bindparam("vectors", type_=ARRAY(db.Text)),
                ),
                {"ids": [d.id for d in chunk], "vectors": [vector_literal(d) for d in chunk]},
            )
            words = set().union(*(vocabulary(d) for d in chunk))
            if words:
                conn.execute(
                    insert(search_words)
                    .from_select(
                        ["word"],
                        select(func.unnest(cast(sorted(words), ARRAY(db.String)))),
                    )
                    .on_conflict_do_nothing()
                )
        gone = sorted(gone)
        for start in range(0, len(gone), CHUNK):
            conn.execute(
                text("UPDATE products SET search_vector = NULL WHERE id = ANY(:ids)").bindparams(
                    bindparam("ids", type_=ARRAY(db.Integer))
                ),
                {"ids": gone[start : start + CHUNK]},
            )

    def rebuild(self, conn: Connection, progress: Progress | None = None) -> int:
        """Recompute every vector in one transaction: readers keep the old ones until commit."""
        count = 0
        last = 0
        while True:
            ids = (
                conn.execute(
                    select(Product.id).where(Product.id > last).order_by(Product.id).limit(CHUNK)
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            documents, gone = _load(conn, ids)
            self.write(conn, documents, gone)
            count += len(documents)
            last = ids[-1]
            if progress:
                progress(len(documents))
        return count

    def clear(self) -> None:
        db.session.execute(text("UPDATE products SET search_vector = NULL"))

    # ---- reading -----------------------------------------------------------------------

    def search(self, q: str, filters: dict[str, Any], page: int, per_page: int) -> SearchHits:
        folded, exact = tsquery_text(q, exact=False), tsquery_text(q, exact=True)
        if folded is None:
            return SearchHits(hits=[], total=0, facets={"category": {}, "province": {}})
        matched = self._matching(folded, filters)
        total = db.session.scalar(
            select(func.count()).select_from(matched.with_only_columns(Product.id).subquery())
        )
        rank = func.ts_rank_cd(VECTOR, cast(folded, TSQUERY)) + func.ts_rank_cd(
            VECTOR, cast(exact, TSQUERY)
        )
        rows = db.session.execute(
            matched.with_only_columns(Product.id, rank.label("rank"), maintain_column_froms=True)
            .order_by(literal_column("rank").desc(), Product.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        hits = [(row.id, float(row.rank)) for row in rows]
        facets = facet_counts(matched) if total else {"category": {}, "province": {}}
        suggestion = self._suggest(q, filters) if total == 0 else None
        return SearchHits(hits=hits, total=total or 0, facets=facets, suggestion=suggestion)

    def _matching(self, tsquery: str, filters: dict[str, Any]):
        return filter_products(visible_products(), filters).where(
            VECTOR.op("@@")(cast(tsquery, TSQUERY))
        )

    def _suggest(self, q: str, filters: dict[str, Any]) -> str | None:
        words = [fold(t) for t in tokenize(q)]
        if not words:
            return None
        known = set(
            db.session.scalars(select(search_words.c.word).where(search_words.c.word.in_(words)))
        )
        corrected, changed = [], False
        for word in words:
            best = None
            if word not in known:
                best = db.session.scalar(
                    select(search_words.c.word)
                    .where(search_words.c.word.op("%")(word))
                    .order_by(func.similarity(search_words.c.word, word).desc())
                    .limit(1)
                )
            corrected.append(best or word)
            changed = changed or best is not None
        if not changed:
            return None
        suggestion = " ".join(corrected)
        query = tsquery_text(suggestion, exact=False)
        found = db.session.scalar(
            select(self._matching(query, filters).with_only_columns(Product.id).exists())
        )
        return suggestion if found else None

    def check(self, conn: Connection) -> Drift:
        drift = Drift()
        visible = set(conn.execute(visible_products().with_only_columns(Product.id)).scalars())
        indexed = set(
            conn.execute(
                select(Product.id).where(literal_column("search_vector").isnot(None))
            ).scalars()
        )
        drift.missing = sorted(visible - indexed)
        drift.extra = sorted(indexed - visible)
        both = sorted(visible & indexed)
        for start in range(0, len(both), CHUNK):
            documents, _ = _load(conn, both[start : start + CHUNK])
            drift.stale += (
                conn.execute(
                    text(
                        "SELECT v.id FROM unnest(:ids, :vectors) AS v(id, vector) "
                        "JOIN products p ON p.id = v.id "
                        "WHERE p.search_vector IS DISTINCT FROM CAST(v.vector AS tsvector)"
                    ).bindparams(
                        bindparam("ids", type_=ARRAY(db.Integer)),
                        bindparam("vectors", type_=ARRAY(db.Text)),
                    ),
                    {
                        "ids": [d.id for d in documents],
                        "vectors": [vector_literal(d) for d in documents],
                    },
                )
                .scalars()
                .all()
            )
        drift.stale.sort()
        return drift

    def healthy(self) -> bool:
        db.session.execute(select(func.count()).select_from(search_words)).scalar()
        return True
