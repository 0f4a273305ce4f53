"""Job worker figures (called by `make bench`, or alone):

- outbox throughput: N queued SMS notifications sent to a local HTTP gateway (http.server on
  127.0.0.1) by one relay, then by two relays racing for the same rows;
- `sales_by_household` over --orders delivered seller orders of one co-op (bulk-inserted), built
  by the report job (SQL aggregation + XLSX), target ≤ 30 s at 100,000;
- the worker process's peak memory (ru_maxrss) after both.

    .venv/bin/python bench/jobs_bench.py [--orders 100000] [--notifications 2000] [--sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.auth.models import User  # noqa: E402
from marketplace.catalogue.models import Product  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.notifications import events  # noqa: E402
from marketplace.notifications.delivery import deliver_due  # noqa: E402
from marketplace.notifications.services import notify  # noqa: E402
from marketplace.orders.models import Order, OrderLine, SellerOrder  # noqa: E402
from marketplace.reports.models import Report  # noqa: E402
from marketplace.reports.services import run_report  # noqa: E402
from marketplace.seed.synthetic import load_synthetic  # noqa: E402
from marketplace.sellers.models import Seller  # noqa: E402
from marketplace.unit_of_work import transaction  # noqa: E402

SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CHUNK = 5000


class _Gateway(BaseHTTPRequestHandler):
    # Headers and body leave in two writes: without this, delayed ACKs add ~40 ms per request.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    received = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Gateway.lock:
            _Gateway.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def _database(sqlite: bool, tmp: Path) -> tuple[str, callable]:
    if sqlite:
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    name = f"bench_jobs_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    url = sa.engine.make_url(SERVER_URL).set(database=name)
    return url.render_as_string(hide_password=False), drop


def _queue_notifications(count: int) -> None:
    with transaction():
        users = list(db.session.scalars(select(User).limit(count)))
        for index in range(count):
            notify(
                users[index % len(users)],
                events.PAYMENT_RECEIVED,
                phone=f"+8491{index:07d}",
                order_number=f"NS-BENCH-{index}",
                amount_vnd=125_000,
            )


def outbox_throughput(app, count: int, relays: int) -> float:
    with app.app_context():
        _queue_notifications(count)
    before = _Gateway.received
    started = time.perf_counter()

    def relay() -> None:
        with app.app_context():
            while sum(deliver_due(limit=200).values()):
                pass

    threads = [threading.Thread(target=relay) for _ in range(relays)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    sent = _Gateway.received - before
    assert sent == count, (sent, count)
    return count / elapsed


def _load_orders(orders: int) -> tuple[int, int]:
    """`orders` delivered seller orders (one line each, kg or g) of the biggest synthetic co-op."""
    load_synthetic(2000, 1)
    db.session.commit()
    coop_id, _ = db.session.execute(
        select(Seller.coop_id, func.count()).group_by(Seller.coop_id).order_by(func.count().desc())
    ).first()
    products = db.session.execute(
        select(Product.id, Product.seller_id, Product.unit, Product.unit_price_vnd)
        .join(Seller, Seller.id == Product.seller_id)
        .where(Seller.coop_id == coop_id)
    ).all()
    buyer_id = db.session.scalar(select(User.id).limit(1))
    rng = random.Random(1)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    connection = db.session.connection()
    first_order = (db.session.scalar(select(func.max(Order.id))) or 0) + 1
    address = {
        "recipient_name": "Bench",
        "phone": "+84912345678",
        "province_code": 31,
        "ward_code": 10813,
        "address_line": "Bench",
    }
    for offset in range(0, orders, CHUNK):
        order_rows, part_rows, line_rows = [], [], []
        for i in range(offset, min(offset + CHUNK, orders)):
            product_id, seller_id, unit, price = products[rng.randrange(len(products))]
            quantity = rng.randint(1, 5) if unit != "g" else rng.randint(100, 900)
            total = price * quantity
            when = start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
            order_id = first_order + i
            order_rows.append(
                {
                    "id": order_id,
                    "number": f"NS-B-{order_id}",
                    "buyer_id": buyer_id,
                    "status": "completed",
                    "payment_method": "cod",
                    "items_total_vnd": total,
                    "total_vnd": total,
                    "shipping_address": address,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            part_rows.append(
                {
                    "id": order_id,
                    "order_id": order_id,
                    "seller_id": seller_id,
                    "status": "delivered",
                    "subtotal_vnd": total,
                    "created_at": when,
                    "updated_at": when,
                    "delivered_at": when + dt.timedelta(hours=20),
                }
            )
            line_rows.append(
                {
                    "seller_order_id": order_id,
                    "product_id": product_id,
                    "name": "Bench",
                    "unit": unit,
                    "unit_price_vnd": price,
                    "quantity": quantity,
                    "line_total_vnd": total,
                }
            )
        connection.execute(insert(Order.__table__), order_rows)
        connection.execute(insert(SellerOrder.__table__), part_rows)
        connection.execute(insert(OrderLine.__table__), line_rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("orders", "seller_orders", "order_lines", "sellers"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        # Sequences follow the explicit ids.
        with db.engine.begin() as conn:
            for table in ("orders", "seller_orders"):
                conn.execute(
                    sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
    return coop_id, buyer_id


def report_time(app, orders: int) -> dict:
    with app.app_context():
        loaded = time.perf_counter()
        coop_id, user_id = _load_orders(orders)
        load_seconds = time.perf_counter() - loaded
        with transaction():
            report = Report(
                coop_id=coop_id,
                requested_by_id=user_id,
                kind="sales_by_household",
                format="xlsx",
                date_from=dt.date(2026, 1, 1),
                date_to=dt.date(2026, 12, 31),
                locale="vi",
                status="queued",
                progress=0,
            )
            db.session.add(report)
        started = time.perf_counter()
        assert run_report(report.id) == "done"
        elapsed = time.perf_counter() - started
        built = db.session.get(Report, report.id)
        delivered = db.session.scalar(
            select(func.count())
            .select_from(SellerOrder)
            .join(Seller, Seller.id == SellerOrder.seller_id)
            .where(Seller.coop_id == coop_id)
        )
        return {
            "orders_in_coop": delivered,
            "households": built.rows,
            "seconds": round(elapsed, 2),
            "load_seconds": round(load_seconds, 1),
            "bytes": len(built.content),
        }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    gateway = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = _database(args.sqlite, Path(tmp))
        try:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "SEARCH_INDEX_DIR": f"{tmp}/index",
                    "JOBS_SQLITE_FILE": f"{tmp}/jobs.sqlite3",
                    "SECRET_KEY": "bench",
                    "SMS_API_URL": f"http://127.0.0.1:{gateway.server_address[1]}/sms",
                    "SMS_API_KEY": "bench",
                }
            )
            with app.app_context():
                upgrade()
                load_synthetic(200, 7)
                db.session.commit()
            figures = {
                "database": "sqlite" if args.sqlite else "postgresql",
                "outbox_per_second_1_relay": round(outbox_throughput(app, args.notifications, 1)),
                "outbox_per_second_2_relays": round(outbox_throughput(app, args.notifications, 2)),
                "sales_by_household": report_time(app, args.orders),
                "worker_peak_rss_mib": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                ),
            }
            with app.app_context():
                db.engine.dispose()
        finally:
            drop()
    gateway.shutdown()
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
