"""What the job worker runs: jobs handed over by requests (TASKS) and periodic sweeps (PERIODIC).

Every periodic job is idempotent and runs under a queue-wide lock of its name: two workers that
fire the same sweep in the same minute run it one after the other (the second finds nothing), and
what each sweep changes is itself decided row by row (a locked order re-checked, a compare-and-set
UPDATE on a notification or a report). Adding a sweep is one line in PERIODIC.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import crontab

from ..delivery.deadlines import cancel_overdue_shipments, remind_ship_by_soon
from ..extensions import db
from ..notifications.delivery import deliver_due
from ..orders.cli import expire_unpaid_orders
from ..orders.idempotency import forget_keys
from ..reports.services import run_forgotten_reports, run_report
from ..search.services import get_backend
from ..unit_of_work import transaction

log = logging.getLogger("marketplace.jobs")

IDEMPOTENCY_KEYS_KEPT = dt.timedelta(days=7)


@dataclass(frozen=True)
class Periodic:
    name: str
    schedule: Callable[[dt.datetime], bool]  # huey's crontab(), evaluated in UTC
    run: Callable[[], Any]


def expire_reservations() -> int:
    expired = expire_unpaid_orders()
    if expired:
        log.info("expired %s unpaid order(s)", expired)
    return expired


def deliver_notifications() -> dict[str, int]:
    """The minute catch-up; the worker's relay thread sends within seconds in between."""
    return deliver_due(limit=1000)


def forget_idempotency_keys() -> int:
    with transaction():
        return forget_keys(IDEMPOTENCY_KEYS_KEPT)


def check_search_index() -> bool:
    """`flask search check`, nightly: logs the drift (`flask search rebuild` repairs it)."""
    with db.engine.connect() as conn:
        drift = get_backend().check(conn)
    if drift.clean:
        log.info("search index is in step with the database")
    else:
        log.warning(
            "search index drift: %s missing, %s stale, %s not visible; run `flask search rebuild`",
            len(drift.missing),
            len(drift.stale),
            len(drift.extra),
        )
    return drift.clean


TASKS: dict[str, Callable[..., Any]] = {
    "run_report": run_report,
}

PERIODIC: list[Periodic] = [
    Periodic("expire_reservations", crontab(minute="*"), expire_reservations),
    Periodic("cancel_overdue_shipments", crontab(minute="*"), cancel_overdue_shipments),
    Periodic("remind_ship_by_soon", crontab(minute="*"), remind_ship_by_soon),
    Periodic("deliver_notifications", crontab(minute="*"), deliver_notifications),
    Periodic("run_forgotten_reports", crontab(minute="*"), run_forgotten_reports),
    # 03:00 and 02:00 in Vietnam (UTC+7).
    Periodic("forget_idempotency_keys", crontab(minute="0", hour="20"), forget_idempotency_keys),
    Periodic("check_search_index", crontab(minute="0", hour="19"), check_search_index),
]
