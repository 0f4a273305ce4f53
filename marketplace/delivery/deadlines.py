"""The ship-by sweeps: households are reminded when `ship_by` is 4 hours away, and seller orders
not shipped in time are cancelled (`not_shipped_in_time`).

Reads cancel lazily (orders/services.py); `flask orders expire-shipments` and the job worker (every
minute) call cancel_overdue_shipments(), one short transaction per seller order.
`flask orders remind-ship-by` and the worker (every minute) call remind_ship_by_soon().
"""

from __future__ import annotations

import datetime as dt
import logging

from ..errors import AppError
from ..orders import services as orders
from ..unit_of_work import transaction

log = logging.getLogger("marketplace.delivery")


def cancel_overdue_shipments(now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Cancel every confirmed seller order past its ship_by: stock back, its paid part (lines and
    shipping) refunded at the provider. Returns how many were cancelled.

    One transaction per seller order, so a webhook or a shipment never waits on the whole sweep;
    one whose refund fails (provider down) is logged, left as it is and tried again next time.
    """
    cancelled = 0
    for seller_order_id in orders.overdue_shipment_ids(limit=limit, now=now):
        try:
            with transaction():
                if orders.cancel_overdue_shipment(seller_order_id, now):
                    cancelled += 1
        except AppError as exc:
            log.warning("could not cancel overdue seller order %s: %s", seller_order_id, exc)
    return cancelled


REMINDER_BATCH = 100


def remind_ship_by_soon(now: dt.datetime | None = None) -> int:
    """Remind the household of every confirmed seller order whose ship_by is within 4 hours and
    that was not reminded yet, once each (compare-and-set on `ship_by_reminded_at`, see
    orders.remind_ship_by_soon); one transaction per batch. Returns how many were reminded."""
    reminded = 0
    while True:
        with transaction():
            told = orders.remind_ship_by_soon(now, limit=REMINDER_BATCH)
        reminded += told
        if told < REMINDER_BATCH:
            return reminded
