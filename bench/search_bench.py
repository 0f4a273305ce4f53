"""Search figures: time to index N products through the sync machinery, and GET /search latency.

    .venv/bin/python bench/search_bench.py --backend whoosh --products 10000
    .venv/bin/python bench/search_bench.py --backend postgres --products 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Builds a throw-away database (a temporary SQLite file, or a new PostgreSQL database that is
dropped afterwards), inserts N products with one Core INSERT per 5,000 rows, marks them with
``products_changed`` and times the commit that indexes them (Whoosh: after commit; PostgreSQL: the
set-based tsvector UPDATE inside the transaction). Then calls GET /api/v1/search in-process (Flask
test client, no HTTP server: the figures are the app's own time) with a mix of queries and prints
p50/p95. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.auth.models import User  # noqa: E402
from marketplace.catalogue.models import Category, Product  # noqa: E402
from marketplace.coops.models import Coop  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.search.changes import products_changed  # noqa: E402
from marketplace.sellers.models import Seller  # noqa: E402

FRUITS = [
    "Vải thiều",
    "Nhãn lồng",
    "Xoài cát",
    "Bưởi da xanh",
    "Cam sành",
    "Thanh long",
    "Sầu riêng",
    "Măng cụt",
    "Chôm chôm",
    "Ổi ruột đỏ",
    "Gạo ST25",
    "Cà phê Robusta",
    "Mật ong hoa nhãn",
    "Hạt điều",
    "Chè Thái Nguyên",
    "Khoai lang tím",
    "Dừa xiêm",
    "Na dai",
    "Mận hậu",
    "Đào Sa Pa",
]
PLACES = [
    "Thanh Hà",
    "Hưng Yên",
    "Hòa Lộc",
    "Bến Tre",
    "Cao Phong",
    "Bình Thuận",
    "Sóc Trăng",
    "Buôn Ma Thuột",
    "Lục Ngạn",
    "Mộc Châu",
    "Đà Lạt",
    "Tân Cương",
    "Cái Bè",
    "Sơn La",
]
WORDS = [
    "ngon",
    "ngọt",
    "sạch",
    "tươi",
    "loại",
    "đặc",
    "biệt",
    "chín",
    "cây",
    "hái",
    "sáng",
    "đóng",
    "thùng",
    "xốp",
    "VietGAP",
    "hữu",
    "cơ",
    "giòn",
    "thơm",
    "mọng",
    "nước",
    "vườn",
    "nhà",
]
QUERIES = [
    "vai thieu",
    "nhãn",
    "xoai cat",
    "buoi",
    "ca phe",
    "mat ong",
    "gao st",
    "sầu riêng",
    "lychee",
    "thanh long",
    "dao",
    "hat dieu",
    "che thai",
    "vai thieu thanh ha",
    "cam",
    "ngot",
    "vietgap",
    "xoia",
    "mango",
    "longan",
]


def build(app, n: int, seed: int = 1) -> float:
    rng = random.Random(seed)
    with app.app_context():
        categories = db.session.scalars(sa.select(Category.id)).all()
        coop = Coop(slug="htx-bench", name="Hợp tác xã Bench", province_code=31)
        db.session.add(coop)
        sellers = []
        for i in range(200):
            user = User(email=f"bench{i}@example.vn", full_name=f"Hộ {i}")
            seller = Seller(
                user=user,
                coop=coop,
                display_name=f"Vườn nhà {rng.choice(PLACES)} {i}",
                status="approved",
                phone=f"+8490{i:07d}",
                province_code=31,
                ward_code=10813,
                address_line="Thôn 1",
            )
            db.session.add(seller)
            sellers.append(seller)
        db.session.commit()
        seller_ids = [s.id for s in sellers]
        rows = []
        for i in range(n):
            fruit = rng.choice(FRUITS)
            place = rng.choice(PLACES)
            rows.append(
                {
                    "seller_id": rng.choice(seller_ids),
                    "name": f"{fruit} {place} {rng.choice(WORDS)} {i}",
                    "description": " ".join(rng.choice(WORDS) for _ in range(25)),
                    "category_id": rng.choice(categories),
                    "unit": "kg",
                    "unit_price_vnd": rng.randrange(10_000, 500_000),
                    "stock_quantity": rng.randrange(0, 100),
                    "min_order_quantity": 1,
                    "origin_province_code": rng.choice([31, 33, 82, 92, 24, 1]),
                    "origin_area": place,
                    "images": [],
                    "status": "active",
                }
            )
        ids = []
        for start in range(0, n, 5000):
            ids += db.session.scalars(
                sa.insert(Product).returning(Product.id), rows[start : start + 5000]
            ).all()
        products_changed(ids)
        started = time.perf_counter()
        db.session.commit()  # the sync hooks index the products here
        return time.perf_counter() - started


def latency(app, rounds: int) -> tuple[float, float]:
    client = app.test_client()
    timings = []
    for q in QUERIES[:3]:  # warm up
        client.get("/api/v1/search", query_string={"q": q})
    for _ in range(rounds):
        for q in QUERIES:
            started = time.perf_counter()
            response = client.get("/api/v1/search", query_string={"q": q, "per_page": 20})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
    quantiles = statistics.quantiles(timings, n=100)
    return quantiles[49], quantiles[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    server = None
    if args.backend == "postgres":
        name = f"search_bench_{uuid.uuid4().hex[:8]}"
        server = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(args.database_url).set(database=name)
        database_url = url.render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_BACKEND": args.backend,
            "SEARCH_INDEX_DIR": str(workdir / "index"),
            "RATELIMIT_ENABLED": False,
        }
    )
    try:
        with app.app_context():
            upgrade()
        seconds = build(app, args.products)
        print(f"{args.backend}: indexed {args.products} products in {seconds:.1f} s")
        if args.backend == "postgres":
            # what autovacuum does within a minute of a bulk load: drop the row versions the
            # INSERT-then-UPDATE left behind and merge the GIN pending list
            with app.app_context(), db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM ANALYZE products")
                )
        p50, p95 = latency(app, args.rounds)
        print(
            f"{args.backend}: GET /search at {args.products} products: p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms"
        )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if server is not None:
            with server.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()


if __name__ == "__main__":
    main()
