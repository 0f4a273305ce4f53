"""Whoosh segments for many documents at once (the seed loader, a rebuild, a household's products).

Whoosh 2.7.4's ``SegmentWriter`` spends most of its time per posting (about 62 a product): each one
is a tuple in a sorting pool, goes through a generic merge loop that looks its document's field
length up again, and is type-checked by the postings writer. Here a batch's postings are grouped
per term as the documents are read: documents come in order, so only the distinct terms are
sorted, and each term's posting list is written block by block through the same codec (whoosh3)
with the lengths already known. The files are the ones ``SegmentWriter`` writes for the same
documents (``tests/test_search_whoosh_bulk.py`` compares them posting by posting).

The batch is split into contiguous parts, one per process (fork: the documents are already in
memory), each part a segment. An ordinary writer, which holds the index lock, adds the segments
through ``commit(mergetype=…)``, Whoosh's hook for choosing the segments of the new generation.
"""

from __future__ import annotations

import multiprocessing
import traceback
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.util.numeric import byte_to_length, length_to_byte

# Fewer documents than this per process are not worth a fork.
MIN_PER_PROCESS = 1000
PROGRESS_EVERY = 500
ANALYSED_MAX = 50_000  # distinct (field, value) analyses kept per segment (tens of MB at most)

ToFields = Callable[[Any], dict[str, Any]]


class _BlockWriter(W3PostingsWriter):
    """Takes a whole posting list at once and fills the blocks by slices (``add_posting`` type-
    checks and compares every posting). Block statistics are computed as ``add_posting`` does."""

    def add_list(self, ids: array, weights: array, values: list[bytes], lengths: list[int]):
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if self._ids:
                self._write_block()
            end = start + limit
            self._ids = ids[start:end]
            block_weights = weights[start:end]
            self._weights = block_weights
            self._maxweight = max(0, max(block_weights))
            self._values = [v for v in values[start:end] if v]
            present = [n for n in lengths[start:end] if n]
            self._minlength = min(present) if present else None
            self._maxlength = max(present) if present else 0


class _Codec(W3Codec):
    def postings_writer(self, dbfile, byteids=False):
        return _BlockWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def new_segment(self, storage, indexname):
        # the segment (and the table of contents) names the stock codec
        return W3Codec().new_segment(storage, indexname)


class _Postings:
    """One term's postings, in document order."""

    __slots__ = ("ids", "weights", "values", "lengths")

    def __init__(self):
        self.ids = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []
        self.lengths: list[int] = []


class SegmentBuilder:
    """Writes the documents given to ``add`` as one new segment of the index."""

    def __init__(self, storage, indexname: str, schema):
        self.storage = storage
        self.schema = schema
        codec = _Codec()
        self.segment = codec.new_segment(storage, indexname)
        self.perdoc = codec.per_document_writer(storage, self.segment)
        self.fieldwriter = codec.field_writer(storage, self.segment)
        self.terms: dict[str, dict[bytes, _Postings]] = {}
        self.analysed: dict[tuple[str, Any], tuple[list, int]] = {}
        self.docnum = 0

    def add(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document`` records, for a document without boosts."""
        docnum = self.docnum
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = 0
            if field.indexed:
                items, length = self._index(name, field, value)
                # what the segment's length column gives back for this document
                stored_length = byte_to_length(length_to_byte(length)) if length else 0
                terms = self.terms.setdefault(name, {})
                for term, _freq, weight, vbytes in items:
                    postings = terms.get(term)
                    if postings is None:
                        postings = terms[term] = _Postings()
                    postings.ids.append(docnum)
                    postings.weights.append(weight)
                    postings.values.append(vbytes or b"")
                    postings.lengths.append(stored_length)
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def _index(self, name: str, field, value) -> tuple[list, int]:
        """The field's terms for ``value`` and its length, each distinct value analysed once:
        households, categories, places and prices repeat across products."""
        key = (name, value)
        found = None if field.unique else self.analysed.get(key)
        if found is None:
            items = list(field.index(value))
            length = sum(item[1] for item in items) if field.scorable else 0
            found = (items, length)
            if not field.unique:
                if len(self.analysed) >= ANALYSED_MAX:
                    self.analysed.clear()
                self.analysed[key] = found
        return found

    def finish(self):
        """Writes the terms and returns the closed segment (not yet part of the index)."""
        self.perdoc.close()
        writer = self.fieldwriter
        for name in sorted(self.terms):
            terms = self.terms[name]
            writer.start_field(name, self.schema[name])
            for term in sorted(terms):
                postings = terms[term]
                writer.start_term(term)
                writer._postwriter.add_list(
                    postings.ids, postings.weights, postings.values, postings.lengths
                )
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.terms.clear()
        self.analysed.clear()
        segment = self.segment
        segment.set_doc_count(self.docnum)
        if segment.should_assemble():
            segment.create_compound_file(self.storage)
            segment.compound = True
        return segment


def _build(writer, documents: Sequence, to_fields: ToFields, tick: Callable[[], None]) -> Any:
    builder = SegmentBuilder(writer.storage, writer.indexname, writer.schema)
    for n, doc in enumerate(documents, 1):
        builder.add(to_fields(doc))
        if n % PROGRESS_EVERY == 0:
            tick()
    return builder.finish()


def _child(writer, documents, to_fields, counter, conn) -> None:
    def tick() -> None:
        with counter.get_lock():
            counter.value += PROGRESS_EVERY

    try:
        conn.send(("ok", _build(writer, documents, to_fields, tick)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def build_segments(
    writer,
    documents: Sequence,
    to_fields: ToFields,
    procs: int,
    progress: Callable[[int], None] | None = None,
) -> list:
    """Segments holding ``documents`` (in order), written by up to ``procs`` processes. ``writer``
    is the index writer that holds the lock and will commit them."""
    parts = max(1, min(procs, len(documents) // MIN_PER_PROCESS))
    size = -(-len(documents) // parts)
    chunks = [documents[i : i + size] for i in range(0, len(documents), size)] or [documents]
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)  # documents done, every process counted
    reported = 0

    def tick() -> None:
        nonlocal reported
        with counter.get_lock():
            counter.value += PROGRESS_EVERY
            done = counter.value
        if progress:
            progress(done - reported)
        reported = done

    children = []
    try:
        for chunk in chunks[1:]:
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_child, args=(writer, chunk, to_fields, counter, send))
            process.start()
            send.close()
            children.append((process, receive))
        # this process writes the first part meanwhile
        segments = [_build(writer, chunks[0], to_fields, tick)]
        for process, receive in children:
            status, result = receive.recv()
            process.join()
            if status != "ok":
                raise RuntimeError(f"a Whoosh segment builder failed:\n{result}")
            segments.append(result)
    finally:
        for process, receive in children:
            receive.close()
            if process.is_alive():
                process.terminate()
                process.join()
    if progress:
        progress(len(documents) - reported)
    return segments
