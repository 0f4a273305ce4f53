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

from typing import Any

from sqlalchemy import (
    REAL,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR, insert

from ..catalogue.models import Product
from ..catalogue.services import filter_products, visible_products
from ..extensions import db
from .backend import (
    ANALYZE_AFTER,
    CHUNK,
    Document,
    Drift,
    Progress,
    SearchBackend,
    SearchHits,
)
from .backend import load_documents as _load
from .text import fold, query_variants, tokenize

MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
# The last word is a prefix; alone, only from two letters on (see whoosh_backend.MIN_PREFIX).
MIN_PREFIX = 2

# Objects outside the ORM metadata: they exist on PostgreSQL only (migration 0003).
search_metadata = MetaData()
search_words = Table("search_words", search_metadata, Column("word", String(100), primary_key=True))
VECTOR = literal_column("products.search_vector", type_=TSVECTOR)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _exact_and_folded(text_: str) -> tuple[list[str], list[str]]:
    tokens = tokenize(text_)
    folded = fold(" ".join(tokens)).split(" ")  # one fold() per text, not per word
    if len(folded) != len(tokens):
        folded = [fold(t) for t in tokens]
    return tokens, folded


def vector_literal(doc: Document) -> str:
    """The tsvector literal of a document: ``'vải':1A 'vai':1A 'thiều':2A …``.

    Tokens are runs of letters and digits, so they never hold a quote or a backslash."""
    parts: list[str] = []
    position = 0
    for text_, weight in ((doc.name, "A"), (doc.meta, "B"), (doc.description, "C")):
        for token, folded in zip(*_exact_and_folded(text_), strict=True):
            position = min(position + 1, MAX_POSITION)
            parts.append(f"'{token}':{position}{weight}")
            if folded != token:
                parts.append(f"'{folded}':{position}{weight}")
    return " ".join(parts)


def vocabulary(doc: Document) -> set[str]:
    return set(_exact_and_folded(doc.name)[1] + _exact_and_folded(doc.meta)[1])


def tsquery_text(q: str, *, exact: bool, phrase: bool = False) -> str | None:
    """A tsquery literal over the words of ``q`` (every word, the last one as a prefix — even one
    letter after other words —, each synonym rewrite as an alternative). Built from tokens, so query syntax is never parsed.

    With ``phrase``, only the alternatives of two words or more, each word followed by the next
    (``'vai' <-> 'thieu':*``)."""
    alternatives = []
    for n, tokens in enumerate(query_variants(q)):
        if phrase and len(tokens) < 2:
            continue
        words = [token if exact else fold(token) for token in tokens]
        terms = [_quote(w) for w in words]
        if n == 0 and (len(words) > 1 or len(fold(words[-1])) >= MIN_PREFIX):
            terms[-1] += ":*"
        alternatives.append("(" + (" <-> " if phrase else " & ").join(terms) + ")")
    return " | ".join(alternatives) if alternatives else None


# What a product holding the query's words side by side, in the order typed, adds to its rank: about
# what one word of the name brings.
PHRASE_BONUS = 1


def _rank(q: str):
    """How well a product matches ``q``: the rank of the folded query plus the rank of the exact
    one (a word typed with its accents ranks the products holding those accents first), plus
    ``PHRASE_BONUS`` when the words stand together ('thanh hà' ranks *Xã Thanh Hà* above
    *Thanh long* from *Hà Nội*). None when that is just twice the folded rank (nothing accented,
    one word): the quick rank then orders every match by itself.

    ``ts_rank``, not ``ts_rank_cd``: the cover density costs about six times as much per match.
    Both weigh name, middle text and description alike; ``ts_rank`` caps what repeats of one word
    add (a word in the name always outweighs the same word in the description only) but, on
    queries with synonyms, ignores how close the words are: the phrase bonus puts proximity back.
    """
    folded, exact = tsquery_text(q, exact=False), tsquery_text(q, exact=True)
    phrase = tsquery_text(q, exact=False, phrase=True)
    if exact == folded and phrase is None:
        return None
    folded_rank = func.ts_rank(VECTOR, cast(folded, TSQUERY))
    rank = (
        folded_rank * 2
        if exact == folded
        else folded_rank + func.ts_rank(VECTOR, cast(exact, TSQUERY))
    )
    if phrase is not None:
        rank = rank + case((VECTOR.op("@@")(cast(phrase, TSQUERY)), PHRASE_BONUS), else_=0)
    return rank


# A broad query matches tens of thousands of products; only this many, the best by the quick rank
# (the folded query's ts_rank), get the full rank (docs/search.md).
RANK_CANDIDATES = 200


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
        if len(documents) >= ANALYZE_AFTER:
            # after a bulk load the planner's statistics are empty or wrong (seconds per query
            # instead of milliseconds until autovacuum catches up); ANALYZE sees this
            # transaction's own rows
            conn.execute(text("ANALYZE products"))
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
        folded = tsquery_text(q, exact=False)
        if folded is None:
            return SearchHits(hits=[], total=0, facets={"category": {}, "province": {}})
        # The planner cannot estimate a prefix match ('cam':*) and guesses "every row": a full scan
        # evaluating every vector (90 ms at 10,000 products) instead of the GIN index (2 ms).
        # Every statement below has the @@ condition, so the index is always the right path.
        # JIT compiling pays off only for long scans; a broad query's plan crosses jit_above_cost
        # at a few hundred thousand products and then pays 15 ms (50 ms past the inlining
        # threshold) to compile. Both settings last until the request's transaction ends.
        db.session.execute(
            text("SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)")
        )
        # One statement, one scan of the matches: they are materialised once (id, category,
        # province, quick rank) and read three times, for the page and for each facet. The counts
        # share the rank's REAL column (exact up to 2**24).
        quick = func.ts_rank(VECTOR, cast(folded, TSQUERY))
        matched = (
            self._matching(folded, filters)
            .with_only_columns(
                Product.id,
                Product.category_id,
                Product.origin_province_code,
                quick.label("quick"),
                maintain_column_froms=True,
            )
            .cte("matched")
            .prefix_with("MATERIALIZED")
        )
        page_of_hits = self._page(q, matched, page, per_page)
        facet_rows = [
            select(literal(name), column, cast(func.count(), REAL)).group_by(column)
            for name, column in (
                ("category", matched.c.category_id),
                ("province", matched.c.origin_province_code),
            )
        ]
        hits: list[tuple[int, float]] = []
        facets: dict[str, dict[int, int]] = {"category": {}, "province": {}}
        for kind, key, value in db.session.execute(union_all(page_of_hits, *facet_rows)):
            if kind == "hit":
                hits.append((key, value))
            else:
                facets[kind][key] = int(value)
        # every product has exactly one category, so the category counts add up to the total
        total = sum(facets["category"].values())
        suggestion = self._suggest(q, filters) if total == 0 else None
        return SearchHits(hits=hits, total=total, facets=facets, suggestion=suggestion)

    def _page(self, q: str, matched, page: int, per_page: int):
        """The page of (``'hit'``, id, score). Only the ``RANK_CANDIDATES`` best matches by the
        quick rank get the full rank (accents, phrase): they come first, by full rank; the
        others follow by quick rank. Every page reads the same order."""
        offset = (page - 1) * per_page
        full = _rank(q)
        if full is None:  # the full rank is twice the quick one
            return (
                select(literal("hit"), matched.c.id, matched.c.quick * 2)
                .order_by(matched.c.quick.desc(), matched.c.id.desc())
                .limit(per_page)
                .offset(offset)
            )
        top = (
            select(matched.c.id)
            .order_by(matched.c.quick.desc(), matched.c.id.desc())
            .limit(RANK_CANDIDATES)
            .cte("top")
        )
        products = Product.__table__
        parts = [
            select(top.c.id, full.label("score"), literal(0).label("part")).select_from(
                top.join(products, products.c.id == top.c.id)
            )
        ]
        if offset + per_page > RANK_CANDIDATES:
            parts.append(
                select(matched.c.id, matched.c.quick, literal(1)).where(
                    matched.c.id.not_in(select(top.c.id))
                )
            )
        hits = union_all(*parts).subquery("hits")
        return (
            select(literal("hit"), hits.c.id, hits.c.score)
            .order_by(hits.c.part, hits.c.score.desc(), hits.c.id.desc())
            .limit(per_page)
            .offset(offset)
        )

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
        # short Vietnamese syllables share few trigrams ('xoia' and 'xoai': 0.25)
        db.session.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
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
