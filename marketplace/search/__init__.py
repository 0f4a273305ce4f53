"""Search: Vietnamese-aware full text over the visible catalogue (Whoosh or PostgreSQL)."""

from __future__ import annotations

from flask import Flask

from ..config import ConfigError
from .backend import SearchBackend
from .sync import EXTENSION, install


def make_backend(app: Flask) -> SearchBackend:
    """The backend SEARCH_BACKEND names."""
    if app.config["SEARCH_BACKEND"] == "postgres":
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise ConfigError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
        from .postgres_backend import PostgresBackend

        return PostgresBackend()
    from .whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_DIR"])


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = make_backend(app)
    install()
