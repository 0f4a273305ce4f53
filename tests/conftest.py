"""Test fixtures: a real database (SQLite file or PostgreSQL) migrated from empty once per run,
emptied after every test, and an API client that speaks JSON with bearer tokens.

TEST_DB=sqlite|postgres picks the database (the Makefile runs the suite once with each).
TEST_DATABASE_URL points at a PostgreSQL server database to create the test database from.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db, limiter

pytest_plugins = ["tests.payments_fixtures", "tests.gateways", "tests.browser"]

TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_SERVER_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_server_engine() -> sa.Engine:
    return sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if TEST_DB == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"mp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server = _pg_server_engine()
    try:
        with server.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if IN_CI:
            raise RuntimeError(f"PostgreSQL is required in CI and unreachable: {exc}") from exc
        pytest.skip(f"PostgreSQL unreachable at {PG_SERVER_URL}")
    url = sa.engine.make_url(PG_SERVER_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def base_config(database_url: str, index_dir) -> dict[str, Any]:
    return {
        "MARKETPLACE_ENV": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(index_dir),
        # The job queue's own SQLite file, beside the test's index (never the dev instance/).
        "JOBS_SQLITE_FILE": str(index_dir.parent / "jobs.sqlite3"),
        # Photos go next to the index, in the test's own temporary folder.
        "MEDIA_DIR": str(Path(index_dir).parent / "media"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "test-secret",
        # Cheap scrypt parameters: the suite hashes hundreds of passwords.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    """The schema built by `flask db upgrade` from an empty database (the migrations are tested)."""
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("index")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


# Rows the migrations insert (the starting category tree) survive between tests.
MIGRATION_ROWS = {"categories": 11}


def _empty_tables(app) -> None:
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in MIGRATION_ROWS]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                # The ledger is append-only (a trigger); the suite alone may empty it.
                conn.execute(sa.text("SET LOCAL marketplace.purge_ledger = 'on'"))
            # DELETE, not TRUNCATE: on these small tables it is ~20x faster (TRUNCATE makes new
            # files for every table), and the suite empties them after every test.
            for table in reversed(tables):
                conn.execute(table.delete())
            if db.engine.dialect.name == "postgresql":
                kept_sequences = {f"{name}_id_seq" for name in MIGRATION_ROWS}
                used = conn.execute(
                    sa.text(
                        "SELECT sequencename FROM pg_sequences"
                        " WHERE schemaname = 'public' AND last_value IS NOT NULL"
                    )
                ).scalars()
                for sequence in set(used) - kept_sequences:
                    conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            for name, kept in MIGRATION_ROWS.items():
                conn.execute(sa.text(f"DELETE FROM {name} WHERE id > {kept}"))


@pytest.fixture
def app_config(migrated, tmp_path) -> dict[str, Any]:
    """Overrides for the app under test; a test may change them before asking for ``app``."""
    return base_config(migrated, tmp_path / "search-index")


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    limiter.reset()
    yield app
    _empty_tables(app)
    # every test has its own index folder (tmp_path): release the searcher's open files
    search = app.extensions.get("marketplace.search")
    if search is not None:
        search.close()
    with app.app_context():
        db.engine.dispose()


@dataclass
class ApiClient:
    """The Flask test client, speaking JSON to /api/v1 with an optional bearer token."""

    client: Any
    token: str | None = None

    def call(self, method: str, path: str, json: Any = None, token: str | None = None, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        url = path if path.startswith("/api/") or path.startswith("/healthz") else f"/api/v1{path}"
        return self.client.open(url, method=method, json=json, headers=headers, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def as_(self, token: str | None) -> ApiClient:
        return ApiClient(self.client, token)


@pytest.fixture
def api(app) -> ApiClient:
    return ApiClient(app.test_client())


@contextmanager
def recorded_statements(app) -> Iterator[list[str]]:
    """The SQL statements the app sends to its database while the block runs."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def pg_only():
    return pytest.mark.skipif(TEST_DB != "postgres", reason="needs PostgreSQL")


pytest.register_assert_rewrite("tests.factories")
