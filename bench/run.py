"""`make bench`: load figures for the marketplace, each with a ratio to a baseline from the same run.

Builds PostgreSQL databases with `flask seed synthetic` (10,000 and 100,000 products), serves the
app with gunicorn as configured in gunicorn.conf.py, serves two baselines with the same settings
(a bare Flask JSON endpoint; a Flask-SQLAlchemy + marshmallow page of 20 rows), drives load with
wrk from a separate process (a Python thread pool for checkout), prints a table and writes
bench/results/latest.json. Only 127.0.0.1 is ever targeted; every run is bounded in time.

    .venv/bin/python bench/run.py [--sizes 10000,100000] [--duration 10] [--connections 32]
                                  [--only mixed] [--quick]

The headline is the mixed scenario (a harvest rush): 24 connections reading catalogue pages,
product pages and searches alone, while one order a second is placed, while 8 more connections
place orders, and the orders alone, each with req/s, percentiles and its ratio to the reads alone.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench-password-2026"
WARMUP_SECONDS = 5
# Latency targets (search p95, Whoosh p50) are read at this many connections, where the server is
# not saturated: at 32, even the bare Flask baseline queues past 20 ms.
LATENCY_CONNECTIONS = 4
# A fixed mix of real Vietnamese queries (accented, folded, English synonyms, prefixes).
SEARCH_QUERIES = [
    "vải thiều",
    "vai thieu",
    "nhãn lồng",
    "nhan",
    "xoài cát",
    "xoai",
    "bưởi da xanh",
    "buoi",
    "gạo st25",
    "gao",
    "cà phê",
    "ca phe robusta",
    "mật ong",
    "mat ong rung",
    "lychee",
    "longan",
    "mango",
    "thanh hà",
    "hưng yên",
    "rau",
]


# The mixed scenario (DESIGN "reads hold while orders flow").
READ_CONNECTIONS = 24
ORDER_CONNECTIONS = 8
# gunicorn master pid by base URL: worker memory is read after the run.
SERVERS: dict[str, int] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict, **kw) -> float:
    """Run a command to completion; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kw)
    return time.perf_counter() - started


def flask(env: dict, *args: str, **kw) -> float:
    return run([str(BIN / "flask"), "--app", "wsgi", *args], env, **kw)


@contextlib.contextmanager
def existing_database(name: str):
    """A database left by an earlier run (--reuse): neither created nor dropped."""
    yield sa.engine.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def database(name: str):
    server = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@contextlib.contextmanager
def gunicorn(app_ref: str, env: dict):
    port = free_port()
    env = {**env, "PORT": str(port)}
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            app_ref,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with contextlib.suppress(requests.RequestException):
                requests.get(base + "/", timeout=1)
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn {app_ref} did not start")
        SERVERS[base] = proc.pid
        yield base
    finally:
        SERVERS.pop(base, None)
        proc.terminate()
        proc.wait(timeout=30)


def wrk(
    url: str,
    duration: int,
    connections: int,
    paths: list[str] | None = None,
    *,
    method: str = "GET",
    body: str = "",
    bodies: list[str] | None = None,
    tokens: list[str] | None = None,
    warmup: int = WARMUP_SECONDS,
) -> dict:
    """Load one URL (or a rotation of paths, bodies and bearer tokens) with wrk; req/s (all and
    2xx only) and latency percentiles in ms, measured after ``warmup`` seconds of the same load
    (every worker has opened its connections and searchers and filled its cache)."""
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": body}
    files = []
    for name, lines in (("WRK_PATHS", paths), ("WRK_BODIES", bodies), ("WRK_TOKENS", tokens)):
        env.pop(name, None)
        if lines:
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
                f.write("\n".join(lines))
            env[name] = f.name
            files.append(f.name)

    def load(seconds: int) -> str:
        return subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
            + ["-s", str(BENCH / "latency.lua"), url],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout

    if warmup:
        load(warmup)
    out = load(duration)
    for name in files:
        os.unlink(name)
    summary = json.loads(out.strip().splitlines()[-1])
    seconds = summary["duration_us"] / 1e6
    return {
        "rps": round(summary["requests"] / seconds, 1),
        "ok_rps": round((summary["requests"] - summary["non2xx"]) / seconds, 1),
        "p50_ms": round(summary["p50_us"] / 1000, 2),
        "p95_ms": round(summary["p95_us"] / 1000, 2),
        "p99_ms": round(summary["p99_us"] / 1000, 2),
        "non2xx": summary["non2xx"],
        "errors": summary["socket_errors"],
    }


