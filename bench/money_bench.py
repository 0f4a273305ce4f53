"""Money in `make bench` (called from bench/run.py; runnable alone):

1. build: a PostgreSQL database with --households households (10 co-ops, each household with a
   bank account but one in twenty, one product each) and --orders delivered seller orders (one
   line each; cash on delivery or card), bulk-inserted with Core executemany, row for row what
   checkout, delivery and COD remittance write: orders, seller orders (commission fixed at the
   co-op's rate), lines, payments (COD collected, card succeeded), stock movements, the `sale` and
   `commission` ledger entries with their running `balance_after_vnd`, and COD remittances (at most
   1,000 seller orders each, as the API takes them), every delivery past the payout hold; then
   `flask audit money` and the ledger checks below;
2. one payout batch over every household, timed through the real endpoint (POST /api/v1/payouts as
   the platform admin, served by gunicorn.conf.py; target ≤ 10 s), then checked: every household
   with an account and available money ≥ the minimum has exactly one item, holding all of it;
3. GET /sellers/{id}/balance req/s with wrk (1,000 households' tokens rotated with their own
   paths) against the same-run baselines (bench/baseline.py).

    .venv/bin/python bench/money_bench.py [--households 10000] [--orders 100000]
                                          [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import ROOT, database, flask, gunicorn, table, wrk  # noqa: E402

COOPS = 10
CHUNK = 5000
SEED = 1
MIN_PAYOUT_VND = 50_000
HOLD_DAYS = 3
BALANCE_READERS = 1000  # households whose tokens wrk rotates
# Each co-op's commission (basis points): the default 5 % and others, so that rounding varies.
COMMISSION_BPS = [500, 500, 350, 750, 500, 420, 600, 500, 275, 500]
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # orders/services.py
ADDRESS = {
    "recipient_name": "Nguyễn Văn Bền",
    "phone": "+84912345678",
    "province_code": 1,
    "ward_code": 4,
    "address_line": "Số 1 Tràng Tiền",
}


def _insert(connection, table_, rows: list[dict], phases: dict | None = None) -> None:
    """Core executemany in chunks; its wall time added to ``phases[table name]``."""
    started = time.perf_counter()
    for start in range(0, len(rows), CHUNK):
        connection.execute(sa.insert(table_), rows[start : start + CHUNK])
    if phases is not None:
        phases[f"insert {table_.name}"] = round(time.perf_counter() - started, 2)


def build(url: str, households: int, orders: int, tmp: str) -> dict:
    """Bulk-insert the money world (see the module docstring); returns its sizes and timings."""
    from marketplace import create_app
    from marketplace.auth.models import AuthToken, User
    from marketplace.auth.services import create_admin, issue_token
    from marketplace.catalogue.models import Category, Product, StockMovement
    from marketplace.clock import utcnow
    from marketplace.coops.models import Coop
    from marketplace.extensions import db
    from marketplace.money.arithmetic import commission_of
    from marketplace.money.banks import NAPAS_BANKS, bank_account_name
    from marketplace.money.models import CodRemittance, LedgerEntry
    from marketplace.orders.models import Order, OrderLine, SellerOrder
    from marketplace.payments.models import Payment
    from marketplace.search.changes import products_changed
    from marketplace.seed.synthetic import coop_row, household_row, product_row
    from marketplace.sellers.models import Seller

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_BACKEND": "postgres",
            "SEARCH_INDEX_DIR": f"{tmp}/index",
            "SECRET_KEY": "bench",
            "PAYOUT_HOLD_DAYS": HOLD_DAYS,
        }
    )
    started = time.perf_counter()
    phases: dict[str, float] = {}
    rng = random.Random(SEED)
    now = utcnow()
    banks = sorted(NAPAS_BANKS)
    with app.app_context():
        admin = create_admin("admin@bench.vn", "bench-password-2026", "Quản trị")
        admin_id = admin.id
        connection = db.session.connection()
        coops = [coop_row(SEED, i) for i in range(1, COOPS + 1)]
        _insert(
            connection,
            Coop.__table__,
            [
                {**c, "commission_bps": COMMISSION_BPS[i % len(COMMISSION_BPS)], "created_at": now}
                for i, c in enumerate(coops)
            ],
        )
        coop_ids = dict(db.session.execute(sa.select(Coop.slug, Coop.id)).all())
        bps_of_coop = dict(db.session.execute(sa.select(Coop.id, Coop.commission_bps)).all())
        house_rows = [household_row(SEED, i, coops[i % COOPS]) for i in range(households)]
        for i, h in enumerate(house_rows):
            h["coop_id"] = coop_ids[coops[i % COOPS]["slug"]]
        _insert(
            connection,
            User.__table__,
            [
                {
                    "email": h["email"],
                    "phone": None,
                    "password_hash": None,
                    "full_name": h["full_name"],
                    "is_admin": False,
                    "created_by_coop": True,
                    "created_at": now,
                }
                for h in house_rows
            ],
        )
        user_ids = dict(
            db.session.execute(
                sa.select(User.email, User.id).where(User.email.like("%@synthetic.nongsan.invalid"))
            ).all()
        )
        seller_rows = []
        for i, h in enumerate(house_rows):
            row = {
                "user_id": user_ids[h["email"]],
                "coop_id": h["coop_id"],
                "code": h["code"],
                "display_name": h["display_name"],
                "status": "approved",
                "phone": h["phone"],
                "province_code": h["province_code"],
                "ward_code": h["ward_code"],
                "address_line": h["address_line"],
                "description": None,
                "farm_area_m2": h["farm_area_m2"],
                "created_at": now,
                "updated_at": now,
                "payout_bank_bin": None,
                "payout_account_no": None,
                "payout_account_name": None,
            }
            if i % 20 != 7:  # one household in twenty has no bank account yet: no payout item
                row.update(
                    payout_bank_bin=banks[i % len(banks)],
                    payout_account_no=f"{rng.randrange(10**9, 10**13)}",
                    # what PATCH /sellers/{id} stores (money/schemas.py PayoutAccountInSchema)
                    payout_account_name=bank_account_name(h["full_name"]),
                )
            seller_rows.append(row)
        _insert(connection, Seller.__table__, seller_rows, phases)
        sellers = {
            code: (seller_id, coop_id)
            for code, seller_id, coop_id in db.session.execute(
                sa.select(Seller.code, Seller.id, Seller.coop_id)
            )
        }
        categories = dict(db.session.execute(sa.select(Category.slug, Category.id)).all())
        product_specs = []
        for i, h in enumerate(house_rows):
            p = product_row(SEED, i, h)
            p["seller_id"], p["coop_id"] = sellers[h["code"]]
            product_specs.append(p)

        # The seller orders: which product, how many, when delivered, paid how.
        start = now - dt.timedelta(days=90)
        latest = now - dt.timedelta(days=HOLD_DAYS, hours=1)  # every one past the hold
        span = int((latest - start).total_seconds())
        sales = []
        for _ in range(orders):
            k = rng.randrange(households)
            p = product_specs[k]
            delivered = start + dt.timedelta(seconds=rng.randrange(span))
            sales.append(
                {
                    "product": k,
                    "quantity": p["min_order_quantity"] + rng.randrange(4),
                    "cod": rng.random() < 0.6,
                    "placed": delivered - dt.timedelta(hours=rng.randint(6, 72)),
                    "delivered": delivered,
                }
            )
        # Checkout happens in order of placing, delivery in order of delivering.
        sales.sort(key=lambda s: s["placed"])
        sold = [0] * households
        for s in sales:
            sold[s["product"]] += s["quantity"]
        product_rows = [
            {
                key: p[key]
                for key in (
                    "seller_id",
                    "sku",
                    "name",
                    "description",
                    "unit",
                    "unit_price_vnd",
                    "min_order_quantity",
                    "harvest_start",
                    "harvest_end",
                    "origin_province_code",
                    "origin_area",
                )
            }
            | {
                "category_id": categories[p["category_slug"]],
                # what is left after the orders below (the synthetic row's stock)
                "stock_quantity": p["stock_quantity"],
                "images": [],
                "status": "active",
                "created_at": start - dt.timedelta(days=1),
                "updated_at": start - dt.timedelta(days=1),
            }
            for k, p in enumerate(product_specs)
        ]
        _insert(connection, Product.__table__, product_rows, phases)
        product_ids = dict(db.session.execute(sa.select(Product.sku, Product.id)).all())
        # the opening stock: what is left plus what the orders take
        stock = [p["stock_quantity"] + sold[k] for k, p in enumerate(product_specs)]
        pids = [product_ids[r["sku"]] for r in product_rows]
        movements = [
            {
                "product_id": pids[k],
                "delta": stock[k],
                "reason": "Opening stock",
                "resulting_quantity": stock[k],
                "created_at": start - dt.timedelta(days=1),
            }
            for k in range(households)
            if stock[k]
        ]
        buyer = User(email="buyer@bench.vn", full_name="Người mua", created_at=start)
        db.session.add(buyer)
        db.session.flush()
        first_id = 1
        order_rows, part_rows, line_rows, payment_rows = [], [], [], []
        numbers = set()
        for n, s in enumerate(sales):
            p = product_specs[s["product"]]
            order_id = first_id + n
            while True:
                day = (s["placed"] + dt.timedelta(hours=7)).strftime("%y%m%d")
                number = f"NS-{day}-{''.join(rng.choice(NUMBER_ALPHABET) for _ in range(7))}"
                if number not in numbers:
                    numbers.add(number)
                    break
            subtotal = p["unit_price_vnd"] * s["quantity"]
            s["id"], s["subtotal"], s["seller_id"] = order_id, subtotal, p["seller_id"]
            s["commission"] = commission_of(subtotal, bps_of_coop[p["coop_id"]])
            s["coop_id"] = p["coop_id"]
            order_rows.append(
                {
                    "id": order_id,
                    "number": number,
                    "buyer_id": buyer.id,
                    "status": "completed",
                    "payment_method": "cod" if s["cod"] else "card",
                    "items_total_vnd": subtotal,
                    "shipping_total_vnd": 0,
                    "total_vnd": subtotal,
                    "shipping_address": ADDRESS,
                    "note": None,
                    "expires_at": None,
                    "created_at": s["placed"],
                    "updated_at": s["delivered"],
                }
            )
            part_rows.append(
                {
                    "id": order_id,
                    "order_id": order_id,
                    "seller_id": p["seller_id"],
                    "status": "delivered",
                    "subtotal_vnd": subtotal,
                    "commission_vnd": s["commission"],
                    "shipping_fee_vnd": 0,
                    "delivery_method_id": None,
                    "delivery": None,  # the co-op has no methods: delivered by the household
                    "shipped_at": s["delivered"] - dt.timedelta(hours=4),
                    "delivered_at": s["delivered"],
                    "created_at": s["placed"],
                    "updated_at": s["delivered"],
                }
            )
            line_rows.append(
                {
                    "seller_order_id": order_id,
                    "product_id": pids[s["product"]],
                    "name": p["name"],
                    "unit": p["unit"],
                    "unit_price_vnd": p["unit_price_vnd"],
                    "quantity": s["quantity"],
                    "line_total_vnd": subtotal,
                    "catch_weight": False,
                }
            )
            payment_rows.append(
                {
                    "order_id": order_id,
                    "method": "cod" if s["cod"] else "card",
                    "status": "collected" if s["cod"] else "succeeded",
                    "amount_vnd": subtotal,
                    "currency": "vnd",
                    "provider_id": None if s["cod"] else f"pi_bench{order_id:08d}",
                    "refunded_vnd": 0,
                    "collected_vnd": subtotal if s["cod"] else 0,
                    "amount_received_vnd": 0,
                    "created_at": s["placed"],
                    "updated_at": s["delivered"],
                }
            )
            k = s["product"]
            stock[k] -= s["quantity"]
            movements.append(
                {
                    "product_id": pids[k],
                    "delta": -s["quantity"],
                    "reason": f"Order {number}",
                    "resulting_quantity": stock[k],
                    "order_id": order_id,
                    "created_at": s["placed"],
                }
            )
        assert stock == [p["stock_quantity"] for p in product_specs]
        _insert(connection, Order.__table__, order_rows, phases)
        _insert(connection, SellerOrder.__table__, part_rows, phases)
        _insert(connection, OrderLine.__table__, line_rows, phases)
        _insert(connection, Payment.__table__, payment_rows, phases)
        _insert(connection, StockMovement.__table__, movements, phases)

        # Delivery writes sale and commission, one household at a time, in delivery order.
        balance: dict[int, int] = {}
        ledger = []
        for s in sorted(sales, key=lambda s: (s["delivered"], s["id"])):
            for kind, amount in (("sale", s["subtotal"]), ("commission", -s["commission"])):
                if not amount:
                    continue
                balance[s["seller_id"]] = balance.get(s["seller_id"], 0) + amount
                ledger.append(
                    {
                        "id": len(ledger) + 1,
                        "seller_id": s["seller_id"],
                        "kind": kind,
                        "amount_vnd": amount,
                        "seller_order_id": s["id"],
                        "balance_after_vnd": balance[s["seller_id"]],
                        "note": None,
                        "created_at": s["delivered"],
                    }
                )
        _insert(connection, LedgerEntry.__table__, ledger, phases)

        # The co-ops handed over the COD cash: remittances of ≤ 1,000 seller orders, exact sums.
        remitted_at = latest
        remittances = 0
        mark = time.perf_counter()
        for coop_id in sorted(bps_of_coop):
            owed = sorted(
                (s for s in sales if s["cod"] and s["coop_id"] == coop_id),
                key=lambda s: (s["delivered"], s["id"]),
            )
            for i in range(0, len(owed), 1000):
                part = owed[i : i + 1000]
                remittance_id = connection.execute(
                    sa.insert(CodRemittance.__table__)
                    .values(
                        coop_id=coop_id,
                        amount_vnd=sum(s["subtotal"] for s in part),
                        reference=f"Phiếu thu {coop_id}-{i // 1000 + 1}",
                        recorded_by_id=admin_id,
                        created_at=remitted_at,
                    )
                    .returning(CodRemittance.id)
                ).scalar_one()
                connection.execute(
                    sa.update(SellerOrder.__table__)
                    .where(SellerOrder.__table__.c.id.in_([s["id"] for s in part]))
                    .values(cod_remittance_id=remittance_id)
                )
                remittances += 1
        phases["cod remittances"] = round(time.perf_counter() - mark, 2)
        for name in ("orders", "seller_orders", "ledger_entries"):
            connection.execute(
                sa.text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))")
            )

        # Bearer tokens: the admin's and BALANCE_READERS households' (what POST /auth/tokens stores).
        admin_token, _ = issue_token(db.session.get(User, admin_id))
        readers = db.session.execute(
            sa.select(Seller.id, User).join(User, User.id == Seller.user_id).order_by(Seller.id)
        ).all()[:: max(1, households // BALANCE_READERS)][:BALANCE_READERS]
        reader_tokens = [(seller_id, issue_token(user)[0]) for seller_id, user in readers]
        products_changed(pids)
        mark = time.perf_counter()
        db.session.commit()  # the search index follows (products_changed), as for any product
        phases["commit and search sync"] = round(time.perf_counter() - mark, 2)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthToken)) >= len(
            reader_tokens
        )
        db.engine.dispose()
    built = time.perf_counter() - started
    return {
        "households": households,
        "seller_orders": orders,
        "cod_seller_orders": sum(1 for s in sales if s["cod"]),
        "ledger_entries": len(ledger),
        "cod_remittances": remittances,
        "stock_movements": len(movements),
        "build_s": round(built, 1),
        "build_phases_s": phases,
        "admin_token": admin_token,
        "reader_tokens": reader_tokens,
    }


def vacuum(url: str) -> float:
    started = time.perf_counter()
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return round(time.perf_counter() - started, 1)


LEDGER_CHECKS = {
    # each entry's balance_after_vnd is the running sum of its household's entries, in id order
    "balance_after_not_running_sum": """
        SELECT count(*) FROM (
            SELECT balance_after_vnd,
                   sum(amount_vnd) OVER (PARTITION BY seller_id ORDER BY id) AS running
            FROM ledger_entries) t
        WHERE balance_after_vnd <> running""",
    # every delivered seller order: one sale of its subtotal and one commission of minus its
    # commission, and the commission is round_half_up(subtotal × the co-op's bps / 10000)
    "delivered_without_matching_entries": """
        SELECT count(*) FROM seller_orders so
        JOIN sellers s ON s.id = so.seller_id JOIN coops c ON c.id = s.coop_id
        WHERE so.status = 'delivered' AND (
            so.commission_vnd <> (so.subtotal_vnd * c.commission_bps + 5000) / 10000
            OR 1 <> (SELECT count(*) FROM ledger_entries e WHERE e.seller_order_id = so.id
                     AND e.kind = 'sale' AND e.amount_vnd = so.subtotal_vnd)
            OR (so.commission_vnd > 0 AND 1 <> (
                SELECT count(*) FROM ledger_entries e WHERE e.seller_order_id = so.id
                AND e.kind = 'commission' AND e.amount_vnd = -so.commission_vnd)))""",
    "entries_of_undelivered_orders": """
        SELECT count(*) FROM ledger_entries e JOIN seller_orders so ON so.id = e.seller_order_id
        WHERE so.status <> 'delivered'""",
    # each remittance's amount is what its seller orders collected (subtotal + shipping)
    "remittances_not_adding_up": """
        SELECT count(*) FROM cod_remittances r WHERE r.amount_vnd <> (
            SELECT coalesce(sum(subtotal_vnd + shipping_fee_vnd), 0) FROM seller_orders
            WHERE cod_remittance_id = r.id)""",
    "cod_not_remitted": """
        SELECT count(*) FROM seller_orders so JOIN orders o ON o.id = so.order_id
        WHERE o.payment_method = 'cod' AND so.status = 'delivered'
          AND so.cod_remittance_id IS NULL""",
}


def check_ledger(url: str) -> dict:
    """The ledger checks above (each a count of rows that break the rule: all must be 0)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {name: conn.scalar(sa.text(sql)) for name, sql in LEDGER_CHECKS.items()}
    engine.dispose()
    return found


