"""`flask seed`: the CSV loader through the API's own schemas and services, run with Flask's CLI
runner against the real database."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import ClaimCode, User
from marketplace.catalogue.models import Category, Product, StockMovement
from marketplace.coops.models import Coop
from marketplace.extensions import db
from marketplace.sellers.models import Certification, Seller

ROOT = Path(__file__).resolve().parent.parent
SEED_DATA = ROOT / "seed_data"
MIGRATION_CATEGORIES = 11

CATEGORIES = [
    {"slug": "trai-cay", "name": "Trái cây", "parent_slug": ""},
    {"slug": "dau-tay", "name": "Dâu tây", "parent_slug": "trai-cay"},
]
COOPS = [
    {
        "slug": "htx-vai-thieu-thanh-ha",
        "name": "Hợp tác xã Vải thiều Thanh Hà",
        "province_code": "31",
        "ward_code": "10813",
        "description": "Vải thiều Thanh Hà, Hải Phòng.",
    },
    {
        "slug": "htx-nong-san-lang-biang",
        "name": "Hợp tác xã Nông sản Lang Biang",
        "province_code": "68",
        "ward_code": "24846",
        "description": "",
    },
]
HOUSEHOLDS = [
    {
        "code": "TH-001",
        "full_name": "Nguyễn Văn Tư",
        "display_name": "Vườn vải ông Tư",
        "coop_slug": "htx-vai-thieu-thanh-ha",
        "phone": "0912 345 001",
        "province_code": "31",
        "ward_code": "10813",
        "address_line": "Thôn Thúy Lâm, Xã Thanh Hà",
        "farm_area_m2": "8000",
        "certifications": "vietgap:VG-31-0042:2027-06-30;ocop:OCOP-31-2025-007:2028-06-30",
    },
    {
        "code": "TH-002",
        "full_name": "Trần Thị Hạnh",
        "display_name": "Vườn vải cô Hạnh",
        "coop_slug": "htx-vai-thieu-thanh-ha",
        "phone": "+84 983 111 222",
        "province_code": "31",
        "ward_code": "10816",
        "address_line": "Thôn Đông, Xã Hà Bắc",
        "farm_area_m2": "",
        "certifications": "",
    },
    {
        "code": "LB-001",
        "full_name": "Lê Thị Mai",
        "display_name": "Nông trại chị Mai",
        "coop_slug": "htx-nong-san-lang-biang",
        "phone": "0356789012",
        "province_code": "68",
        "ward_code": "24846",
        "address_line": "Thôn Đăng Gia, Phường Lang Biang - Đà Lạt",
        "farm_area_m2": "3000",
        "certifications": "organic:HC-68-0001:2027-12-31",
    },
]
PRODUCTS = [
    {
        "sku": "TH-001-01",
        "household_code": "TH-001",
        "name": "Vải thiều Thanh Hà loại 1",
        "description": "Vải thiều chín cây, cùi dày, hạt nhỏ.",
        "category_slug": "vai-thieu",
        "unit": "kg",
        "unit_price_vnd": "65000",
        "stock_quantity": "500",
        "min_order_quantity": "2",
        "harvest_start": "2026-05-28",
        "harvest_end": "2026-07-10",
        "origin_province_code": "",
        "origin_area": "Xã Thanh Hà",
    },
    {
        "sku": "TH-001-02",
        "household_code": "TH-001",
        "name": "Vải thiều sấy khô",
        "description": "Sấy củi nhãn, túi 1 kg.",
        "category_slug": "dac-san-kho",
        "unit": "bag",
        "unit_price_vnd": "180000",
        "stock_quantity": "120",
        "min_order_quantity": "",
        "harvest_start": "",
        "harvest_end": "",
        "origin_province_code": "31",
        "origin_area": "",
    },
    {
        "sku": "TH-002-01",
        "household_code": "TH-002",
        "name": "Vải thiều Thanh Hà hộp quà 5 kg",
        "description": "Hộp quà lót lá vải.",
        "category_slug": "vai-thieu",
        "unit": "box",
        "unit_price_vnd": "420000",
        "stock_quantity": "40",
        "min_order_quantity": "",
        "harvest_start": "2026-06-01",
        "harvest_end": "2026-07-05",
        "origin_province_code": "",
        "origin_area": "Xã Hà Bắc",
    },
    {
        "sku": "LB-001-01",
        "household_code": "LB-001",
        "name": "Dâu tây Đà Lạt hộp 500 g",
        "description": "Dâu tây hái chín trong nhà kính.",
        "category_slug": "dau-tay",
        "unit": "box",
        "unit_price_vnd": "150000",
        "stock_quantity": "60",
        "min_order_quantity": "",
        "harvest_start": "2026-11-01",
        "harvest_end": "2027-05-31",
        "origin_province_code": "",
        "origin_area": "Đà Lạt",
    },
]


def write_csv(path: Path, rows: list[dict], header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def small_seed(folder: Path, **changes: list[dict]) -> Path:
    """A small valid seed folder; ``changes`` replaces a file's rows (categories=..., ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "categories": CATEGORIES,
        "coops": COOPS,
        "households": HOUSEHOLDS,
        "products": PRODUCTS,
    }
    for name, rows in files.items():
        write_csv(folder / f"{name}.csv", [dict(r) for r in changes.get(name, rows)])
    return folder


