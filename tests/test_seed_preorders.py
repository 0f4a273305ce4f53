"""`flask seed` with the optional products.csv columns of pre-orders and weighed lines
(sale_mode, expected_quantity, catch_weight); a file without them still loads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from tests.preorders_helpers import harvest_day
from tests.test_seed import PRODUCTS, changed, small_seed


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "SEED_CLAIM_CODES_FILE": str(tmp_path / "claim_codes.csv")}


@pytest.fixture
def seed(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["seed", *args])


def _by_sku(app) -> dict[str, Product]:
    with app.app_context():
        products = db.session.scalars(select(Product)).all()
        for product in products:
            db.session.expunge(product)
        return {p.sku: p for p in products}


def test_seed_loads_a_pre_order_forecast_and_a_catch_weight_product(app, seed, tmp_path):
    rows = changed(
        PRODUCTS,
        0,
        sale_mode="pre_order",
        expected_quantity="1000",
        stock_quantity="",
        harvest_start=harvest_day(),
        harvest_end=harvest_day(40),
        catch_weight="true",
    )
    result = seed("--path", str(small_seed(tmp_path / "seed", products=rows)))
    assert result.exit_code == 0, result.output
    products = _by_sku(app)
    lychee = products["TH-001-01"]
    assert (lychee.sale_mode, lychee.expected_quantity, lychee.stock_quantity) == (
        "pre_order",
        1000,
        700,
    )
    assert lychee.catch_weight is True
    assert products["TH-001-02"].sale_mode == "in_stock"
    again = seed("--path", str(tmp_path / "seed"))
    assert again.exit_code == 0 and "products.csv: created 0, updated 0" in again.output


def test_a_bad_pre_order_row_is_reported_and_nothing_is_written(app, seed, tmp_path):
    rows = changed(PRODUCTS, 0, sale_mode="pre_order", expected_quantity="", stock_quantity="")
    result = seed("--path", str(small_seed(tmp_path / "seed", products=rows)))
    assert result.exit_code == 1
    assert "products.csv:2: expected_quantity" in result.output
    assert _by_sku(app) == {}


def test_a_products_file_without_the_new_columns_still_loads(app, seed, tmp_path):
    result = seed("--path", str(small_seed(tmp_path / "seed")))
    assert result.exit_code == 0, result.output
    assert {p.sale_mode for p in _by_sku(app).values()} == {"in_stock"}
