"""A small shop for search tests, written through the ORM so that the sync hooks index it."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.catalogue.models import Category, Product
from marketplace.coops.models import Coop
from marketplace.extensions import db
from marketplace.sellers.models import Seller

_seq = itertools.count(1)

BACKENDS = [
    "whoosh",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            os.environ.get("TEST_DB", "sqlite") != "postgres",
            reason="the postgres search backend needs PostgreSQL",
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    """Run the test once per search backend (import this and ``app_config`` into a module)."""
    return request.param


class Shop:
    """Co-ops, households and products; every call commits, like a request would."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.coop_id = self._coop("Hợp tác xã Vải thiều Thanh Hà", 31)
            self.other_coop_id = self._coop("Hợp tác xã Nhãn lồng Hưng Yên", 33)
        self.seller_id = self.seller("Vườn vải nhà bác Lợi")
        self.other_seller_id = self.seller("Trang trại Hoa Sen", coop_id=self.other_coop_id)

    def _coop(self, name: str, province: int) -> int:
        coop = Coop(slug=f"htx-{next(_seq)}", name=name, province_code=province)
        db.session.add(coop)
        db.session.commit()
        return coop.id

    def seller(self, display_name: str, *, coop_id: int | None = None, status="approved") -> int:
        n = next(_seq)
        with self.app.app_context():
            user = User(email=f"shop{n}@example.vn", full_name=display_name)
            seller = Seller(
                user=user,
                coop_id=coop_id or self.coop_id,
                display_name=display_name,
                status=status,
                phone=f"+849{n:08d}",
                province_code=31,
                ward_code=10813,
                address_line="Thôn Hạ",
            )
            db.session.add(seller)
            db.session.commit()
            return seller.id

    def product(
        self,
        name: str,
        description: str = "",
        *,
        category: str = "trai-cay",
        seller_id: int | None = None,
        status: str = "active",
        **fields: Any,
    ) -> int:
        with self.app.app_context():
            category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
            values: dict[str, Any] = {
                "unit": "kg",
                "unit_price_vnd": 50_000,
                "stock_quantity": 10,
                "origin_province_code": 31,
                **fields,
            }
            product = Product(
                seller_id=seller_id or self.seller_id,
                name=name,
                description=description,
                category_id=category_id,
                status=status,
                **values,
            )
            db.session.add(product)
            db.session.commit()
            return product.id

    def update(self, model, id_: int, **changes: Any) -> None:
        with self.app.app_context():
            obj = db.session.get(model, id_)
            for key, value in changes.items():
                setattr(obj, key, value)
            db.session.commit()


def days(n: int) -> dt.date:
    from marketplace.clock import today_vn

    return today_vn() + dt.timedelta(days=n)
