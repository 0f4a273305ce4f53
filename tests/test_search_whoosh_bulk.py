"""Whoosh bulk writes: the segments whoosh_bulk builds hold exactly what Whoosh's own writer
writes for the same products, and the fast text field indexes what its analyzer gives."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from whoosh.fields import TEXT
from whoosh.filedb.filestore import FileStorage

from marketplace.search import whoosh_backend, whoosh_bulk
from marketplace.search.backend import Document
from marketplace.search.whoosh_backend import (
    FOLDED,
    VIETNAMESE,
    VietnameseText,
    WhooshBackend,
    _nfc_fields,
    _schema,
)

TEXTS = [
    "Vải thiều Thanh Hà loại 1",
    "ĐÀO đào Đào_x y2k 123 ổi",
    "",
    "Cà phê   Robusta, cà PHÊ!! vải vải",
    "Mật ong hoa cà phê – Hộ Nguyễn Thị Lan, Buôn Ma Thuột",
    "Xoài cát Hòa Lộc\u0301 (NFD mark) İstanbul ǅ ß",
]


@pytest.mark.parametrize("keep_exact, analyzer", [(True, VIETNAMESE), (False, FOLDED)])
def test_vietnamese_text_indexes_what_its_analyzer_gives(keep_exact, analyzer):
    fast = VietnameseText(keep_exact=keep_exact)
    stock = TEXT(analyzer=analyzer, phrase=False)
    for text in TEXTS:
        assert sorted(fast.index(text)) == sorted(stock.index(text)), text


def _documents(count: int, seed: int = 7, first_id: int = 1) -> list[Document]:
    rng = random.Random(seed)
    kinds = ["Vải thiều", "Nhãn lồng", "Xoài cát", "Bưởi Năm Roi", "Cà phê", "Gạo ST25"]
    households = [f"Hộ {rng.choice(['Nguyễn', 'Trần', 'Lê'])} Văn {i}" for i in range(40)]
    areas = ["Thanh Hà", "Hưng Yên", "Cái Bè", "Buôn Ma Thuột", "Sóc Trăng"]
    docs = []
    for i in range(count):
        kind, household, area = rng.choice(kinds), households[i // 20 % 40], rng.choice(areas)
        start = dt.date(2026, rng.randint(1, 6), rng.randint(1, 28)) if i % 3 else None
        docs.append(
            Document(
                id=first_id + i,
                name=f"{kind} {area} loại {rng.randint(1, 3)}",
                description=f"{kind} của {household}, {area}. " * rng.randint(0, 3),
                seller_name=household,
                origin_area=area,
                category_name=kind,
                category_id=kinds.index(kind) + 1,
                province_code=rng.randint(1, 34),
                coop_id=i // 200 + 1,
                seller_id=i // 20 + 1,
                price=rng.randint(10, 500) * 1000,
                stock=rng.randint(0, 1),
                harvest_start=start,
                harvest_end=start + dt.timedelta(days=40) if start and i % 2 else None,
            )
        )
    return docs


def _index(tmp_path, name):
    return FileStorage(str(tmp_path)).create_index(_schema(), indexname=name)


def _postings(reader, field, term):
    matcher = reader.postings(field, term)
    items = []
    while matcher.is_active():
        items.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return items


@pytest.mark.parametrize("procs", [1, 2])
def test_bulk_segments_hold_what_whooshs_writer_writes(tmp_path, procs):
    docs = _documents(2500)
    stock = _index(tmp_path, "stock")
    with stock.writer() as writer:
        for doc in docs:
            writer.add_document(**_nfc_fields(doc))
    bulk = _index(tmp_path, "bulk")
    writer = bulk.writer()
    reported = []
    segments = whoosh_bulk.build_segments(writer, docs, _nfc_fields, procs, reported.append)
    writer.commit(mergetype=lambda _writer, existing: existing + segments)

    assert sum(reported) == len(docs)
    assert len(bulk._segments()) == procs
    schema = _schema()
    with stock.reader() as expected, bulk.reader() as got:
        assert got.doc_count() == expected.doc_count() == len(docs)
        assert list(got.all_stored_fields()) == list(expected.all_stored_fields())
        for field in schema.names():
            if not schema[field].indexed:
                continue
            terms = list(expected.lexicon(field))
            assert list(got.lexicon(field)) == terms, field
            for term in terms:
                assert _postings(got, field, term) == _postings(expected, field, term)
                info, want = got.term_info(field, term), expected.term_info(field, term)
                for stat in ("weight", "doc_frequency", "max_weight", "min_id", "max_id"):
                    assert getattr(info, stat)() == getattr(want, stat)(), (field, term, stat)
                if procs == 1:  # one segment: the same blocks, with the same length bounds
                    assert info.min_length() == want.min_length()
                    assert info.max_length() == want.max_length()
            if schema[field].scorable:
                assert got.field_length(field) == expected.field_length(field)
                for docnum in range(len(docs)):
                    length = got.doc_field_length(docnum, field)
                    assert length == expected.doc_field_length(docnum, field)
            if schema[field].column_type:
                assert list(got.column_reader(field)) == list(expected.column_reader(field))


def test_a_bulk_write_replaces_what_was_indexed_and_drops_gone_ids(tmp_path):
    backend = WhooshBackend(str(tmp_path / "index"))
    first = _documents(whoosh_backend.BULK + 100)
    backend.index_documents(first)
    renamed = [
        Document(**{**doc.__dict__, "name": f"Mít Thái {doc.id}"})
        for doc in first[: whoosh_backend.BULK]
    ]
    gone = [doc.id for doc in first[whoosh_backend.BULK :]]
    backend.index_documents(renamed, gone=gone)

    stamps = backend.indexed_stamps()
    assert stamps == {doc.id: doc.stamp for doc in renamed}  # each product once, the new version
    hits = backend.search("mit thai", {}, 1, 10)
    assert hits.total == len(renamed)
    assert backend.search("loai", {}, 1, 10).total == 0  # only the old names said "loại"
    backend.close()
