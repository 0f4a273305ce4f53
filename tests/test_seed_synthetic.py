"""`flask seed synthetic`: deterministic benchmark rows, bulk-inserted, visible in the catalogue."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.catalogue.models import Product
from marketplace.extensions import db
from marketplace.places import check_place
from marketplace.seed.synthetic import generate
from marketplace.sellers.models import Seller


def synthetic(app, *args: str):
    return app.test_cli_runner().invoke(args=["seed", "synthetic", *args])


def test_the_same_seed_generates_the_same_rows_and_another_seed_others():
    first = list(generate(60, 7))
    assert first == list(generate(60, 7))
    other = list(generate(60, 8))
    assert [r["name"] for k, r in first if k == "product"] != [
        r["name"] for k, r in other if k == "product"
    ]
    # A bigger run extends a smaller one: row i does not depend on N.
    smaller = [r for k, r in generate(25, 7) if k == "product"]
    assert smaller == [r for k, r in first if k == "product"][:25]


def test_generated_rows_use_real_places_and_integer_prices():
    for kind, row in generate(200, 3):
        if kind in ("coop", "household"):
            assert check_place(row["province_code"], row["ward_code"]) == {}, row
        if kind == "product":
            assert isinstance(row["unit_price_vnd"], int) and row["unit_price_vnd"] >= 1000
            if row["harvest_start"]:
                assert row["harvest_start"] <= row["harvest_end"]


def test_synthetic_products_are_stored_as_generated_and_shown_in_the_catalogue(app, api):
    result = synthetic(app, "--products", "45", "--seed", "7")

    assert result.exit_code == 0, result.output
    assert "co-ops created 10, households created 3, products created 45" in result.output
    expected = {r["sku"]: r for k, r in generate(45, 7) if k == "product"}
    with app.app_context():
        stored = {p.sku: p for p in db.session.scalars(select(Product))}
        assert set(stored) == set(expected)
        for sku, row in expected.items():
            product = stored[sku]
            assert (product.name, product.unit_price_vnd, product.stock_quantity) == (
                row["name"],
                row["unit_price_vnd"],
                row["stock_quantity"],
            )
            assert product.seller.code == row["household_code"]
        assert set(db.session.scalars(select(Seller.status))) == {"approved"}
    assert api.get("/products?per_page=1").get_json()["total"] == 45


def test_a_second_synthetic_run_with_the_same_seed_adds_only_what_is_missing(app):
    assert synthetic(app, "--products", "30", "--seed", "2").exit_code == 0

    result = synthetic(app, "--products", "50", "--seed", "2")

    assert result.exit_code == 0, result.output
    assert "households created 1, products created 20" in result.output
    assert "already there: 10, 2, 30" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 50


def test_synthetic_refuses_a_product_count_below_one(app):
    result = synthetic(app, "--products", "0")

    assert result.exit_code == 2
    assert "--products" in result.output
