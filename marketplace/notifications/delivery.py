"""The worker's side of the outbox: find notifications due, claim each with a compare-and-set
UPDATE (so two workers never send the same one), send it, record the outcome.

A failed send is retried after about 1, 5, 30 and 120 minutes, then the notification is `dead`.
A claim is a lease: a worker that died while sending lets another retry after LEASE.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from ..clock import utcnow
from ..extensions import db
from ..unit_of_work import transaction
from .channels import Channels, SendError
from .models import Notification

log = logging.getLogger("marketplace.notifications")

BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(minutes=120),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A batch is claimed for LEASE: BATCH sends at most NOTIFICATIONS_SEND_TIMEOUT_SECONDS each fit.
BATCH = 20
LEASE = dt.timedelta(minutes=5)
_RETRYABLE = ("queued", "failed")


def _due(now: dt.datetime):
    return (
        Notification.status.in_(_RETRYABLE)
        & (Notification.next_attempt_at <= now)
        & or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)
    )


def claim_batch(now: dt.datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due notifications for this worker with one compare-and-set UPDATE:
    a row another worker claimed first no longer matches, so each row has one owner."""
    due = (
        select(Notification.id)
        .where(_due(now))
        .order_by(Notification.next_attempt_at, Notification.id)
    )
    ids = list(db.session.scalars(due.limit(limit)))
    if not ids:
        return []
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), _due(now))
        .values(claimed_until=now + LEASE, attempts=Notification.attempts + 1)
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed.scalars())


def _record(row: Notification, error: str | None, now: dt.datetime) -> str:
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", now, None
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.last_error = "dead", error[:1000]
    else:
        row.status, row.last_error = "failed", error[:1000]
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]
    row.claimed_until = None
    return row.status


def deliver_due(
    *, limit: int = 100, now: dt.datetime | None = None, channels: Channels | None = None
) -> dict[str, int]:
    """Send up to ``limit`` due notifications; returns how many ended sent, failed and dead.

    Works in batches of BATCH: one transaction claims a batch, the sends follow with no
    transaction open, one transaction records their outcomes (so a slow disk costs two commits
    per batch, not per message). Needs an app context."""
    own_channels = channels is None
    channels = channels or Channels(current_app.config)
    outcomes = {"sent": 0, "failed": 0, "dead": 0}
    try:
        while limit > 0:
            with transaction():
                ids = claim_batch(now or utcnow(), min(BATCH, limit))
                rows = list(
                    db.session.scalars(select(Notification).where(Notification.id.in_(ids)))
                )
                db.session.expunge_all()  # read after the commit without a query
            if not rows:
                break
            limit -= len(rows)
            errors: dict[int, str | None] = {}
            for row in rows:
                try:
                    channels.send(row)
                    errors[row.id] = None
                except SendError as exc:
                    errors[row.id] = str(exc)
                    log.warning("notification %s (%s) not sent: %s", row.id, row.channel, exc)
            with transaction():
                moment = now or utcnow()
                for row in rows:
                    outcomes[
                        _record(db.session.merge(row, load=False), errors[row.id], moment)
                    ] += 1
    finally:
        if own_channels:
            channels.close()
    return outcomes


class NotificationRelay:
    """A thread of the job worker that sends what the outbox holds, polling every
    NOTIFICATIONS_POLL_SECONDS (so a household hears of an order within seconds)."""

    def __init__(self, app: Flask):
        self.app = app
        self.poll = float(app.config.get("NOTIFICATIONS_POLL_SECONDS", 1.0))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="notification-relay", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 15) -> None:
        self.stopped.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        channels = Channels(self.app.config)
        batch = 100
        try:
            while not self.stopped.is_set():
                busy = False
                try:
                    with self.app.app_context():
                        outcomes = deliver_due(limit=batch, channels=channels)
                    busy = sum(outcomes.values()) >= batch
                except Exception:  # noqa: BLE001 - the relay outlives a database hiccup
                    log.exception("notification relay: a round failed; retrying")
                if not busy:
                    self.stopped.wait(self.poll)
        finally:
            channels.close()