def payable(url: str) -> dict[int, int]:
    """{seller_id: available VND} computed here, in SQL of its own, from the DESIGN rule: entries
    of seller orders delivered PAYOUT_HOLD_DAYS ago and paid (card) or remitted (COD), or of no
    seller order, minus what open batches hold; households with an account, ≥ the minimum."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                """
                SELECT e.seller_id, sum(e.amount_vnd) - coalesce(max(h.held), 0)
                FROM ledger_entries e
                JOIN sellers s ON s.id = e.seller_id AND s.payout_bank_bin IS NOT NULL
                LEFT JOIN seller_orders so ON so.id = e.seller_order_id
                LEFT JOIN orders o ON o.id = so.order_id
                LEFT JOIN (SELECT seller_id, sum(amount_vnd) held FROM payout_items
                           WHERE status = 'held' GROUP BY seller_id) h ON h.seller_id = e.seller_id
                WHERE e.seller_order_id IS NULL OR (
                    so.delivered_at <= now() - make_interval(days => :hold)
                    AND (so.cod_remittance_id IS NOT NULL OR o.payment_method <> 'cod'))
                GROUP BY e.seller_id
                """
            ),
            {"hold": HOLD_DAYS},
        ).all()
    engine.dispose()
    return {seller_id: amount for seller_id, amount in rows if amount >= MIN_PAYOUT_VND}


def payout_batch(base: str, url: str, admin_token: str) -> dict:
    """POST /payouts over every household, timed, then checked against payable()."""
    expected = payable(url)
    started = time.perf_counter()
    r = requests.post(
        base + "/api/v1/payouts",
        json={"min_amount_vnd": MIN_PAYOUT_VND},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=120,
    )
    seconds = time.perf_counter() - started
    r.raise_for_status()
    batch = r.json()
    items = batch["items"]
    by_seller: dict[int, int] = {}
    for item in items:
        by_seller[item["seller_id"]] = by_seller.get(item["seller_id"], 0) + item["amount_vnd"]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(
                sa.text(
                    "SELECT seller_id, amount_vnd FROM payout_items WHERE batch_id = :b "
                    "AND status = 'held'"
                ),
                {"b": batch["id"]},
            ).all()
        )
    engine.dispose()
    checks = {
        "one_item_per_household": len(by_seller) == len(items) == len(stored),
        "items_are_the_payable_households": set(by_seller) == set(expected),
        "each_holds_all_available": by_seller == expected == stored,
        "total_is_sum_available": batch["total_vnd"] == sum(expected.values()),
        "nothing_left_available": payable(url) == {},
    }
    return {
        "seconds": round(seconds, 2),
        "items": len(items),
        "total_vnd": batch["total_vnd"],
        "response_bytes": len(r.content),
        "target_s": 10,
        "met": seconds <= 10 and all(checks.values()),
        "checks": checks,
    }


def run_all(args) -> dict:
    households, orders = args.households, args.money_orders
    with database("mp_bench_money") as url, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MARKETPLACE_ENV": "production",
            "SECRET_KEY": "bench",
            "SEARCH_BACKEND": "postgres",
            "SEARCH_INDEX_DIR": f"{tmp}/index",
            "RATELIMIT_ENABLED": "false",
            "PAYOUT_HOLD_DAYS": str(HOLD_DAYS),
        }
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        flask(env, "db", "upgrade", **quiet)
        world = build(url, households, orders, tmp)
        admin_token, readers = world.pop("admin_token"), world.pop("reader_tokens")
        world["vacuum_s"] = vacuum(url)
        audit = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "audit", "money"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        world["audit"] = (audit.stdout + audit.stderr).strip().splitlines()[-1]
        world["audit_clean"] = audit.returncode == 0
        world["ledger_checks"] = check_ledger(url)
        print("\n=== money: the world built ===", flush=True)
        print(json.dumps(world, indent=2, ensure_ascii=False), flush=True)
        if not world["audit_clean"] or any(world["ledger_checks"].values()):
            print("\n".join(audit.stdout.splitlines()[:10]), flush=True)
            raise SystemExit("money bench: the built database does not add up (see above)")

        rows = []
        with gunicorn("bench.baseline:app", env) as base:
            rows.append(
                {
                    "name": "baseline: bare Flask JSON",
                    **wrk(base + "/bare", args.duration, args.connections),
                }
            )
            rows.append(
                {
                    "name": "baseline: SQLAlchemy+marshmallow 20 rows",
                    **wrk(base + "/rows", args.duration, args.connections),
                }
            )
        with gunicorn("wsgi:app", env) as base:
            paths = [f"/api/v1/sellers/{seller_id}/balance" for seller_id, _ in readers]
            tokens = [token for _, token in readers]
            # Paths and tokens rotate together (same length): each household reads its own.
            balance = wrk(base + paths[0], args.duration, args.connections, paths, tokens=tokens)
            rows.append(
                {"name": f"GET /sellers/{{id}}/balance, {len(readers)} households", **balance}
            )
            batch = payout_batch(base, url, admin_token)
            after = wrk(base + paths[0], args.duration, args.connections, paths, tokens=tokens)
            rows.append({"name": "GET /sellers/{id}/balance, batch open", **after})
    page = rows[1]["rps"]
    for r in rows:
        r["ratio"] = round(r["rps"] / page, 2)
        r.setdefault("sql", None)
    print("\n=== money: payout batch over every household ===", flush=True)
    print(json.dumps(batch, indent=2), flush=True)
    print("\n=== money: balance reads (ratio to the SQLAlchemy+marshmallow page) ===", flush=True)
    print(table(rows), flush=True)
    return {"world": world, "payout_batch": batch, "balance_reads": rows}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--orders", dest="money_orders", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    results = run_all(parser.parse_args())
    out = ROOT / "bench" / "results" / "money.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