def worker_rss_mb(base: str) -> list[float]:
    """Resident memory (MB) of each gunicorn worker serving ``base`` (Linux /proc)."""
    master = SERVERS[base]
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    sizes = []
    for pid in children:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sorted(sizes)


def sql_per_request(env: dict, paths: list[str]) -> float:
    """SQL statements per request, counted in-process with the same configuration, once every
    path has been requested once (with the response cache on: the statements of a hit)."""
    code = (
        "import json, sys\n"
        "from sqlalchemy import event\n"
        "from marketplace import create_app\n"
        "from marketplace.extensions import db\n"
        "app = create_app()\n"
        "paths = json.loads(sys.argv[1])\n"
        "count = [0]\n"
        "with app.app_context():\n"
        "    event.listen(db.engine, 'before_cursor_execute', lambda *a: count.__setitem__(0, count[0] + 1))\n"
        "client = app.test_client()\n"
        "for p in paths: client.get(p)\n"
        "count[0] = 0\n"
        "for p in paths: client.get(p)\n"
        "print(count[0] / len(paths))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return round(float(out.strip().splitlines()[-1]), 1)


def make_buyers(base: str, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        email = f"bench-buyer-{i}-{time.time_ns()}@example.vn"
        r = requests.post(
            f"{base}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": f"Người mua {i}"},
        )
        r.raise_for_status()
        r = requests.post(f"{base}/api/v1/auth/tokens", json={"login": email, "password": PASSWORD})
        r.raise_for_status()
        tokens.append(r.json()["token"])
    return tokens


ADDRESS = {  # Phường Ba Đình, Thành phố Hà Nội
    "recipient_name": "Nguyễn Văn Bền",
    "phone": "0912345678",
    "province_code": 1,
    "ward_code": 4,
    "address_line": "Số 1 Tràng Tiền",
}


def checkout(base: str, url: str, tokens: list[str], products: list[dict], args) -> dict:
    """``len(tokens)`` buyers place cash-on-delivery orders for ``args.duration`` seconds (wrk
    rotating their tokens over the products, each at its minimum order quantity); orders/s is
    counted by wrk (2xx answers) and checked against the orders stored."""
    bodies = order_bodies(url, products)
    engine = sa.create_engine(url)
    load = {"method": "POST", "bodies": bodies, "tokens": tokens}
    wrk(base + "/api/v1/orders", WARMUP_SECONDS, len(tokens), warmup=0, **load)
    with engine.connect() as conn:
        before = conn.scalar(sa.text("SELECT count(*) FROM orders"))
    r = wrk(base + "/api/v1/orders", args.duration, len(tokens), warmup=0, **load)
    with engine.connect() as conn:
        stored = conn.scalar(sa.text("SELECT count(*) FROM orders")) - before
    engine.dispose()
    return {**r, "rps": r["ok_rps"], "orders_stored": stored}


def last_units(base: str, tokens: list[str], product_id: int) -> dict:
    """200 buyers (threads) race for the last 10 units: exactly 10 must sell."""

    def buy(token):
        return requests.post(
            f"{base}/api/v1/orders",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "items": [{"product_id": product_id, "quantity": 1}],
                "shipping_address": ADDRESS,
                "payment_method": "cod",
            },
        ).status_code

    with cf.ThreadPoolExecutor(200) as pool:
        codes = list(pool.map(buy, [tokens[i % len(tokens)] for i in range(200)]))
    return {
        "sold": codes.count(201),
        "refused": codes.count(409),
        "other": len(codes) - codes.count(201) - codes.count(409),
    }