def changed(rows: list[dict], index: int, **cells) -> list[dict]:
    rows = [dict(r) for r in rows]
    rows[index].update(cells)
    return rows


@pytest.fixture
def claim_file(tmp_path) -> Path:
    return tmp_path / "instance" / "claim_codes.csv"


@pytest.fixture
def app_config(app_config, claim_file):
    return {**app_config, "SEED_CLAIM_CODES_FILE": str(claim_file)}


@pytest.fixture
def seed(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["seed", *args])

    return run


def counts(app) -> dict[str, int]:
    with app.app_context():

        def count(model) -> int:
            return db.session.scalar(select(func.count()).select_from(model))

        return {
            "categories": count(Category),
            "coops": count(Coop),
            "users": count(User),
            "households": count(Seller),
            "certifications": count(Certification),
            "products": count(Product),
            "claim_codes": count(ClaimCode),
        }


EMPTY = {
    "categories": MIGRATION_CATEGORIES,
    "coops": 0,
    "users": 0,
    "households": 0,
    "certifications": 0,
    "products": 0,
    "claim_codes": 0,
}


# ---- the committed seed data ---------------------------------------------------------------


def test_first_load_of_the_seed_data_creates_every_row_approved_and_active(app, api, seed):
    result = seed("--path", str(SEED_DATA))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "coops.csv: created 8, updated 0, unchanged 0" in lines
    assert "households.csv: created 86, updated 0, unchanged 0" in lines
    assert "products.csv: created 233, updated 0, unchanged 0" in lines
    assert "categories.csv: created 4, updated 0, unchanged 11" in lines
    stored = counts(app)
    assert stored["coops"] == 8 and stored["households"] == 86 and stored["products"] == 233
    with app.app_context():
        statuses = dict(
            db.session.execute(select(Seller.status, func.count()).group_by(Seller.status)).all()
        )
        assert statuses == {"approved": 86}
        assert set(db.session.scalars(select(Product.status))) == {"active"}
        assert (
            db.session.scalar(select(func.count()).where(Certification.verified_at.is_(None))) == 0
        )
        # Households log in by phone, stored as E.164 whatever form the CSV used.
        assert all(p.startswith("+84") for p in db.session.scalars(select(User.phone)))
    # Every product is in the public catalogue.
    assert api.get("/products?per_page=1").get_json()["total"] == 233


def test_second_load_of_the_seed_data_reports_everything_unchanged(app, seed):
    assert seed("--path", str(SEED_DATA)).exit_code == 0
    before = counts(app)

    result = seed("--path", str(SEED_DATA))

    assert result.exit_code == 0, result.output
    assert "households.csv: created 0, updated 0, unchanged 86" in result.output
    assert "products.csv: created 0, updated 0, unchanged 233" in result.output
    assert "coops.csv: created 0, updated 0, unchanged 8" in result.output
    assert "categories.csv: created 0, updated 0, unchanged 15" in result.output
    assert counts(app) == before  # no second claim code, certificate or product


