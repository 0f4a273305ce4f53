"""The database going away in the middle of traffic: clean 503s, then recovery without a restart."""

import concurrent.futures as cf

import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import PG_SERVER_URL, pg_only


def _terminate_backends(database_url: str) -> int:
    name = sa.engine.make_url(database_url).database
    server = sa.create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar()
    server.dispose()
    return killed


@pg_only()
def test_app_recovers_after_its_connections_are_terminated(app, api, migrated):
    assert api.get("/coops").status_code == 200  # the pool now holds a live connection
    assert _terminate_backends(migrated) >= 1
    # The pool pings before use, so the very next request gets a fresh connection.
    r = api.get("/coops")
    assert r.status_code == 200, r.get_json()
    assert api.get("/healthz").get_json()["database"] == "ok"


@pg_only()
def test_connections_killed_during_traffic_give_503_or_success_never_500(app, migrated):
    def hit(_):
        r = app.test_client().get("/api/v1/coops")
        body = r.get_json()
        return r.status_code, (body or {}).get("error", {}).get("code")

    statuses = []
    with cf.ThreadPoolExecutor(8) as pool:
        for _round in range(5):
            futures = [pool.submit(hit, i) for i in range(16)]
            _terminate_backends(migrated)
            statuses += [f.result() for f in futures]
    assert statuses and all(s in (200, 503) for s, _ in statuses), statuses
    assert all(code == "service_unavailable" for s, code in statuses if s == 503)
    # …and it has recovered by itself.
    assert app.test_client().get("/api/v1/coops").status_code == 200


def test_unreachable_database_is_503_in_the_error_shape(app_config):
    broken = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    )
    client = broken.test_client()
    r = client.get("/api/v1/coops")
    assert r.status_code == 503
    assert r.get_json()["error"]["code"] == "service_unavailable"
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "down"


def test_every_pooled_connection_busy_is_503_not_500(app_config):
    busy = create_app(
        {
            **app_config,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "pool_size": 1,
                "max_overflow": 0,
                "pool_timeout": 0.2,
            },
        }
    )
    with busy.app_context():
        held = db.engine.connect()  # the pool's only connection, taken by "another request"
        try:
            r = busy.test_client().get("/api/v1/coops")
        finally:
            held.close()
        assert r.status_code == 503, r.get_json()
        assert r.get_json()["error"]["code"] == "service_unavailable"
        assert busy.test_client().get("/api/v1/coops").status_code == 200
        busy.extensions["marketplace.search"].close()
        db.engine.dispose()
