"""The notification outbox: one row per person, event and channel, written in the transaction of
what caused it and sent afterwards by the job worker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import UTCDateTime, utcnow
from ..extensions import db

CHANNELS = ("in_app", "email", "sms", "zalo")
# queued → sent | failed; failed → sent | failed | dead (after the last retry). in_app is `sent`
# from the start: the feed shows it as soon as the transaction that wrote it commits.
STATUSES = ("queued", "sent", "failed", "dead")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_feed", "user_id", "channel", "created_at"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str] = mapped_column(String(2))
    # The text in the recipient's language, rendered when the event happened.
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    # The event's values formatted for people (Zalo ZNS template_data).
    data: Mapped[dict] = mapped_column(JSON)
    # E-mail address or E.164 phone number; null for in_app.
    destination: Mapped[str | None] = mapped_column(String(254))
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A worker that claimed the row owns it until then (compare-and-set, see delivery.py).
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
