"""Nông sản marketplace: the app factory."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, g, request
from sqlalchemy.exc import DBAPIError

from . import search
from .catalogue import response_cache
from .config import build_config
from .errors import ErrorSchema, UriTooLong, register_error_handlers
from .extensions import api, db, limiter, migrate
from .http import IdConverter, id_param_schema
from .jobs import queue as jobs
from .media import routes as media_routes
from .web import init_web

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_URL_LENGTH = 4096


def create_app(config: Mapping | None = None, instance_path: str | None = None) -> Flask:
    """Build the app from the environment; ``config`` overrides single settings (tests use it),
    ``instance_path`` the instance folder (``instance/`` of the checkout by default)."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    # The SQLite file and the Whoosh index live here; a fresh clone has no such folder yet.
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(build_config(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["MARKETPLACE_ENV"] == "production":
        # Production is served over HTTPS (TLS ends at the proxy): the cookie never goes over HTTP.
        app.config["SESSION_COOKIE_SECURE"] = True
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    _configure_logging(app)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has one write lock: a writer waits up to 30 s for another to commit (one may
        # hold it across a payment provider's call) instead of pysqlite's 5 s.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        )
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
    app.url_map.converters["int"] = IdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    limiter.init_app(app)
    search.init_app(app)
    jobs.init_app(app)
    media_routes.init_app(app)
    # After search: its index is written after commit, before the catalogue generation moves on.
    response_cache.init_app(app)
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "Marketplace for local agricultural products of Vietnam."},
        },
    )
    api.register_converter(IdConverter, id_param_schema)
    # init_app builds a new spec for every app, so the scheme is registered once per app.
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/tokens"},
    )

    _register_blueprints(app)
    init_web(app)
    _register_cli(app)
    register_error_handlers(app)
    _register_request_hooks(app)
    return app


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")


def _register_blueprints(app: Flask) -> None:
    from .auth.routes import blp as auth_blp
    from .catalogue.routes import blp as catalogue_blp
    from .coops.routes import blp as coops_blp
    from .delivery.routes import blp as delivery_blp
    from .health import blp as health_blp
    from .lots.routes import blp as lots_blp
    from .media.routes import blp as media_blp
    from .media.routes import files_blp as media_files_blp
    from .money.routes import blp as money_blp
    from .notifications.routes import blp as notifications_blp
    from .orders.routes import blp as orders_blp
    from .payments.routes import blp as payments_blp
    from .reports.routes import blp as reports_blp
    from .reviews.routes import blp as reviews_blp
    from .search.routes import blp as search_blp
    from .sellers.routes import blp as sellers_blp

    for blp in (
        auth_blp,
        coops_blp,
        sellers_blp,
        catalogue_blp,
        search_blp,
        orders_blp,
        delivery_blp,
        payments_blp,
        notifications_blp,
        reports_blp,
        money_blp,
        media_blp,
        reviews_blp,
        lots_blp,
        health_blp,
        media_files_blp,
    ):
        api.register_blueprint(blp)


def _register_cli(app: Flask) -> None:
    from .audit.cli import audit_cli
    from .auth.cli import users_cli
    from .jobs.cli import jobs_cli
    from .orders.cli import orders_cli
    from .search.cli import search_cli
    from .seed.cli import seed_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(jobs_cli)


def _register_request_hooks(app: Flask) -> None:
    @app.teardown_appcontext
    def release_session(_exc):
        # Runs before Flask-SQLAlchemy's own teardown. When the database connection died during
        # the request, the rollback on close fails: drop the connection instead of failing.
        try:
            db.session.remove()
        except DBAPIError:
            with contextlib.suppress(Exception):
                db.session.invalidate()
            db.session.registry.clear()

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.before_request
    def refuse_long_urls():
        # 414 in the error shape (an error page for pages); gunicorn.conf.py lets such request
        # lines through (up to its maximum, 8190 bytes) so that the app can answer them.
        environ = request.environ
        uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        if len(uri) > MAX_URL_LENGTH:
            raise UriTooLong()

    @app.after_request
    def add_headers(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' https: data:; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
            )
        return response


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger("marketplace").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("marketplace")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