def oversell_check(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        negative = conn.scalar(sa.text("SELECT count(*) FROM products WHERE stock_quantity < 0"))
        drift = conn.scalar(
            sa.text(
                "SELECT count(*) FROM products p JOIN (SELECT product_id, sum(delta) d, "
                "min(resulting_quantity) lowest FROM stock_movements GROUP BY product_id) m "
                "ON m.product_id = p.id WHERE m.lowest < 0"
            )
        )
    engine.dispose()
    return {"negative_stock_products": negative, "negative_movements": drift}


def table(rows: list[dict]) -> str:
    head = f"{'scenario':52} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'SQL/req':>7} {'ratio':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else ""
        sql = "" if r.get("sql") is None else f"{r['sql']:.1f}"
        lines.append(
            f"{r['name']:52} {r['rps']:8.1f} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} "
            f"{r['p99_ms']:8.2f} {sql:>7} {ratio:>6}"
        )
    return "\n".join(lines)


def vacuum(url: str) -> None:
    """VACUUM ANALYZE after loading, as autovacuum would (it is off on this machine's server): the
    search rebuild rewrote every row, and dead rows slow the first index scans of both apps."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def scenario(base, env, name, paths, baseline, args, connections=None) -> dict:
    """One wrk scenario over ``paths``, with its SQL per request and its ratio to ``baseline``."""
    r = wrk(
        base + paths[0],
        args.duration,
        connections or args.connections,
        paths if len(paths) > 1 else None,
    )
    r.update(name=name, sql=sql_per_request(env, paths[:20]), ratio=r["rps"] / baseline["rps"])
    return r


FILTERED = "/api/v1/products?category=trai-cay&in_stock=true&sort=price&min_price=10000"


def order_bodies(url: str, products: list[dict]) -> list[str]:
    """One cash-on-delivery order body per product (its minimum quantity), with enough stock
    for the whole run, so that every answer is an order, not a 409."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE products SET stock_quantity = 1000000 WHERE id = ANY(:ids)"),
            {"ids": [p["id"] for p in products]},
        )
    engine.dispose()
    return [
        json.dumps(
            {
                "items": [{"product_id": p["id"], "quantity": p["min_order_quantity"]}],
                "shipping_address": ADDRESS,
                "payment_method": "cod",
            },
            ensure_ascii=False,
        )
        for p in products
    ]


def read_paths(products: list[dict], search_paths: list[str]) -> list[str]:
    """What buyers read in a rush: catalogue pages (first pages, sorts, filters), product pages
    and the 20 searches, interleaved."""
    catalogue = [
        "/api/v1/products",
        "/api/v1/products?page=2",
        "/api/v1/products?page=3",
        "/api/v1/products?sort=price",
        "/api/v1/products?sort=-price",
        "/api/v1/products?category=trai-cay",
        "/api/v1/products?in_stock=true",
        "/api/v1/products?in_season=true",
        "/api/v1/products?province_code=31",
        FILTERED,
    ]
    details = [f"/api/v1/products/{p['id']}" for p in products[::5][:20]]
    paths = []
    for i in range(20):
        paths += [catalogue[i % len(catalogue)], details[i % len(details)], search_paths[i]]
    return paths


def mixed(base: str, url: str, products: list[dict], search_paths: list[str], args) -> list:
    """The headline: reads alone, reads while one order a second is placed, reads while 8 more
    connections place orders, orders alone. Same server, same data, one after the other."""
    tokens = make_buyers(base, ORDER_CONNECTIONS)
    orders = {"method": "POST", "bodies": order_bodies(url, products), "tokens": tokens}
    paths = read_paths(products, search_paths)
    reads = dict(paths=paths)

    def read(warmup: int = WARMUP_SECONDS) -> dict:
        return wrk(base + paths[0], args.duration, READ_CONNECTIONS, warmup=warmup, **reads)

    def place_orders() -> dict:
        return wrk(base + "/api/v1/orders", args.duration, ORDER_CONNECTIONS, **orders)

    # A longer warm-up first: every worker computes each of the 60 answers once (a cold search at
    # 100,000 products takes 0.1-1 s), so that the first row does not pay what the others do not.
    alone = {
        "name": f"mixed: reads alone, {READ_CONNECTIONS} connections",
        **read(3 * WARMUP_SECONDS),
    }
    rows = [alone]

    # One order a second from a Python thread, for as long as the reads run (warm-up included).
    stop, placed = threading.Event(), []

    def trickle():
        i = 0
        while not stop.wait(1.0):
            r = requests.post(
                base + "/api/v1/orders",
                data=orders["bodies"][i % len(products)].encode(),
                headers={
                    "Authorization": f"Bearer {tokens[0]}",
                    "Content-Type": "application/json",
                },
                timeout=10,
            )
            placed.append(r.status_code)
            i += 1

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        one = read()
    finally:
        stop.set()
        thread.join()
    one.update(
        name="mixed: reads while 1 order/s is placed",
        orders_placed=placed.count(201),
        orders_refused=len(placed) - placed.count(201),
    )
    rows.append(one)

    with cf.ThreadPoolExecutor(2) as pool:
        reading, ordering = pool.submit(read), pool.submit(place_orders)
        busy, concurrent_orders = reading.result(), ordering.result()
    busy["name"] = f"mixed: reads while {ORDER_CONNECTIONS} connections order"
    concurrent_orders.update(
        name=f"mixed: orders alongside the reads ({ORDER_CONNECTIONS} conn.)",
        rps=concurrent_orders["ok_rps"],
    )
    rows += [busy, concurrent_orders]
    only = place_orders()
    only.update(name=f"mixed: orders alone, {ORDER_CONNECTIONS} connections", rps=only["ok_rps"])
    rows.append(only)
    # The reads alone once more: how far the machine itself drifted during the scenario. The
    # ratios are to the mean of both.
    again = {"name": "mixed: reads alone again", **read()}
    rows.append(again)
    reference = (alone["rps"] + again["rps"]) / 2
    for r in rows:
        r["sql"] = None
    for r in (alone, one, busy, again):
        r["ratio"] = r["rps"] / reference
    concurrent_orders["ratio"] = concurrent_orders["rps"] / only["rps"] if only["rps"] else None
    only["ratio"] = 1.0
    return rows


