"""`Idempotency-Key` on POST /orders (and the checkout page's form key): a route-level concern.

A row UNIQUE on (user, key) is committed first: a concurrent duplicate fails that insert and is
answered from the row (409 while in progress, the stored answer after). The answer (201 or 402,
which both leave an order behind) is stored with the request's last transaction; any other failure
deletes the row, so the same key may be retried. A card checkout links the row to its order in its
first commit (``link``). A row still in progress after ABANDONED_AFTER belongs to a process that
died: a retry then claims the key again (no order was written) or is answered with the linked
order as it stands (its stock expires or its payment's webhook settles it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..errors import IdempotencyInProgress, IdempotencyKeyReused
from ..extensions import db
from ..unit_of_work import rollback, transaction
from . import services
from .models import IdempotencyRecord, Order

# A key still in progress after this long belongs to a request whose process died: no request
# lives longer (gunicorn's timeout is 30 s; the payment provider's calls time out well before).
ABANDONED_AFTER = dt.timedelta(minutes=10)

Answer = tuple[int, dict[str, Any]]


def _key_is(user_id: int, key: str):
    """The condition naming one buyer's Idempotency-Key row."""
    return (IdempotencyRecord.user_id == user_id) & (IdempotencyRecord.key == key)


def fingerprint(body: Any) -> str:
    """SHA-256 of the JSON body in canonical form (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def once(
    user_id: int,
    key: str | None,
    body: Any,
    compute: Callable[[], tuple[int, dict[str, Any], int]],
    describe: Callable[[Order], dict[str, Any]],
) -> Answer:
    """Answer ``compute()`` — ``(status, body, order_id)`` — once per key: the same key and body
    get the stored answer again. ``describe(order)`` answers for an order a dead process left."""
    if key is None:
        status, answer, _order_id = compute()
        return status, answer
    earlier = _claim(user_id, key, fingerprint(body), describe)
    if earlier is not None:
        return earlier
    try:
        status, answer, order_id = compute()
    except BaseException:
        # No order was written (validation, stock, provider down…): the key may be used again.
        _release(user_id, key)
        raise
    with transaction():  # with a cash-on-delivery order itself: both or neither
        _store(user_id, key, status, answer, order_id)
    return status, answer


def link(user_id: int, key: str | None, order_id: int) -> None:
    """Name the order a key is placing, before its payment starts (found again after a crash)."""
    if key is not None:
        db.session.execute(
            update(IdempotencyRecord).where(_key_is(user_id, key)).values(order_id=order_id)
        )


def forget_keys(older_than: dt.timedelta) -> int:
    """Delete the Idempotency-Key records made before ``older_than`` ago (`flask orders
    forget-keys`); a request that reuses such a key is a new request. Returns how many."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - older_than)
    )
    return result.rowcount or 0


def _claim(user_id: int, key: str, print_: str, describe, *, retry: bool = True) -> Answer | None:
    """Insert the key (committed at once); None when we own it, else the earlier answer.

    Raises IdempotencyKeyReused (other body) or IdempotencyInProgress (not finished yet).
    """
    try:
        with transaction():
            db.session.add(IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_))
        return None
    except IntegrityError:
        pass
    earlier = db.session.scalar(select(IdempotencyRecord).where(_key_is(user_id, key)))
    if earlier is None:  # the first request failed and let the key go meanwhile
        raise IdempotencyInProgress()
    if earlier.fingerprint != print_:
        raise IdempotencyKeyReused()
    if earlier.status == "done":
        return earlier.response_status or 201, earlier.response_body or {}
    if utcnow() - earlier.created_at < ABANDONED_AFTER or not retry:
        raise IdempotencyInProgress()
    return _recover(earlier, user_id, key, print_, describe)


def _recover(abandoned: IdempotencyRecord, user_id: int, key: str, print_: str, describe):
    """A key in progress for longer than any request can live: its process died.

    Without an order (it died before writing one) the key is released and claimed again. With one
    (a card checkout that died after its first commit) the answer is that order as it stands now.
    """
    if abandoned.order_id is None:
        # Only the abandoned row: a concurrent retry that already replaced it keeps its own.
        with transaction():
            db.session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.id == abandoned.id,
                    IdempotencyRecord.status == "in_progress",
                )
            )
        return _claim(user_id, key, print_, describe, retry=False)
    with transaction():
        order = services.lock_order(abandoned.order_id)
        body = describe(order)
        _store(user_id, key, 201, body, order.id)
    return 201, body


def _store(user_id: int, key: str, status: int, body: dict, order_id: int) -> None:
    record = db.session.scalar(select(IdempotencyRecord).where(_key_is(user_id, key)))
    if record is not None:
        record.status = "done"
        record.response_status = status
        record.response_body = body
        record.order_id = order_id


def _release(user_id: int, key: str) -> None:
    rollback()
    with transaction():
        db.session.execute(
            delete(IdempotencyRecord).where(
                _key_is(user_id, key), IdempotencyRecord.status == "in_progress"
            )
        )
