"""The login limit: at most 10 attempts a minute per account, whatever the entry point.

The API (`POST /auth/tokens`) and the login page, and the email and the phone of one account,
count together. The counter lives in the app's database (table ``login_attempts``, one row per
account and window), so every gunicorn worker and every host sees it, with `memory://` rate-limit
storage as with Redis; it is counted in a transaction of its own, committed at once, because the
request's unit of work rolls back a refused login. A lock-out ends with its window (a minute at
most); a household that lost its password can still be helped by its co-op. The per-address limit
(300 a minute) stays with Flask-Limiter and its RATELIMIT_STORAGE_URI.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import RateLimited
from ..extensions import db
from .models import LoginAttempts, User
from .services import normalise_login


def _account_key(conn, login: str) -> str:
    """The account a login names (its email and phone are one key), or the login itself."""
    key = normalise_login(login)[:254]
    column = User.phone if key.startswith("+") else User.email
    user_id = conn.scalar(select(User.id).where(column == key))
    return f"user:{user_id}" if user_id is not None else f"login:{key}"


def count_attempt(login: str) -> None:
    """Count one login attempt; 429 ``rate_limited`` when the account is over its limit."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return
    limit = config["LOGIN_ATTEMPTS_PER_WINDOW"]
    window = config["LOGIN_WINDOW_SECONDS"]
    now = time.time()
    window_start = int(now // window * window)
    table = LoginAttempts.__table__
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    with db.engine.begin() as conn:
        key = _account_key(conn, login)
        statement = (
            insert(table)
            .values(key=key, window_start=window_start, attempts=1)
            .on_conflict_do_update(
                index_elements=[table.c.key, table.c.window_start],
                set_={"attempts": table.c.attempts + 1},
            )
            .returning(table.c.attempts)
        )
        attempts = conn.scalar(statement)
        # Windows that ended are of no use any more.
        conn.execute(delete(table).where(table.c.window_start < window_start))
    if attempts > limit:
        retry_after = max(1, math.ceil(window_start + window - now))
        raise RateLimited(
            "Too many login attempts for this account; wait a minute and retry.",
            {"retry_after_seconds": retry_after},
        )