def buying(base: str, url: str, products: list[dict], bare: dict, args, results: dict) -> list:
    """Checkout with 32 buyers and the oversell check, the last 10 units, and login."""
    tokens = make_buyers(base, 32)
    r = checkout(base, url, tokens, products, args)
    r.update(name="POST /orders COD, 32 buyers", ratio=None, **oversell_check(url))
    rows = [r]
    # The last 10 units of one product, 200 buyers at once.
    last = products[-1]["id"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE products SET stock_quantity = 10, min_order_quantity = 1 WHERE id = :i"
            ),
            {"i": last},
        )
    results["last_units"] = last_units(base, tokens, last)
    with engine.connect() as conn:
        results["last_units"]["stock_after"] = conn.scalar(
            sa.text("SELECT stock_quantity FROM products WHERE id = :i"), {"i": last}
        )
    engine.dispose()
    email = f"bench-login-{time.time_ns()}@example.vn"
    requests.post(
        f"{base}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "full_name": "Đăng Nhập"},
    )
    body = json.dumps({"login": email, "password": PASSWORD})
    r = wrk(base + "/api/v1/auth/tokens", args.duration, 8, None, method="POST", body=body)
    r.update(name="POST /auth/tokens (scrypt)", sql=None, ratio=r["rps"] / bare["rps"])
    return rows + [r]


