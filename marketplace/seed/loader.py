"""The CSV seed loader: `seed_data/*.csv` → co-ops, households, products, through the API's own
schemas and services (no second copy of the rules).

Every row is parsed by the marshmallow schema the matching API endpoint uses and written by the
same service function; a row that fails either is reported as ``file:line: field: message`` and the
loader carries on, so one run reports every bad row. The caller (the CLI) commits once, and only
when there is no error. Natural keys (category and co-op ``slug``, household ``code``, product
``sku``) decide between create, update and unchanged; a seed never deletes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import DataError, IntegrityError

from ..auth.services import issue_claim_code
from ..catalogue import services as catalogue
from ..catalogue.models import UNIT_WEIGHTS_G, Category, Product
from ..catalogue.schemas import CategoryCreateSchema, ProductCreateSchema
from ..coops import services as coop_services
from ..coops.models import Coop
from ..coops.schemas import CoopCreateSchema
from ..errors import AppError
from ..extensions import db
from ..sellers import services as sellers
from ..sellers.models import Seller
from ..sellers.schemas import AssistedOnboardingSchema, CertificationCreateSchema

# Natural keys: what the API accepts for a slug, and a conservative shape for codes and SKUs.
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")

# CSV certificates give `scheme:certificate_no:valid_until`; the API also asks who issued the
# certificate and from when it is valid. The seed fills those in (docs/seed.md).
ISSUERS = {
    "vietgap": "Tổ chức chứng nhận VietGAP được Bộ Nông nghiệp và Môi trường chỉ định",
    "globalgap": "GLOBALG.A.P. c/o FoodPLUS GmbH",
    "organic": "Tổ chức chứng nhận hữu cơ TCVN 11041",
    "ocop": "Ủy ban nhân dân cấp tỉnh (Chương trình OCOP)",
}
CERTIFICATE_YEARS = 3
STOCK_REASON = "Seed data (products.csv)"
# A box, bag, bunch, piece or dozen without a `unit_weight_g` cell weighs this (as the products
# that existed before weights did; docs/delivery.md).
SEED_UNIT_WEIGHT_G = 1000


@dataclass(frozen=True)
class CsvSpec:
    """One seed file: its columns and which cells hold integers."""

    name: str
    key: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    key_max: int = 100  # the key column's length in the database

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


CATEGORIES = CsvSpec(
    "categories.csv",
    "slug",
    ("slug", "name"),
    ("parent_slug", "shelf_life_hours", "cold_shelf_life_hours"),
    ("shelf_life_hours", "cold_shelf_life_hours"),
)
COOPS = CsvSpec(
    "coops.csv",
    "slug",
    ("slug", "name", "province_code"),
    ("ward_code", "description"),
    ("province_code", "ward_code"),
)
HOUSEHOLDS = CsvSpec(
    "households.csv",
    "code",
    (
        "code",
        "full_name",
        "display_name",
        "coop_slug",
        "phone",
        "province_code",
        "ward_code",
        "address_line",
    ),
    ("farm_area_m2", "certifications", "description"),
    ("province_code", "ward_code", "farm_area_m2"),
    key_max=50,
)
PRODUCTS = CsvSpec(
    "products.csv",
    "sku",
    (
        "sku",
        "household_code",
        "name",
        "description",
        "category_slug",
        "unit",
        "unit_price_vnd",
        "stock_quantity",
    ),
    (
        "min_order_quantity",
        "harvest_start",
        "harvest_end",
        "origin_province_code",
        "origin_area",
        "unit_weight_g",
        "shelf_life_hours",
        "sale_mode",
        "expected_quantity",
        "catch_weight",
    ),
    (
        "unit_price_vnd",
        "stock_quantity",
        "min_order_quantity",
        "origin_province_code",
        "unit_weight_g",
        "shelf_life_hours",
        "expected_quantity",
    ),
    key_max=64,
)
SPECS = (CATEGORIES, COOPS, HOUSEHOLDS, PRODUCTS)


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class FileSummary:
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    present: bool = True

    def __str__(self) -> str:
        if not self.present:
            return f"{self.name}: not found, skipped"
        return (
            f"{self.name}: created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}"
        )


@dataclass
class ClaimCode:
    """A claim code handed to a household created by this run (written to a 0600 file)."""

    household_code: str
    display_name: str
    phone: str
    claim_code: str
    expires_at: dt.datetime


@dataclass
class SeedReport:
    errors: list[RowError] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)
    claim_codes: list[ClaimCode] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Row:
    line: int
    cells: dict[str, str]


# A progress hook: given the file name and its row count, returns a function called per row.
Progress = Callable[[str, int], Callable[[], None]]


def _no_progress(_name: str, _total: int) -> Callable[[], None]:
    return lambda: None


class RowFailed(Exception):
    """A row's errors have been recorded; stop processing this row."""


