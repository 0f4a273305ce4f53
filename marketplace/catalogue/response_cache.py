"""GET /products and GET /search answered from memory while the catalogue has not changed.

Both answers are the same for every caller and are read far more often than the catalogue
changes. Each worker process keeps its last answers (the JSON bytes) under the catalogue
generation they were computed at, and the calendar day in Vietnam (``in_season`` and the verified
certifications depend on it). A request reads the generation first — one indexed read, the only
SQL of a hit — and serves the stored bytes when nothing has changed since; otherwise it computes
the answer as before and keeps it. See catalogue.generation for why this is never stale, and
docs/performance.md for the figures.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Response, current_app
from marshmallow import Schema

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
    """A bounded, thread-safe LRU of JSON bodies, each with the generation it is valid for."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict[Hashable, tuple[Any, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        # Threads that miss the same answer compute it once: the others wait on its stripe.
        self._stripes = [threading.Lock() for _ in range(STRIPES)]

    def get(self, key: Hashable, version: Any) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != version or time.monotonic() - item[1] > MAX_AGE_SECONDS:
                return None
            self._items.move_to_end(key)
            return item[2]

    def get_or_compute(self, key: Hashable, version: Any, compute: Callable[[], bytes]) -> bytes:
        body = self.get(key, version)
        if body is None:
            with self._stripes[hash(key) % STRIPES]:
                body = self.get(key, version)  # computed by the thread we waited for
                if body is None:
                    body = compute()
                    self.put(key, version, body)
        return body

    def put(self, key: Hashable, version: Any, body: bytes) -> None:
        if len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            self._items[key] = (version, time.monotonic(), body)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


def init_app(app) -> None:
    entries = app.config["RESPONSE_CACHE_ENTRIES"]
    app.extensions[EXTENSION] = ResponseCache(entries) if entries > 0 else None
    generation.install()


def _key(name: str, args: dict[str, Any]) -> str:
    return name + json.dumps(args, sort_keys=True, default=str, ensure_ascii=False)


def serve(name: str, args: dict[str, Any], compute: Callable[[], Any], schema: Schema) -> Response:
    """The JSON answer ``schema.dump(compute())`` for these (parsed) arguments, from the cache
    when the catalogue has not changed since it was computed."""
    cache: ResponseCache | None = current_app.extensions.get(EXTENSION)
    stamp = generation.current() if cache is not None else None
    version = None if stamp is None else (stamp, today_vn())

    def render() -> bytes:
        # The same bytes as flask-smorest's jsonify of the dumped schema.
        return (current_app.json.dumps(schema.dump(compute())) + "\n").encode()

    if version is None:
        return Response(render(), mimetype="application/json")
    return Response(
        cache.get_or_compute(_key(name, args), version, render), mimetype="application/json"
    )