def test_seed_data_uses_real_post_2025_places_and_vietnamese_text():
    from marketplace.places import check_place

    with (SEED_DATA / "households.csv").open(encoding="utf-8") as handle:
        households = list(csv.DictReader(handle))
    with (SEED_DATA / "coops.csv").open(encoding="utf-8") as handle:
        coops = list(csv.DictReader(handle))
    for row in households + coops:
        assert check_place(int(row["province_code"]), int(row["ward_code"])) == {}, row
    assert any(r["ward_code"] == "10813" and r["province_code"] == "31" for r in coops)
    assert any("ạ" in r["display_name"] or "ư" in r["display_name"] for r in households)


# ---- claim codes ---------------------------------------------------------------------------


def test_households_claim_their_accounts_with_codes_from_a_private_file(
    app, api, seed, claim_file, caplog, tmp_path
):
    result = seed("--path", str(small_seed(tmp_path / "seed")))

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(claim_file).st_mode) == 0o600
    with claim_file.open(encoding="utf-8") as handle:
        rows = {row["household_code"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"TH-001", "TH-002", "LB-001"}
    code = rows["TH-001"]["claim_code"]
    # The codes are secrets: never on the terminal, never in the logs.
    assert code not in result.output
    assert all(code not in record.getMessage() for record in caplog.records)

    claimed = api.post("/auth/claim", {"code": code, "password": "vải-thiều-2026"})
    assert claimed.status_code == 201, claimed.get_json()
    token = api.post("/auth/tokens", {"login": "0912345001", "password": "vải-thiều-2026"})
    assert token.status_code == 201
    me = api.get("/me", token=token.get_json()["token"]).get_json()
    assert me["full_name"] == "Nguyễn Văn Tư" and "seller" in me["roles"]


def test_a_second_run_keeps_the_claim_codes_of_earlier_households(app, seed, tmp_path, claim_file):
    folder = small_seed(tmp_path / "seed", households=HOUSEHOLDS[:2], products=PRODUCTS[:3])
    assert seed("--path", str(folder)).exit_code == 0
    first = claim_file.read_text(encoding="utf-8")

    small_seed(folder)  # now with LB-001 and its product
    result = seed("--path", str(folder))

    assert result.exit_code == 0, result.output
    assert "households.csv: created 1, updated 0, unchanged 2" in result.output
    with claim_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["household_code"] for r in rows] == ["LB-001", "TH-001", "TH-002"]
    assert all(line in first for line in claim_file.read_text().splitlines()[2:])
    assert stat.S_IMODE(os.stat(claim_file).st_mode) == 0o600


# ---- what a load stores --------------------------------------------------------------------


def test_seeded_households_and_products_are_visible_with_verified_certificates(
    app, api, seed, tmp_path
):
    assert seed("--path", str(small_seed(tmp_path / "seed"))).exit_code == 0

    page = api.get("/products?sort=price&per_page=100").get_json()
    assert page["total"] == 4
    lychee = next(p for p in page["items"] if p["name"] == "Vải thiều Thanh Hà loại 1")
    assert lychee["unit_price_vnd"] == 65000
    assert lychee["stock_quantity"] == 500
    assert lychee["min_order_quantity"] == 2
    assert lychee["origin"]["province_code"] == 31  # defaults to the household's province
    assert lychee["harvest_start"] == "2026-05-28"
    assert {c["scheme"] for c in lychee["certifications"]} == {"vietgap", "ocop"}
    assert lychee["coop"]["name"] == "Hợp tác xã Vải thiều Thanh Hà"
    strawberry = next(p for p in page["items"] if p["category"]["slug"] == "dau-tay")
    assert strawberry["category"]["name"] == "Dâu tây"
    with app.app_context():
        movement = db.session.scalar(
            select(StockMovement).join(Product).where(Product.sku == "TH-001-01")
        )
        assert movement.delta == 500 and movement.reason == "Opening stock"