def read_rows(spec: CsvSpec, raw: bytes, errors: list[RowError]) -> list[Row] | None:
    """The data rows of one CSV file, or None (with errors recorded) when the file is unusable."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex()
        errors.append(
            RowError(spec.name, line, "encoding", f"not UTF-8 (byte 0x{byte}); save it as UTF-8")
        )
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        errors.append(RowError(spec.name, 1, "header", "the file is empty"))
        return None
    problems = [RowError(spec.name, 1, c, "column missing from the header") for c in spec.required]
    problems = [p for p in problems if p.field not in header]
    problems += [
        RowError(spec.name, 1, c, f"unknown column (expected: {', '.join(spec.columns)})")
        for c in header
        if c not in spec.columns
    ]
    problems += [
        RowError(spec.name, 1, c, "column appears twice")
        for c in set(header)
        if header.count(c) > 1
    ]
    if problems:
        errors.extend(problems)
        return None
    rows = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(spec.name, line, "row", f"not valid CSV: {exc}"))
            return None
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            errors.append(
                RowError(
                    spec.name,
                    line,
                    "row",
                    f"{len(cells)} cells but the header has {len(header)} columns",
                )
            )
            continue
        rows.append(Row(line, dict(zip(header, cells, strict=False))))
    return rows


class SeedLoader:
    """Loads a seed folder into the current session (flushes, never commits)."""

    def __init__(self, path: Path, progress: Progress = _no_progress) -> None:
        self.path = Path(path)
        self.progress = progress
        self.report = SeedReport()
        # Keys whose rows failed (or whose file could not be read): rows referring to them are
        # not loaded, and not reported a second time.
        self.failed: dict[str, set[str]] = {"coops": set(), "households": set()}
        self.broken: set[str] = set()
        self.households: dict[str, Seller] = {}
        self.products: dict[str, Product] = {}
        self._categories: dict[str, Category] | None = None
        self._coops: dict[str, Coop] | None = None

    @property
    def categories(self) -> dict[str, Category]:
        if self._categories is None:
            self._categories = catalogue.categories_by_slug()
        return self._categories

    @property
    def coops(self) -> dict[str, Coop]:
        if self._coops is None:
            self._coops = coop_services.coops_by_slug()
        return self._coops

    # ---- driver ---------------------------------------------------------------------------

    def load(self) -> SeedReport:
        _open_transaction()
        for spec, handle in (
            (CATEGORIES, self._category),
            (COOPS, self._coop),
            (HOUSEHOLDS, self._household),
            (PRODUCTS, self._product),
        ):
            self._load_file(spec, handle)
        return self.report

    def _load_file(self, spec: CsvSpec, handle: Callable[[Row, FileSummary], None]) -> None:
        summary = FileSummary(spec.name)
        self.report.files.append(summary)
        path = self.path / spec.name
        if not path.is_file():
            summary.present = False
            return
        rows = read_rows(spec, path.read_bytes(), self.report.errors)
        if rows is None:
            self.broken.add(spec.name)
            return
        self._prefetch(spec, rows)
        advance = self.progress(spec.name, len(rows))
        seen: dict[str, int] = {}
        for row in rows:
            key = row.cells.get(spec.key, "").strip()
            try:
                self._check_key(spec, row, key, seen)
                # A savepoint per row: a row the database refuses does not spoil the others.
                with db.session.begin_nested():
                    handle(row, summary)
            except RowFailed:
                self._mark_failed(spec, key)
            except AppError as exc:
                self._service_error(spec, row, exc)
                self._mark_failed(spec, key)
            except (IntegrityError, DataError) as exc:
                # A value no schema bounds, or a concurrent writer: the savepoint is rolled back.
                message = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
                self.report.errors.append(
                    RowError(spec.name, row.line, "row", f"the database refused it: {message}")
                )
                self._mark_failed(spec, key)
            advance()

    def _check_key(self, spec: CsvSpec, row: Row, key: str, seen: dict[str, int]) -> None:
        if not key:
            self._fail(spec, row, {spec.key: ["Missing data for required field."]})
        if len(key) > spec.key_max or not KEY.match(key):
            self._fail(
                spec,
                row,
                {
                    spec.key: [
                        f"Use at most {spec.key_max} ASCII letters, digits, '.', '_' and '-'."
                    ]
                },
            )
        if key in seen:
            self._fail(spec, row, {spec.key: [f"'{key}' is already on line {seen[key]}."]})
        seen[key] = row.line

    def _mark_failed(self, spec: CsvSpec, key: str) -> None:
        if spec is COOPS:
            self.failed["coops"].add(key)
        elif spec is HOUSEHOLDS:
            self.failed["households"].add(key)

    # ---- errors ---------------------------------------------------------------------------

    def _fail(self, spec: CsvSpec, row: Row, messages: Any) -> None:
        for name, text in _flatten(messages):
            self.report.errors.append(RowError(spec.name, row.line, name, text))
        raise RowFailed

    def _service_error(self, spec: CsvSpec, row: Row, exc: AppError) -> None:
        if isinstance(exc.details, dict) and exc.details:
            for name, text in _flatten(exc.details):
                self.report.errors.append(RowError(spec.name, row.line, name, text))
        else:
            self.report.errors.append(RowError(spec.name, row.line, "row", exc.message))

    def _parse(
        self, spec: CsvSpec, row: Row, schema: Schema, columns: tuple[str, ...], extra=None
    ) -> dict:
        """The row's cells as the JSON body the API would get, loaded by the API's schema."""
        body = {}
        for name in columns:
            value = row.cells.get(name, "").strip()
            if value == "":
                continue  # empty cells mean "not given"
            body[name] = int(value) if name in spec.integers and _INTEGER.match(value) else value
        body.update(extra or {})
        try:
            return schema.load(body)
        except SchemaError as exc:
            self._fail(spec, row, exc.messages)
        raise AssertionError  # unreachable: _fail raises

    # ---- natural keys ---------------------------------------------------------------------

    def _prefetch(self, spec: CsvSpec, rows: list[Row]) -> None:
        """Load the existing objects a file refers to, one query per kind (no N+1)."""
        keys = {row.cells.get(spec.key, "").strip() for row in rows}
        if spec is HOUSEHOLDS:
            self.households.update(sellers.households_by_code(keys - set(self.households)))
        elif spec is PRODUCTS:
            codes = {row.cells.get("household_code", "").strip() for row in rows}
            self.households.update(sellers.households_by_code(codes - set(self.households)))
            self.products = catalogue.products_by_sku(keys)

    # ---- categories.csv -------------------------------------------------------------------

    def _category(self, row: Row, summary: FileSummary) -> None:
        data = self._parse(CATEGORIES, row, CategoryCreateSchema(), CATEGORIES.columns)
        slug, parent_slug = data["slug"], data.get("parent_slug")
        category = self.categories.get(slug)
        if category is None:
            self.categories[slug] = catalogue.create_category(**data)
            summary.created += 1
            return
        current_parent = category.parent.slug if category.parent else None
        # An empty shelf-life cell keeps what the category has (a file without the columns too).
        shelf_lives = {
            name: data[name]
            for name in ("shelf_life_hours", "cold_shelf_life_hours")
            if data.get(name) is not None and getattr(category, name) != data[name]
        }
        if category.name == data["name"] and current_parent == parent_slug and not shelf_lives:
            summary.unchanged += 1
            return
        catalogue.update_category(
            category, name=data["name"], parent_slug=parent_slug, **shelf_lives
        )
        summary.updated += 1

    # ---- coops.csv ------------------------------------------------------------------------

    def _coop(self, row: Row, summary: FileSummary) -> None:
        data = self._parse(COOPS, row, CoopCreateSchema(), COOPS.columns)
        coop = self.coops.get(data["slug"])
        if coop is None:
            self.coops[data["slug"]] = coop_services.create_coop(**data)
            summary.created += 1
            return
        wanted = {
            "name": data["name"],
            "province_code": data["province_code"],
            "ward_code": data.get("ward_code"),
            "description": data.get("description"),
        }
        changes = {k: v for k, v in wanted.items() if getattr(coop, k) != v}
        if not changes:
            summary.unchanged += 1
            return
        coop_services.update_coop(coop, changes)
        summary.updated += 1

    # ---- households.csv -------------------------------------------------------------------

    def _household(self, row: Row, summary: FileSummary) -> None:
        columns = tuple(
            c for c in HOUSEHOLDS.columns if c not in ("code", "coop_slug", "certifications")
        )
        data = self._parse(HOUSEHOLDS, row, AssistedOnboardingSchema(), columns)
        certificates = self._certificates(row)
        coop_slug = row.cells.get("coop_slug", "").strip()
        coop = self.coops.get(coop_slug)
        if coop is None:
            if coop_slug in self.failed["coops"] or COOPS.name in self.broken:
                raise RowFailed  # already reported on the co-op's own line
            self._fail(HOUSEHOLDS, row, {"coop_slug": [f"No co-op '{coop_slug}'."]})
        code = row.cells["code"].strip()
        seller = self.households.get(code)
        full_name = data.pop("full_name")
        if seller is None:
            seller = sellers.register_household(coop, None, full_name=full_name, code=code, **data)
            for cert in certificates:
                sellers.record_certification(seller, verified=True, **cert)
            claim_code, claim = issue_claim_code(seller.user)
            self.report.claim_codes.append(
                ClaimCode(code, seller.display_name, seller.phone, claim_code, claim.expires_at)
            )
            self.households[code] = seller
            summary.created += 1
            return
        wanted = {
            "display_name": data["display_name"],
            "phone": data["phone"],
            "province_code": data["province_code"],
            "ward_code": data["ward_code"],
            "address_line": data["address_line"],
            "description": data.get("description"),
            "farm_area_m2": data.get("farm_area_m2"),
        }
        changes = {k: v for k, v in wanted.items() if getattr(seller, k) != v}
        changed = bool(changes) or seller.coop_id != coop.id or seller.user.full_name != full_name
        if changed:
            sellers.update_household(seller, coop=coop, full_name=full_name, changes=changes)
        changed |= self._sync_certificates(seller, certificates)
        if changed:
            summary.updated += 1
        else:
            summary.unchanged += 1

    def _certificates(self, row: Row) -> list[dict]:
        """`scheme:certificate_no:valid_until;…` → CertificationCreateSchema data."""
        raw = row.cells.get("certifications", "").strip()
        certificates, messages = [], []
        for entry in filter(None, (part.strip() for part in raw.split(";"))):
            parts = [p.strip() for p in entry.split(":")]
            if len(parts) != 3:
                messages.append(f"'{entry}' is not scheme:certificate_no:valid_until.")
                continue
            scheme, number, valid_until = parts
            body = {
                "scheme": scheme,
                "certificate_no": number,
                "issued_by": ISSUERS.get(scheme, scheme),
                "valid_until": valid_until,
            }
            try:
                until = dt.date.fromisoformat(valid_until)
                body["valid_from"] = (
                    until - dt.timedelta(days=365 * CERTIFICATE_YEARS)
                ).isoformat()
            except ValueError:
                body["valid_from"] = valid_until  # the schema reports the bad date
            try:
                certificates.append(CertificationCreateSchema().load(body))
            except SchemaError as exc:
                messages += [f"'{entry}': {name}: {text}" for name, text in _flatten(exc.messages)]
        if messages:
            self._fail(HOUSEHOLDS, row, {"certifications": messages})
        return certificates

    @staticmethod
    def _sync_certificates(seller: Seller, certificates: list[dict]) -> bool:
        """Add the household's listed certificates it lacks, and renew changed ones."""
        existing = {(c.scheme, c.certificate_no): c for c in seller.certifications}
        changed = False
        for cert in certificates:
            current = existing.get((cert["scheme"], cert["certificate_no"]))
            if current is None:
                sellers.record_certification(seller, verified=True, **cert)
                changed = True
                continue
            if (current.valid_from, current.valid_until) != (
                cert["valid_from"],
                cert["valid_until"],
            ):
                current.valid_from, current.valid_until = cert["valid_from"], cert["valid_until"]
                changed = True
            if current.verified_at is None:
                sellers.mark_verified(seller, current, None)
                changed = True
        db.session.flush()
        return changed

    # ---- products.csv ---------------------------------------------------------------------

    def _product(self, row: Row, summary: FileSummary) -> None:
        code = row.cells.get("household_code", "").strip()
        seller = self.households.get(code)
        if seller is None:
            if code in self.failed["households"] or HOUSEHOLDS.name in self.broken:
                raise RowFailed  # its household's line is reported already
            self._fail(PRODUCTS, row, {"household_code": [f"No household '{code}'."]})
        extra = {}
        if not row.cells.get("origin_province_code", "").strip():
            extra["origin_province_code"] = seller.province_code  # the documented default
        unit = row.cells.get("unit", "").strip()
        if not row.cells.get("unit_weight_g", "").strip() and unit not in UNIT_WEIGHTS_G:
            extra["unit_weight_g"] = SEED_UNIT_WEIGHT_G  # docs/delivery.md
        columns = tuple(c for c in PRODUCTS.columns if c not in ("sku", "household_code"))
        data = self._parse(PRODUCTS, row, ProductCreateSchema(), columns, extra)
        sku = row.cells["sku"].strip()
        product = self.products.get(sku)
        if product is None:
            self.products[sku] = catalogue.create_listing(
                seller, {**data, "sku": sku}, actor=None, status="active"
            )
            summary.created += 1
            return
        if product.seller_id != seller.id:
            self._fail(
                PRODUCTS,
                row,
                {"household_code": [f"Product '{sku}' belongs to another household."]},
            )
        if self._update_product(product, data):
            summary.updated += 1
        else:
            summary.unchanged += 1

    def _update_product(self, product: Product, data: dict) -> bool:
        category = self.categories.get(data["category_slug"])
        wanted = {
            "name": data["name"],
            "description": data["description"],
            "unit": data["unit"],
            "unit_price_vnd": data["unit_price_vnd"],
            "min_order_quantity": data.get("min_order_quantity", 1),
            "harvest_start": data.get("harvest_start"),
            "harvest_end": data.get("harvest_end"),
            "origin_province_code": data["origin_province_code"],
            "origin_area": data.get("origin_area"),
            "catch_weight": data.get("catch_weight", False),
        }
        if "unit_weight_g" in data:
            wanted["unit_weight_g"] = data["unit_weight_g"]
        # The sale mode is set when a product is first loaded; a pre-order's stock is its
        # allowance, so the forecast is what a re-run updates (the harvest ends a pre-order).
        if product.sale_mode == "pre_order" and data.get("expected_quantity"):
            wanted["expected_quantity"] = data["expected_quantity"]
        changes = {k: v for k, v in wanted.items() if getattr(product, k) != v}
        if data.get("shelf_life_hours") not in (None, product.own_shelf_life_hours):
            changes["shelf_life_hours"] = data["shelf_life_hours"]
        if category is None or category.id != product.category_id:
            changes["category_slug"] = data["category_slug"]
        if (
            product.sale_mode != "pre_order"
            and "stock_quantity" in data
            and data["stock_quantity"] != product.stock_quantity
        ):
            changes["stock_quantity"] = data["stock_quantity"]
        if not changes:
            return False
        catalogue.edit_listing(
            product, changes, actor=None, review=False, stock_reason=STOCK_REASON
        )
        return True


def _open_transaction() -> None:
    """Make the per-row savepoints nest inside one transaction on SQLite too.

    pysqlite sends BEGIN only before the first write, and releasing a savepoint opened before
    that commits it (the SQLAlchemy docs' "pysqlite serializable" caveat): begin explicitly.
    """
    connection = db.session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.driver_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN")


def _flatten(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """marshmallow's nested messages → (field, message) pairs."""
    if isinstance(messages, dict):
        for name, value in messages.items():
            label = "row" if name == "_schema" else str(name)
            yield from _flatten(value, f"{prefix}.{label}" if prefix else label)
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _flatten(value, prefix)
    else:
        yield prefix or "row", str(messages)
