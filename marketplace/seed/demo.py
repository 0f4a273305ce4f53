"""`flask seed --demo`: the demo accounts the README lists, made through the API's services.

A buyer, a household seller with products in the demo co-op, that co-op's admin and a platform
admin, all with DEMO_PASSWORD. Idempotent: what exists already is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..auth.models import User
from ..auth.services import create_admin, register_user
from ..catalogue import services as catalogue
from ..catalogue.schemas import ProductCreateSchema
from ..coops import services as coop_services
from ..coops.schemas import CoopCreateSchema
from ..delivery import services as delivery
from ..delivery.schemas import DeliveryMethodCreateSchema
from ..extensions import db
from ..sellers import services as sellers
from ..sellers.schemas import AssistedOnboardingSchema

DEMO_PASSWORD = "demo-password-2026"

DEMO_COOP = {
    "slug": "htx-vai-thieu-thanh-ha",
    "name": "Hợp tác xã Vải thiều Thanh Hà",
    "province_code": 31,  # Thành phố Hải Phòng
    "ward_code": 10813,  # Xã Thanh Hà
    "description": "Hợp tác xã trồng vải thiều ở xã Thanh Hà (trước đây thuộc tỉnh Hải Dương).",
}

BUYER = ("buyer@demo.vn", "Lê Thị Hoa")
COOP_ADMIN = ("coop@demo.vn", "Phạm Văn Hùng")
ADMIN = ("admin@demo.vn", "Quản trị viên nền tảng")
HOUSEHOLD_EMAIL = "household@demo.vn"
HOUSEHOLD_CODE = "DEMO-HOUSEHOLD"
HOUSEHOLD = {
    "full_name": "Nguyễn Văn Tư",
    "display_name": "Vườn vải nhà ông Tư",
    "phone": "0912 000 111",
    "province_code": 31,
    "ward_code": 10813,
    "address_line": "Thôn Thúy Lâm, xã Thanh Hà",
    "description": "Ba đời trồng vải thiều, vườn 8.000 m² theo tiêu chuẩn VietGAP.",
    "farm_area_m2": 8000,
}
PRODUCTS = {
    "DEMO-VAI-THIEU-1": {
        "name": "Vải thiều Thanh Hà loại 1",
        "description": "Vải thiều chín cây, hái sáng đóng thùng trong ngày, cùi dày, hạt nhỏ.",
        "category_slug": "vai-thieu",
        "unit": "kg",
        "unit_price_vnd": 65000,
        "stock_quantity": 500,
        "min_order_quantity": 2,
        "harvest_start": "2026-05-25",
        "harvest_end": "2026-07-15",
        "origin_province_code": 31,
        "origin_area": "Xã Thanh Hà",
    },
    "DEMO-VAI-SAY": {
        "name": "Vải thiều sấy khô",
        "description": "Vải thiều Thanh Hà sấy củi nhãn, túi 1 kg, bảo quản 12 tháng.",
        "category_slug": "dac-san-kho",
        "unit": "bag",
        "unit_weight_g": 1000,
        "unit_price_vnd": 180000,
        "stock_quantity": 120,
        "origin_province_code": 31,
        "origin_area": "Xã Thanh Hà",
    },
    "DEMO-MAT-ONG-VAI": {
        "name": "Mật ong hoa vải",
        "description": "Mật ong nuôi trong vườn vải mùa hoa tháng 2–3, chai 500 ml.",
        "category_slug": "mat-ong",
        "unit": "litre",
        "unit_price_vnd": 220000,
        "stock_quantity": 60,
        "origin_province_code": 31,
        "origin_area": "Xã Thanh Hà",
    },
}

# The demo co-op's delivery methods (created once, when the co-op has none).
DELIVERY_METHODS = (
    {
        "kind": "pickup",
        "name": "Nhận tại kho hợp tác xã",
        "pickup_address": {
            "province_code": 31,
            "ward_code": 10813,
            "address_line": "Kho lạnh HTX, thôn Thúy Lâm",
            "opening_hours": "6:00–18:00 hằng ngày",
        },
        "base_fee_vnd": 0,
        "per_kg_fee_vnd": 0,
        "lead_time_hours": 0,
        "cold_chain": False,
    },
    {
        "kind": "delivery",
        "name": "Xe lạnh Hải Phòng – Hà Nội",
        "provinces": [1, 31],
        "base_fee_vnd": 25000,
        "per_kg_fee_vnd": 4000,
        "free_over_vnd": 1000000,
        "lead_time_hours": 24,
        "cold_chain": True,
    },
    {
        "kind": "delivery",
        "name": "Chuyển phát toàn quốc",
        "base_fee_vnd": 30000,
        "per_kg_fee_vnd": 6000,
        "lead_time_hours": 72,
        "cold_chain": False,
    },
)

LOGINS = (
    ("buyer", BUYER[0]),
    ("household seller", HOUSEHOLD_EMAIL),
    ("co-op admin", COOP_ADMIN[0]),
    ("platform admin", ADMIN[0]),
)


@dataclass
class DemoSummary:
    created: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"demo: created {self.created}, unchanged {self.unchanged}"


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def load_demo() -> DemoSummary:
    """Create whatever of the demo is missing (flushes; the CLI commits)."""
    summary = DemoSummary()

    def count(created: bool) -> None:
        if created:
            summary.created += 1
        else:
            summary.unchanged += 1

    coop = coop_services.coops_by_slug([DEMO_COOP["slug"]]).get(DEMO_COOP["slug"])
    count(coop is None)
    if coop is None:
        coop = coop_services.create_coop(**CoopCreateSchema().load(DEMO_COOP))

    admin = _user(ADMIN[0])
    count(admin is None or not admin.is_admin)
    if admin is None or not admin.is_admin:
        create_admin(ADMIN[0], DEMO_PASSWORD, ADMIN[1])

    count(_user(BUYER[0]) is None)
    if _user(BUYER[0]) is None:
        register_user(full_name=BUYER[1], password=DEMO_PASSWORD, email=BUYER[0])

    coop_admin = _user(COOP_ADMIN[0])
    created = coop_admin is None or coop.id not in coop_admin.coop_ids
    count(created)
    if coop_admin is None:
        coop_admin = register_user(
            full_name=COOP_ADMIN[1], password=DEMO_PASSWORD, email=COOP_ADMIN[0]
        )
    if created:
        coop_services.add_admin(coop, coop_admin.id)

    household = sellers.households_by_code([HOUSEHOLD_CODE]).get(HOUSEHOLD_CODE)
    count(household is None)
    if household is None:
        data = AssistedOnboardingSchema().load(HOUSEHOLD)
        household = sellers.register_household(
            coop,
            None,
            code=HOUSEHOLD_CODE,
            email=HOUSEHOLD_EMAIL,
            password=DEMO_PASSWORD,
            **data,
        )

    methods_created = not delivery.all_methods(coop.id)
    count(methods_created)
    if methods_created:
        for body in DELIVERY_METHODS:
            delivery.create_method(coop_admin, coop, DeliveryMethodCreateSchema().load(body))

    existing = catalogue.products_by_sku(PRODUCTS)
    for sku, body in PRODUCTS.items():
        count(sku not in existing)
        if sku not in existing:
            data = ProductCreateSchema().load(body)
            catalogue.create_listing(household, {**data, "sku": sku}, actor=None, status="active")
    return summary