def test_a_changed_row_is_updated_and_the_rest_left_unchanged(app, api, seed, tmp_path):
    folder = small_seed(tmp_path / "seed")
    assert seed("--path", str(folder)).exit_code == 0

    small_seed(
        folder,
        products=changed(PRODUCTS, 0, unit_price_vnd="59000", stock_quantity="450"),
        households=changed(HOUSEHOLDS, 1, display_name="Vườn vải bà Hạnh", phone="0983 111 333"),
        coops=changed(COOPS, 1, description="Rau và dâu tây Đà Lạt."),
    )
    result = seed("--path", str(folder))

    assert result.exit_code == 0, result.output
    assert "products.csv: created 0, updated 1, unchanged 3" in result.output
    assert "households.csv: created 0, updated 1, unchanged 2" in result.output
    assert "coops.csv: created 0, updated 1, unchanged 1" in result.output
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.sku == "TH-001-01"))
        assert (product.unit_price_vnd, product.stock_quantity) == (59000, 450)
        assert product.status == "active"  # the co-op's own data needs no second review
        movements = db.session.scalars(
            select(StockMovement.delta).where(StockMovement.product_id == product.id)
        ).all()
        assert sorted(movements) == [-50, 500]
        household = db.session.scalar(select(Seller).where(Seller.code == "TH-002"))
        assert household.display_name == "Vườn vải bà Hạnh"
        assert household.phone == household.user.phone == "+84983111333"
        coop = db.session.scalar(select(Coop).where(Coop.slug == "htx-nong-san-lang-biang"))
        assert coop.description == "Rau và dâu tây Đà Lạt."