def bench_size(size: int, args, results: dict) -> None:
    print(f"\n=== {size:,} products ===", flush=True)
    fresh = not args.reuse
    place = database(f"mp_bench_{size}") if fresh else existing_database(args.reuse)
    with place as url, tempfile.TemporaryDirectory() as index_dir:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MARKETPLACE_ENV": "production",
            "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": index_dir,
            "SEARCH_BACKEND": "whoosh",
            "RATELIMIT_ENABLED": "false",
        }
        if fresh:
            flask(env, "db", "upgrade", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seed_s = flask(env, "seed", "synthetic", "--products", str(size), "--seed", "1")
            results["timings"][f"seed_synthetic_{size}_s"] = round(seed_s, 1)
            for backend in ("whoosh", "postgres"):
                results["timings"][f"search_rebuild_{backend}_{size}_s"] = round(
                    flask({**env, "SEARCH_BACKEND": backend}, "search", "rebuild"), 1
                )
        vacuum(url)
        rows = []
        with gunicorn("bench.baseline:app", env) as base:
            bare = {
                "name": "baseline: bare Flask JSON",
                **wrk(base + "/bare", args.duration, args.connections),
            }
            page = {
                "name": "baseline: SQLAlchemy+marshmallow 20 rows",
                **wrk(base + "/rows", args.duration, args.connections),
            }
            rows += [bare, page]
            results["memory_mb"][f"{size}: baselines"] = worker_rss_mb(base)
        catalogue = [
            ("GET /products (page of 20)", ["/api/v1/products"]),
            ("GET /products filtered", [FILTERED]),
        ]
        search_paths = [f"/api/v1/search?q={requests.utils.quote(q)}" for q in SEARCH_QUERIES]
        groups = set(args.only.split(",")) if args.only else {"mixed", "warm", "cold", "whoosh"}
        for backend in ("postgres", "whoosh"):
            for cached in (True, False):
                group = "whoosh" if backend == "whoosh" else "warm" if cached else "cold"
                if not ({group} | ({"mixed"} if group == "warm" else set())) & groups:
                    continue
                off = "" if cached else ", cache off"
                benv = {
                    **env,
                    "SEARCH_BACKEND": backend,
                    "RESPONSE_CACHE_ENTRIES": "512" if cached else "0",
                }
                label = f"{backend}{off}"
                with gunicorn("wsgi:app", benv) as base:
                    products = requests.get(base + "/api/v1/products?per_page=100").json()["items"]
                    details = [f"/api/v1/products/{p['id']}" for p in products]
                    if backend == "postgres" and cached and "mixed" in groups:
                        rows += mixed(base, url, products, search_paths, args)
                    scenarios = []
                    if backend == "postgres" and group in groups:
                        scenarios += [(name + off, paths) for name, paths in catalogue]
                        # never cached: the uncached target is read on the cache-off server
                        scenarios.append((f"GET /products/{{id}}{off}", details))
                    if group in groups:
                        scenarios.append((f"GET /search [{backend}] 20 queries{off}", search_paths))
                    for name, paths in scenarios:
                        rows.append(scenario(base, benv, name, paths, page, args))
                    if group in groups:
                        latency = (
                            f"GET /search [{backend}] at {LATENCY_CONNECTIONS} connections{off}"
                        )
                        rows.append(
                            scenario(
                                base, benv, latency, search_paths, page, args, LATENCY_CONNECTIONS
                            )
                        )
                    if backend == "postgres" and cached and "warm" in groups:
                        rows += buying(base, url, products, bare, args, results)
                    results["memory_mb"][f"{size}: {label}"] = worker_rss_mb(base)
        for r in rows:
            r.setdefault("sql", None)
            r.setdefault("ratio", r["rps"] / rows[0]["rps"] if r is not rows[0] else 1.0)
        print(table(rows), flush=True)
        print(
            "(ratio: mixed reads to the mean of both reads-alone rows, orders to the orders alone; other rows to",
            flush=True,
        )
        print(" the SQLAlchemy+marshmallow page, baselines to the bare Flask JSON)", flush=True)
        for r in rows:
            if "orders_stored" in r:
                print(
                    f"checkout: {r['orders_stored']} orders stored, {r['non2xx']} refused, "
                    f"{r['negative_stock_products']} products below zero",
                    flush=True,
                )
        results["sizes"][str(size)] = rows
        print("memory per gunicorn worker after the run (RSS, MB):", flush=True)
        for name, sizes in results["memory_mb"].items():
            if name.startswith(f"{size}: "):
                print(f"  {name}: {sizes}", flush=True)


def jobs_figures() -> dict:
    """bench/jobs_bench.py in its own process (its memory is the worker's): outbox throughput to
    a local gateway and sales_by_household over 100,000 orders."""
    out = Path(tempfile.mkdtemp()) / "jobs.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "jobs_bench.py"), "--json", str(out)], cwd=ROOT, timeout=1800
    )
    if done.returncode != 0 or not out.exists():
        return {"error": f"jobs_bench.py exited {done.returncode}"}
    return json.loads(out.read_text())


# Imported after the helpers above, which media_bench uses.
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
from bench import media_bench, money_bench  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated groups: mixed, warm (cached PostgreSQL rows and checkout), cold "
        "(cache off), whoosh; all by default",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10,000 products, 3 s per scenario: a smoke run of every scenario (~6 min)",
    )
    parser.add_argument(
        "--reuse",
        default="",
        metavar="DATABASE",
        help="measure an existing seeded PostgreSQL database (one size; kept) instead of "
        "seeding a new one; with the postgres search backend only (--only mixed,warm,cold)",
    )
    parser.add_argument("--uploads", type=int, default=20, help="photo uploads timed")
    parser.add_argument("--skip-media", action="store_true", help="no photo/lot figures")
    parser.add_argument(
        "--skip-money",
        action="store_true",
        help="no payout batch / balance figures (bench/money_bench.py)",
    )
    parser.add_argument("--households", type=int, default=10_000, help="money: households")
    parser.add_argument("--money-orders", type=int, default=100_000, help="money: seller orders")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.duration = "10000", 3
    started = time.perf_counter()
    if shutil.which("wrk") is None:
        print("wrk is missing: `make bench` installs it (apt-get install wrk).", file=sys.stderr)
        return 2
    results = {
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "timings": {},
        "memory_mb": {},
        "sizes": {},
    }
    for size in (int(s) for s in args.sizes.split(",")):
        bench_size(size, args, results)
    results["jobs"] = jobs_figures()
    results["timings"]["bench_total_s"] = round(time.perf_counter() - started, 1)
    print("\ntimings:", json.dumps(results["timings"], indent=2))
    if "last_units" in results:
        print("last 10 units, 200 buyers:", results["last_units"])
    if not args.skip_media:
        results["media"] = media_bench.run_all(args)
    if not args.skip_money:
        results["money"] = money_bench.run_all(args)
    out = BENCH / "results" / "latest.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
