"""Search: Vietnamese-aware full text over the visible catalogue (Whoosh or PostgreSQL).

Kept import-light: catalogue modules import ``search.text`` and ``search.changes``.
"""

from __future__ import annotations

from flask import Flask

EXTENSION = "marketplace.search"


def make_backend(app: Flask):
    """The backend SEARCH_BACKEND names."""
    from ..config import ConfigError

    if app.config["SEARCH_BACKEND"] == "postgres":
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise ConfigError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
        from .postgres_backend import PostgresBackend

        return PostgresBackend()
    from .whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_DIR"])


def init_app(app: Flask) -> None:
    """Register the backend (GET /healthz asks it) and the session hooks that keep it current."""
    from .sync import install

    app.extensions[EXTENSION] = make_backend(app)
    install()
