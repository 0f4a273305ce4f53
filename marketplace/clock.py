"""Time: UTC timestamps everywhere, and "today" as the date in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today_vn() -> dt.date:
    """The calendar date in Vietnam (harvest windows and `in_season` use it)."""
    return dt.datetime.now(VIETNAM).date()


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite drops the offset on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use clock.utcnow()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