def test_a_renewed_certificate_updates_the_household(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed")
    assert seed("--path", str(folder)).exit_code == 0

    small_seed(
        folder,
        households=changed(
            HOUSEHOLDS,
            0,
            certifications="vietgap:VG-31-0042:2029-06-30;ocop:OCOP-31-2025-007:2028-06-30",
        ),
    )
    result = seed("--path", str(folder))

    assert "households.csv: created 0, updated 1, unchanged 2" in result.output
    with app.app_context():
        cert = db.session.scalar(
            select(Certification).where(Certification.certificate_no == "VG-31-0042")
        )
        assert str(cert.valid_until) == "2029-06-30" and cert.verified_at is not None
        assert db.session.scalar(select(func.count()).select_from(Certification)) == 3


# ---- bad rows ------------------------------------------------------------------------------

BAD_ROWS = {
    "bad phone": (
        {"households": changed(HOUSEHOLDS, 1, phone="12345")},
        "households.csv:3: phone: Not a Vietnamese phone number.",
    ),
    "unknown coop_slug": (
        {"households": changed(HOUSEHOLDS, 2, coop_slug="htx-khong-co")},
        "households.csv:4: coop_slug: No co-op 'htx-khong-co'.",
    ),
    "unknown ward code": (
        {"households": changed(HOUSEHOLDS, 0, ward_code="99999")},
        "households.csv:2: ward_code: 99999 is not a ward code.",
    ),
    "ward of another province": (
        {"coops": changed(COOPS, 1, ward_code="10813")},
        "coops.csv:3: ward_code: Ward 10813 (Xã Thanh Hà) is not in province 68.",
    ),
    "negative price": (
        {"products": changed(PRODUCTS, 2, unit_price_vnd="-5000")},
        "products.csv:4: unit_price_vnd: Must be greater than or equal to 1 "
        "and less than or equal to 1000000000.",
    ),
    "price that is not a number": (
        {"products": changed(PRODUCTS, 2, unit_price_vnd="65.000đ")},
        "products.csv:4: unit_price_vnd: Not a valid integer.",
    ),
    "harvest_end before harvest_start": (
        {"products": changed(PRODUCTS, 0, harvest_start="2026-07-10", harvest_end="2026-05-28")},
        "products.csv:2: harvest_end: Must not be before harvest_start.",
    ),
    "duplicate sku": (
        {"products": [*PRODUCTS, {**PRODUCTS[1], "name": "Vải sấy túi 500 g"}]},
        "products.csv:6: sku: 'TH-001-02' is already on line 3.",
    ),
    "unknown category": (
        {"products": changed(PRODUCTS, 3, category_slug="nam")},
        "products.csv:5: category_slug: No category 'nam'.",
    ),
    "unknown unit": (
        {"products": changed(PRODUCTS, 3, unit="tạ")},
        "products.csv:5: unit: Must be one of: kg, g, box, bag, bunch, piece, litre, dozen.",
    ),
    "bad certificate": (
        {"households": changed(HOUSEHOLDS, 2, certifications="bio:HC-1:2027-12-31")},
        "households.csv:4: certifications: 'bio:HC-1:2027-12-31': scheme: Must be one of: "
        "vietgap, globalgap, organic, ocop.",
    ),
    "unknown household_code": (
        {"products": changed(PRODUCTS, 1, household_code="TH-999")},
        "products.csv:3: household_code: No household 'TH-999'.",
    ),
    "phone of another household": (
        {"households": changed(HOUSEHOLDS, 2, phone="0912345001")},
        "households.csv:4: phone: Already registered.",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_a_bad_row_is_reported_with_file_and_line_and_nothing_is_written(
    app, seed, tmp_path, kind, claim_file
):
    changes, expected = BAD_ROWS[kind]

    result = seed("--path", str(small_seed(tmp_path / "seed", **changes)))

    assert result.exit_code == 1
    assert expected in result.output.splitlines(), result.output
    assert "nothing was written" in result.output
    assert counts(app) == EMPTY
    assert not claim_file.exists()


def test_a_missing_column_in_the_header_is_reported_on_line_1(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed")
    header = [c for c in HOUSEHOLDS[0] if c != "phone"]
    write_csv(folder / "households.csv", HOUSEHOLDS, header)

    result = seed("--path", str(folder))

    assert result.exit_code == 1
    assert "households.csv:1: phone: column missing from the header" in result.output
    assert counts(app) == EMPTY


def test_a_file_that_is_not_utf8_is_reported_at_its_first_bad_line(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed")
    text = (folder / "coops.csv").read_text(encoding="utf-8")
    (folder / "coops.csv").write_bytes(text.encode("cp1258", errors="replace"))

    result = seed("--path", str(folder))

    assert result.exit_code == 1
    assert "coops.csv:2: encoding: not UTF-8" in result.output
    # Rows that refer to the unreadable file's co-ops are not reported a second time.
    assert "coop_slug" not in result.output
    assert counts(app) == EMPTY


def test_every_bad_row_of_every_file_is_reported_in_one_run(app, seed, tmp_path):
    folder = small_seed(
        tmp_path / "seed",
        households=changed(changed(HOUSEHOLDS, 0, phone="0000"), 2, ward_code="1"),
        products=changed(changed(PRODUCTS, 2, unit_price_vnd="0"), 3, stock_quantity="-1"),
    )

    result = seed("--path", str(folder))

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ".csv:" in line]
    assert [line.split(":")[0:3] for line in errors] == [
        ["households.csv", "2", " phone"],
        ["households.csv", "4", " ward_code"],
        ["products.csv", "4", " unit_price_vnd"],
    ]
    # LB-001's product (line 5) waits for its household: not reported a second time.
    assert "3 error(s)" in result.output
    assert counts(app) == EMPTY


def test_a_bad_row_in_a_second_run_leaves_the_first_load_untouched(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed")
    assert seed("--path", str(folder)).exit_code == 0
    before = counts(app)

    small_seed(
        folder,
        products=changed(changed(PRODUCTS, 0, unit_price_vnd="1"), 1, unit="tấn"),
    )
    result = seed("--path", str(folder))

    assert result.exit_code == 1
    assert counts(app) == before
    with app.app_context():
        price = db.session.scalar(select(Product.unit_price_vnd).where(Product.sku == "TH-001-01"))
        assert price == 65000


def test_dry_run_reports_what_it_would_do_and_writes_nothing(app, seed, tmp_path, claim_file):
    result = seed("--path", str(small_seed(tmp_path / "seed")), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "households.csv: created 3, updated 0, unchanged 0" in result.output
    assert "nothing was written" in result.output
    assert counts(app) == EMPTY
    assert not claim_file.exists()


def test_dry_run_still_reports_bad_rows(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed", households=changed(HOUSEHOLDS, 1, phone="12"))

    result = seed("--path", str(folder), "--dry-run")

    assert result.exit_code == 1
    assert "households.csv:3: phone: Not a Vietnamese phone number." in result.output


def test_a_missing_seed_folder_is_an_error(app, seed, tmp_path):
    result = seed("--path", str(tmp_path / "nowhere"))

    assert result.exit_code == 1
    assert "No seed folder" in result.output


def test_a_household_code_longer_than_the_column_is_a_row_error(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed", households=changed(HOUSEHOLDS, 1, code="H" * 51))

    result = seed("--path", str(folder))

    assert result.exit_code == 1
    assert (
        "households.csv:3: code: Use at most 50 ASCII letters, digits, '.', '_' and '-'."
        in result.output.splitlines()
    )
    assert counts(app) == EMPTY


@pytest.mark.parametrize(
    "cells",
    [
        {"category_slug": "vai\x00thieu"},
        {"name": "Vải\x00thiều"},
        {"origin_area": "x" * 201},
        {"unit_price_vnd": "9" * 40},
        {"harvest_start": "2026-02-30"},
        {"name": "'; DROP TABLE products; --", "category_slug": "' OR 1=1 --"},
    ],
    ids=["nul-in-slug", "nul-in-name", "long-area", "huge-price", "no-such-date", "injection"],
)
def test_nasty_cells_are_row_errors_never_a_crash(app, seed, tmp_path, cells):
    folder = small_seed(tmp_path / "seed", products=changed(PRODUCTS, 0, **cells))

    result = seed("--path", str(folder))

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert any(line.startswith("products.csv:2: ") for line in result.output.splitlines())
    assert counts(app) == EMPTY


def test_line_numbers_count_quoted_cells_that_span_lines_and_a_bom_is_accepted(app, seed, tmp_path):
    folder = small_seed(
        tmp_path / "seed",
        products=changed(
            changed(PRODUCTS, 0, description="Dòng một.\nDòng hai.\nDòng ba."), 1, unit="tạ"
        ),
    )
    raw = (folder / "products.csv").read_bytes()
    (folder / "products.csv").write_bytes("\ufeff".encode() + raw)

    result = seed("--path", str(folder))

    assert result.exit_code == 1
    # Row 2 starts on line 2 and spans three lines, so row 3 starts on physical line 5.
    assert "products.csv:5: unit: Must be one of:" in result.output
    assert "header" not in result.output


def test_unknown_columns_and_an_empty_file_are_reported(app, seed, tmp_path):
    folder = small_seed(tmp_path / "seed")
    write_csv(
        folder / "coops.csv",
        [{**c, "website": "https://htx.vn"} for c in COOPS],
        [*COOPS[0], "website"],
    )
    (folder / "categories.csv").write_bytes(b"")

    result = seed("--path", str(folder))

    assert result.exit_code == 1
    assert "categories.csv:1: header: the file is empty" in result.output
    assert "coops.csv:1: website: unknown column" in result.output
    assert counts(app) == EMPTY


def test_a_big_file_loads_with_a_progress_bar_on_standard_error(app, seed, tmp_path):
    many = [
        {**PRODUCTS[0], "sku": f"TH-001-{n:03d}", "name": f"Vải thiều lô {n}"} for n in range(320)
    ]
    folder = small_seed(tmp_path / "seed", products=many)

    result = seed("--path", str(folder))

    assert result.exit_code == 0, result.output
    assert "products.csv: created 320, updated 0, unchanged 0" in result.stdout
    assert "━" not in result.stdout  # the bar never mixes into the summary
