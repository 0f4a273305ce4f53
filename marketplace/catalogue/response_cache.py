"""GET /products and GET /search answered from memory while what they show has not changed.

Both answers are the same for every caller and are read far more often than the catalogue
changes. Each worker process keeps its last answers (the JSON bytes) under the catalogue
generation they were computed at, and the calendar day in Vietnam (``in_season`` and the verified
certifications depend on it). Every sale changes a product's ``stock_quantity`` and ``updated_at``
but nothing else an answer shows, so those two fields of each item are not frozen in the stored
bytes: a request reads the generation *and* the current stock and ``updated_at`` of the page's
products in one indexed statement — the only SQL of a hit — and, when the generation has not
moved, splices them into the stored bytes. A sale that leaves stock therefore keeps every answer
cached; one that sells a product out (or a restock from 0) moves the generation, because the
``in_stock`` filter and its counts change. See catalogue.generation for why this is never stale,
and docs/performance.md for the figures.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app
from marshmallow import Schema, fields

from ..clock import today_vn
from . import generation

EXTENSION = "marketplace.response_cache"
# An answer is recomputed at least this often, whatever the generation says (a process that died
# between its commit and advancing the generation cannot leave a stale answer for longer).
MAX_AGE_SECONDS = 60
# Answers larger than this are not kept (a page of 100 products is ~60 KB).
MAX_BODY_BYTES = 256 * 1024
STRIPES = 64


class ResponseCache:
    """A bounded, thread-safe LRU of answers (bytes or ``Answer``), each with the generation it is
    valid for."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict[Hashable, tuple[Any, float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        # Threads that miss the same answer compute it once: the others wait on its stripe.
        self._stripes = [threading.Lock() for _ in range(STRIPES)]

    def latest(self, key: Hashable) -> Any:
        """The stored answer whatever its version (a hit needs its ids before it reads)."""
        with self._lock:
            item = self._items.get(key)
        return None if item is None else item[2]

    def get(self, key: Hashable, version: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != version or time.monotonic() - item[1] > MAX_AGE_SECONDS:
                return None
            self._items.move_to_end(key)
            return item[2]

    def get_or_compute(self, key: Hashable, version: Any, compute: Callable[[], Any]) -> Any:
        body = self.get(key, version)
        if body is None:
            with self._stripes[hash(key) % STRIPES]:
                body = self.get(key, version)  # computed by the thread we waited for
                if body is None:
                    body = compute()
                    self.put(key, version, body)
        return body

    def put(self, key: Hashable, version: Any, body: Any) -> None:
        if len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            self._items[key] = (version, time.monotonic(), body)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


# The fields of each item that are read live on every request instead of being stored.
LIVE_FIELDS = ("stock_quantity", "updated_at")
_MARK = "@@live:{}:{}@@"
_MARKS = re.compile(rb'"@@live:(\d+):(stock_quantity|updated_at)@@"')
_UPDATED_AT = fields.DateTime()


@dataclass(frozen=True)
class Answer:
    """A JSON answer whose items' live fields are left as slots: ``parts`` around ``slots``."""

    ids: tuple[int, ...]
    parts: tuple[bytes, ...]
    slots: tuple[tuple[int, int], ...]  # (index in ids, index in LIVE_FIELDS)
    computed: Mapping[int, tuple[int, Any]]  # the live fields as computed

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    def render(self, live: Mapping[int, tuple[int, Any]]) -> bytes:
        out = [self.parts[0]]
        for (item, field), part in zip(self.slots, self.parts[1:], strict=True):
            value = live[self.ids[item]][field]
            out.append(
                str(value).encode()
                if field == 0
                else json.dumps(_UPDATED_AT.serialize("v", {"v": value})).encode()
            )
            out.append(part)
        return b"".join(out)

    @classmethod
    def of(cls, dumped: dict[str, Any], encode: Callable[[Any], str]) -> Answer:
        ids, computed = [], {}
        for i, item in enumerate(dumped["items"]):
            ids.append(item["id"])
            computed[item["id"]] = (item["stock_quantity"], item["updated_at"])
            for name in LIVE_FIELDS:
                item[name] = _MARK.format(i, name)
        pieces = _MARKS.split(encode(dumped).encode())
        parts, slots = pieces[0::3], []
        for index, name in zip(pieces[1::3], pieces[2::3], strict=True):
            slots.append((int(index), LIVE_FIELDS.index(name.decode())))
        return cls(tuple(ids), tuple(parts), tuple(slots), computed)

    def render_computed(self) -> bytes:
        out = [self.parts[0]]
        for (item, field), part in zip(self.slots, self.parts[1:], strict=True):
            value = self.computed[self.ids[item]][field]
            out.append(json.dumps(value).encode())
            out.append(part)
        return b"".join(out)


def init_app(app) -> None:
    entries = app.config["RESPONSE_CACHE_ENTRIES"]
    app.extensions[EXTENSION] = ResponseCache(entries) if entries > 0 else None
    generation.install()


def _key(name: str, args: dict[str, Any]) -> str:
    return name + json.dumps(args, sort_keys=True, default=str, ensure_ascii=False)


def serve(name: str, args: dict[str, Any], compute: Callable[[], Any], schema: Schema) -> Response:
    """The JSON answer ``schema.dump(compute())`` for these (parsed) arguments, from the cache
    when nothing it shows has changed since it was computed. The answer is a page: ``items`` are
    products, whose ``stock_quantity`` and ``updated_at`` are read live on a hit."""
    cache: ResponseCache | None = current_app.extensions.get(EXTENSION)

    def dump() -> Any:
        return schema.dump(compute())

    def encode(value: Any) -> str:
        # The same bytes as flask-smorest's jsonify of the dumped schema.
        return current_app.json.dumps(value) + "\n"

    if cache is None:
        return Response(encode(dump()).encode(), mimetype="application/json")
    key = _key(name, args)
    known = cache.latest(key)
    stamp, live = generation.read_with_live(known.ids if known is not None else ())
    if stamp is None:
        return Response(encode(dump()).encode(), mimetype="application/json")
    mine: list[Answer] = []

    def compute_answer() -> Answer:
        mine.append(Answer.of(dump(), encode))
        return mine[0]

    answer = cache.get_or_compute(key, (stamp, today_vn()), compute_answer)
    if mine:  # computed by this request, after its read: its own values are the newest
        return Response(answer.render_computed(), mimetype="application/json")
    if not all(pid in live for pid in answer.ids):
        # Stored by another thread since this one looked: read the stock of its products.
        _, live = generation.read_with_live(answer.ids)
    body = answer.render(live)  # a hit: the stored bytes with the current stock
    return Response(body, mimetype="application/json")
