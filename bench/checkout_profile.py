"""CPU and SQL statements per cash-on-delivery order, in-process (no server, no wrk).

    .venv/bin/python bench/checkout_profile.py [--orders 500] [--products 1000] [--profile]

Builds a PostgreSQL database (127.0.0.1:5432, user postgres; TEST_DATABASE_URL overrides the
server) with `flask seed synthetic`, registers 32 buyers, gives 100 products plenty of stock,
then places ``--orders`` orders through the Flask test client at POST /api/v1/orders (the bench's
bodies: one product at its minimum quantity, cash on delivery, tokens rotated), and prints the
process CPU time and the SQL statements per order. ``--profile``: under cProfile, the top of the
cumulative listing. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "mat-khau-bench-1"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key (tottime …)")
    parser.add_argument("--show-sql", action="store_true", help="print one order's statements")
    args = parser.parse_args()

    name = f"mp_checkout_profile_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "MARKETPLACE_ENV": "production",
                "SECRET_KEY": "bench",
                "SEARCH_INDEX_DIR": tmp,
                "SEARCH_BACKEND": "postgres",
                "RATELIMIT_ENABLED": "false",
            }
            flask = [sys.executable, "-m", "flask", "--app", "marketplace:create_app"]
            for cmd in (
                ["db", "upgrade"],
                ["seed", "synthetic", "--products", str(args.products), "--seed", "1"],
            ):
                subprocess.run(flask + cmd, cwd=ROOT, env=env, check=True, capture_output=True)
            os.environ.update(env)
            measure(url, args)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
    return 0


def measure(url: str, args) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.run import order_bodies
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app()
    client = app.test_client()
    tokens = []
    for i in range(32):
        email = f"profile-buyer-{i}@example.vn"
        r = client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": f"Người mua {i}"},
        )
        assert r.status_code == 201, r.get_json()
        r = client.post("/api/v1/auth/tokens", json={"login": email, "password": PASSWORD})
        tokens.append(r.get_json()["token"])
    products = client.get("/api/v1/products?per_page=100").get_json()["items"]
    bodies = order_bodies(url, products)

    count = [0]
    shown: list[str] = []

    def counted(conn, cursor, statement, *rest) -> None:
        count[0] += 1
        if args.show_sql:
            shown.append(" ".join(statement.split())[:160])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", counted)

    def place(n: int) -> None:
        for i in range(n):
            r = client.post(
                "/api/v1/orders",
                data=bodies[i % len(bodies)],
                content_type="application/json",
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            )
            assert r.status_code == 201, r.get_json()

    place(50)  # warm-up: caches, pools, first-request work
    if args.show_sql:
        shown.clear()
        place(1)
        print("\n".join(shown))
    count[0] = 0
    profiler = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    place(args.orders)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{args.orders} orders: {cpu / args.orders * 1000:.2f} ms CPU per order "
        f"({wall / args.orders * 1000:.2f} ms wall), "
        f"{count[0] / args.orders:.1f} SQL statements per order"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    raise SystemExit(main())
