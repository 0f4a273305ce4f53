"""`flask seed synthetic --products N --seed S`: many plausible rows, fast, for benchmarks.

Deterministic: every row is drawn from its own ``random.Random`` seeded by (S, kind, index), so the
same seed gives the same rows, and row ``i`` is the same whatever N (a bigger run extends a smaller
one). Rows go in with Core bulk inserts (executemany, in chunks); natural keys carry the seed
(``syn1-coop-03``, ``SYN1-H000042``, ``SYN1-P0000042``) and rows that exist are skipped, so a
re-run adds only what is missing. These are benchmark rows, not seed data: they bypass the
per-row schemas, keep to the same columns and rules (approved households, active products,
valid place codes, prices in VND), and have no opening stock movement. The search index follows
through the normal synchronisation (``products_changed``) when the caller commits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import insert, select

from ..auth.models import User
from ..catalogue.models import Category, Product, StockMovement
from ..clock import utcnow
from ..coops.models import Coop
from ..extensions import db
from ..places import all_provinces, province_name, ward_name, wards_of
from ..search.changes import products_changed
from ..sellers.models import Seller

PRODUCTS_PER_HOUSEHOLD = 20
COOPS = 10
CHUNK = 5000

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thanh", "Hữu", "Thu"]
GIVEN = ["An", "Bình", "Cúc", "Dũng", "Giang", "Hạnh", "Hùng", "Lan", "Mai", "Nam", "Phúc", "Tâm"]
GRADES = ["loại 1", "loại 2", "chín cây", "VietGAP", "hữu cơ", "đặc biệt", "vụ mới", "size lớn"]
# name, category slug, unit, price range (VND), harvest months (None: no window)
KINDS = [
    ("Vải thiều", "vai-thieu", "kg", (35_000, 80_000), (5, 7)),
    ("Nhãn lồng", "nhan", "kg", (40_000, 90_000), (7, 8)),
    ("Xoài cát Hòa Lộc", "xoai", "kg", (40_000, 95_000), (3, 6)),
    ("Bưởi Năm Roi", "buoi", "kg", (25_000, 55_000), (8, 12)),
    ("Cam sành", "cam", "kg", (18_000, 40_000), (9, 12)),
    ("Cà chua", "rau-cu", "kg", (15_000, 40_000), None),
    ("Gạo ST25", "gao", "bag", (150_000, 260_000), None),
    ("Cà phê Robusta", "ca-phe", "bag", (120_000, 300_000), None),
    ("Mật ong hoa cà phê", "mat-ong", "litre", (200_000, 450_000), None),
    ("Khô cá lóc", "dac-san-kho", "bag", (150_000, 320_000), None),
]


@dataclass
class SyntheticSummary:
    created: dict[str, int] = field(default_factory=lambda: {"coops": 0, "households": 0})
    existing: dict[str, int] = field(default_factory=lambda: {"coops": 0, "households": 0})
    product_ids: list[int] = field(default_factory=list)
    products_existing: int = 0


@cache
def _wards(province_code: int) -> tuple[tuple[int, str], ...]:
    return tuple(wards_of(province_code))


def _rng(seed: int, kind: int, index: int) -> random.Random:
    return random.Random(seed * 1_000_000_007 + kind * 100_000_000 + index)


def _full_name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def coop_row(seed: int, index: int) -> dict:
    rng = _rng(seed, 1, index)
    provinces = all_provinces()
    province, pname = provinces[(seed + index) % len(provinces)]
    ward, _ = rng.choice(_wards(province))
    return {
        "slug": f"syn{seed}-coop-{index:02d}",
        "name": f"Hợp tác xã thử nghiệm {index:02d} – {pname}",
        "province_code": province,
        "ward_code": ward,
        "description": "Dữ liệu tổng hợp cho đo hiệu năng.",
    }


def household_row(seed: int, index: int, coop: dict) -> dict:
    rng = _rng(seed, 2, index)
    ward, _ = rng.choice(_wards(coop["province_code"]))
    name = _full_name(rng)
    return {
        "code": f"SYN{seed}-H{index:06d}",
        "full_name": name,
        "email": f"h{index:06d}.s{seed}@synthetic.nongsan.invalid",
        "display_name": f"Hộ {name}",
        "phone": f"+8470{index % 10_000_000:07d}",
        "province_code": coop["province_code"],
        "ward_code": ward,
        "address_line": f"Thôn {rng.randint(1, 30)}, {ward_name(ward)}",
        "farm_area_m2": rng.randint(10, 500) * 100,
    }


def product_row(seed: int, index: int, household: dict) -> dict:
    rng = _rng(seed, 3, index)
    kind, category, unit, (low, high), months = rng.choice(KINDS)
    area = ward_name(household["ward_code"])
    if months:
        start = dt.date(2026, months[0], rng.randint(1, 20))
        end = dt.date(2026, months[1], rng.randint(21, 28))
    else:
        start = end = None
    return {
        "sku": f"SYN{seed}-P{index:07d}",
        "name": f"{kind} {area} {rng.choice(GRADES)}",
        "description": (
            f"{kind} của {household['display_name']}, {area}, "
            f"{province_name(household['province_code'])}. Thu hoạch và giao trong ngày."
        ),
        "category_slug": category,
        "unit": unit,
        "unit_price_vnd": rng.randint(low // 1000, high // 1000) * 1000,
        "stock_quantity": rng.randint(0, 2000),
        "min_order_quantity": rng.choice([1, 1, 1, 2, 5]),
        "harvest_start": start,
        "harvest_end": end,
        "origin_province_code": household["province_code"],
        "origin_area": area,
    }


def generate(products: int, seed: int) -> Iterator[tuple[str, dict]]:
    """Every synthetic row for N products, in insertion order: ("coop"|"household"|"product", row)."""
    households = max(1, -(-products // PRODUCTS_PER_HOUSEHOLD))
    coops = [coop_row(seed, i) for i in range(1, COOPS + 1)]
    yield from (("coop", c) for c in coops)
    household_rows = []
    for i in range(households):
        row = {**household_row(seed, i, coops[i % COOPS]), "coop_slug": coops[i % COOPS]["slug"]}
        household_rows.append(row)
        yield "household", row
    for i in range(products):
        household = household_rows[i // PRODUCTS_PER_HOUSEHOLD]
        yield "product", {**product_row(seed, i, household), "household_code": household["code"]}


def _chunks(rows: list[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(model, rows: list[dict], advance: Callable[[int], None]) -> None:
    """Core executemany on the table in chunks (no ORM units of work, no RETURNING)."""
    connection = db.session.connection()
    statement = insert(model.__table__)
    for chunk in _chunks(rows):
        connection.execute(statement, chunk)
        advance(len(chunk))


def load_synthetic(
    products: int, seed: int, advance: Callable[[int], None] = lambda n: None
) -> SyntheticSummary:
    """Insert the rows of ``generate(products, seed)`` that are missing (flushes, never commits)."""
    summary = SyntheticSummary()
    rows: dict[str, list[dict]] = {"coop": [], "household": [], "product": []}
    for kind, row in generate(products, seed):
        rows[kind].append(row)
    now = utcnow()

    coop_ids = dict(db.session.execute(select(Coop.slug, Coop.id)).all())
    new_coops = [r for r in rows["coop"] if r["slug"] not in coop_ids]
    summary.existing["coops"] = len(rows["coop"]) - len(new_coops)
    _insert(Coop, [{**r, "created_at": now} for r in new_coops], advance)
    coop_ids = dict(db.session.execute(select(Coop.slug, Coop.id)).all())
    summary.created["coops"] = len(new_coops)

    prefix = f"SYN{seed}-"
    existing_codes = set(
        db.session.scalars(select(Seller.code).where(Seller.code.startswith(prefix + "H")))
    )
    new_households = [r for r in rows["household"] if r["code"] not in existing_codes]
    summary.existing["households"] = len(rows["household"]) - len(new_households)
    _insert(
        User,
        [
            {
                "email": r["email"],
                "phone": None,
                "password_hash": None,
                "full_name": r["full_name"],
                "is_admin": False,
                "created_by_coop": True,
                "created_at": now,
            }
            for r in new_households
        ],
        advance,
    )
    user_ids = dict(
        db.session.execute(
            select(User.email, User.id).where(
                User.email.endswith(f".s{seed}@synthetic.nongsan.invalid")
            )
        ).all()
    )
    seller_rows = [
        {
            "user_id": user_ids[r["email"]],
            "coop_id": coop_ids[r["coop_slug"]],
            "code": r["code"],
            "display_name": r["display_name"],
            "status": "approved",
            "phone": r["phone"],
            "province_code": r["province_code"],
            "ward_code": r["ward_code"],
            "address_line": r["address_line"],
            "description": None,
            "farm_area_m2": r["farm_area_m2"],
            "created_at": now,
            "updated_at": now,
        }
        for r in new_households
    ]
    _insert(Seller, seller_rows, advance)
    seller_ids = dict(
        db.session.execute(
            select(Seller.code, Seller.id).where(Seller.code.startswith(prefix + "H"))
        ).all()
    )
    summary.created["households"] = len(new_households)

    existing_skus = set(
        db.session.scalars(select(Product.sku).where(Product.sku.startswith(prefix + "P")))
    )
    categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
    product_rows = [
        {
            "seller_id": seller_ids[r["household_code"]],
            "sku": r["sku"],
            "name": r["name"],
            "description": r["description"],
            "category_id": categories[r["category_slug"]],
            "unit": r["unit"],
            "unit_price_vnd": r["unit_price_vnd"],
            "stock_quantity": r["stock_quantity"],
            "min_order_quantity": r["min_order_quantity"],
            "harvest_start": r["harvest_start"],
            "harvest_end": r["harvest_end"],
            "origin_province_code": r["origin_province_code"],
            "origin_area": r["origin_area"],
            "images": [],
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        for r in rows["product"]
        if r["sku"] not in existing_skus
    ]
    summary.products_existing = len(rows["product"]) - len(product_rows)
    _insert(Product, product_rows, advance)
    opening = {r["sku"]: r["stock_quantity"] for r in product_rows}
    new_ids = {
        sku: product_id
        for sku, product_id in db.session.execute(
            select(Product.sku, Product.id).where(Product.sku.startswith(prefix + "P"))
        )
        if sku in opening
    }
    summary.product_ids = list(new_ids.values())
    # Stock is the sum of its movements (`flask audit money` checks it): one opening movement.
    _insert(
        StockMovement,
        [
            {
                "product_id": product_id,
                "delta": opening[sku],
                "reason": "Opening stock",
                "resulting_quantity": opening[sku],
                "created_at": now,
            }
            for sku, product_id in new_ids.items()
            if opening[sku]
        ],
        lambda _n: None,
    )
    # Core inserts are invisible to the ORM's change tracking: the search sync indexes these
    # ids when the caller commits, as it does for products written through the ORM.
    products_changed(summary.product_ids)
    return summary


def total_rows(products: int) -> int:
    """How many rows a run inserts at most (for the progress bar)."""
    return COOPS + 2 * max(1, -(-products // PRODUCTS_PER_HOUSEHOLD)) + products
