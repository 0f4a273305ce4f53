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
LEASE = dt.timedelta(minutes=5)
_RETRYABLE = ("queued", "failed")


def _due(now: dt.datetime):
    return (
        Notification.status.in_(_RETRYABLE)
        & (Notification.next_attempt_at <= now)
        & or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)
    )


def due_ids(now: dt.datetime, limit: int) -> list[int]:
    query = (
        select(Notification.id)
        .where(_due(now))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim(notification_id: int, now: dt.datetime) -> bool:
    """Take one notification for this worker: True only for the one worker whose UPDATE matched."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _due(now))
        .values(claimed_until=now + LEASE, attempts=Notification.attempts + 1)
    )
    return result.rowcount == 1


def _record(notification_id: int, error: str | None, now: dt.datetime) -> str:
    row = db.session.get(Notification, notification_id, populate_existing=True)
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
    Needs an app context; each claim and each outcome is its own short transaction."""
    own_channels = channels is None
    channels = channels or Channels(current_app.config)
    outcomes = {"sent": 0, "failed": 0, "dead": 0}
    try:
        with transaction():
            ids = due_ids(now or utcnow(), limit)
        for notification_id in ids:
            moment = now or utcnow()
            with transaction():
                if not claim(notification_id, moment):
                    continue  # another worker has it
                notification = db.session.get(Notification, notification_id)
                db.session.expunge(notification)  # read after the commit without a query
            try:
                channels.send(notification)
                error = None
            except SendError as exc:
                error = str(exc)
                log.warning(
                    "notification %s (%s) not sent: %s",
                    notification_id,
                    notification.channel,
                    error,
                )
            with transaction():
                outcomes[_record(notification_id, error, now or utcnow())] += 1
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
