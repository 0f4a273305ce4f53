"""The index in step with the database: bulk Core writes, rollbacks, rebuilds, drift checks, the
CLI, health, and two processes writing one Whoosh index at once."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, insert, select, text, update

from marketplace.catalogue.models import Category, Product
from marketplace.extensions import db
from marketplace.search import services
from marketplace.search.backend import Document
from marketplace.search.changes import products_changed
from marketplace.search.whoosh_backend import WhooshBackend
from tests.search_world import Shop, backend_name, days  # noqa: F401 (fixture)


@pytest.fixture
def app_config(app_config, backend_name):  # noqa: F811 (the imported fixture)
    return {**app_config, "SEARCH_BACKEND": backend_name}


@pytest.fixture
def shop(app) -> Shop:
    return Shop(app)


def find(app, q, **filters):
    with app.app_context():
        return services.search(q, filters, 1, 100)


def ids(result) -> list[int]:
    return [hit.product.id for hit in result["items"]]


BULK_SIZE = 2100  # above the backends' bulk threshold: the path `flask seed synthetic` takes


def test_bulk_core_writes_are_indexed_on_commit_through_products_changed(app, shop):
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "nhan"))
        rows = [
            {
                "seller_id": shop.seller_id,
                "name": f"Nhãn lồng Hưng Yên lô {i}",
                "description": "Cùi dày, hạt nhỏ",
                "category_id": category_id,
                "unit": "kg",
                "unit_price_vnd": 40_000 + i,
                "stock_quantity": 5,
                "min_order_quantity": 1,
                "origin_province_code": 33,
                "images": [],
                "status": "active",
            }
            for i in range(BULK_SIZE)
        ]
        new_ids = db.session.scalars(insert(Product).returning(Product.id), rows).all()
        products_changed(new_ids)
        # not before the commit
        assert services.search("nhan long", {}, 1, 10)["total"] == 0
        db.session.commit()
    assert find(app, "nhan long", province_code=33)["total"] == BULK_SIZE

    # a bulk Core UPDATE of the same products replaces their entries (no duplicates)
    with app.app_context():
        db.session.execute(
            update(Product).where(Product.id.in_(new_ids)).values(name="Nhãn xuồng cơm vàng")
        )
        products_changed(new_ids)
        db.session.commit()
    assert find(app, "nhan long")["total"] == 0
    assert find(app, "nhan xuong")["total"] == BULK_SIZE
    with app.app_context():
        assert services.get_backend().check(db.session.connection()).clean


def test_a_rolled_back_change_never_reaches_the_index(app, shop):
    kept = shop.product("Bưởi Năm Roi")
    with app.app_context():
        db.session.get(Product, kept).name = "Bưởi da xanh"
        products_changed([kept])
        db.session.flush()
        db.session.rollback()
        db.session.add(
            Product(
                seller_id=shop.seller_id,
                name="Bưởi ma",
                category_id=1,
                unit="kg",
                unit_price_vnd=1,
                origin_province_code=31,
                status="active",
            )
        )
        db.session.flush()
        db.session.rollback()
    assert ids(find(app, "buoi")) == [kept]
    assert find(app, "da xanh")["total"] == 0
    with app.app_context():
        assert services.get_backend().check(db.session.connection()).clean


def _snapshot(app) -> list:
    queries = ["vai", "vải thiều", "lychee", "nhan", "mat ong", "gao st", "hung yen", "bac loi"]
    # Ids in rank order, totals and facets. Scores themselves may move a little: BM25 counts
    # deleted documents until Whoosh merges their segments away.
    results = [find(app, q) for q in queries]
    return [(ids(r), r["total"], r["facets"], r["suggestion"]) for r in results]


def _varied_shop(shop) -> None:
    shop.product(
        "Vải thiều Thanh Hà",
        "Vải chín cây",
        category="vai-thieu",
        harvest_start=days(-2),
        harvest_end=days(9),
    )
    shop.product("Vai heo", "Thịt sạch", category="rau-cu")
    shop.product(
        "Nhãn lồng Hưng Yên",
        category="nhan",
        origin_province_code=33,
        seller_id=shop.other_seller_id,
        origin_area="Hưng Yên",
    )
    shop.product("Mật ong hoa vải", "Mật ong nguyên chất từ hoa vải", category="mat-ong")
    shop.product("Gạo ST25", category="gao", origin_area="Sóc Trăng")
    paused = shop.product("Vải sấy khô", category="dac-san-kho")
    shop.update(Product, paused, status="paused")
    renamed = shop.product("Nhãn xuồng")
    shop.update(Product, renamed, name="Nhãn xuồng cơm vàng", unit_price_vnd=70_000)


def test_a_rebuild_gives_the_same_results_as_the_incremental_index(app, shop):
    _varied_shop(shop)
    incremental = _snapshot(app)
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt: 6 products" in result.output
    assert _snapshot(app) == incremental
    check = app.test_cli_runner().invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output
    assert "missing from the index: 0" in check.output


def _lose(app, product_id: int) -> None:
    """Damage the index behind the app's back."""
    with app.app_context():
        backend = services.get_backend()
        if backend.name == "whoosh":
            backend.index_documents([], gone=[product_id])
        else:
            db.session.execute(
                text("UPDATE products SET search_vector = NULL WHERE id = :id"), {"id": product_id}
            )
            db.session.commit()


def test_check_reports_drift_with_exit_1_and_rebuild_repairs_it(app, shop):
    lost = shop.product("Cà phê Robusta", category="ca-phe")
    shop.product("Cà phê Arabica", category="ca-phe")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    _lose(app, lost)
    assert lost not in ids(find(app, "ca phe"))
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"missing from the index: 1 ({lost})" in result.output
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    assert lost in ids(find(app, "ca phe"))
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_check_sees_stale_entries(app, shop):
    product = shop.product("Sầu riêng Ri6", category="trai-cay")
    with app.app_context():
        # a Core UPDATE that forgets products_changed: the index goes stale
        db.session.execute(
            text("UPDATE products SET name = 'Sầu riêng Monthong' WHERE id = :id"),
            {"id": product},
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 1 and f"stale in the index: 1 ({product})" in result.output


def test_search_keeps_answering_while_and_after_the_index_is_rebuilt(app, shop):
    product = shop.product("Thanh long ruột đỏ", category="trai-cay")
    with app.app_context():
        backend = services.get_backend()
        seen = []

        def progress(_n):
            # a buyer searching in the middle of the rebuild
            seen.append(ids(services.search("thanh long", {}, 1, 10)))

        with db.engine.connect() as conn:
            backend.rebuild(conn, progress)
    assert seen and all(s == [product] for s in seen)
    assert ids(find(app, "thanh long")) == [product]


def test_health_reports_search(api, app, shop):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "search": "ok"}


def test_health_is_503_when_the_whoosh_index_is_broken(api, app, app_config):
    if app_config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("a Whoosh folder to break")
    api.get("/search?q=vai")  # creates the index
    from pathlib import Path

    (Path(app_config["SEARCH_INDEX_DIR"]) / "CURRENT").write_text("generation-that-is-gone")
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["search"] == "down"


def _doc(i: int, writer: str) -> Document:
    return Document(
        id=i,
        name=f"Vải thiều {writer} {i}",
        description="",
        seller_name="Hộ Lợi",
        origin_area="Thanh Hà",
        category_name="Vải thiều",
        category_id=2,
        province_code=31,
        coop_id=1,
        seller_id=1,
        price=1000 + i,
        stock=1,
        harvest_start=None,
        harvest_end=None,
    )


def _write_many(directory: str, writer: str, start: int, count: int, shared: int) -> None:
    backend = WhooshBackend(directory)
    for i in range(start, start + count):
        # one commit per document: the most contention two processes can make
        backend.index_documents([_doc(i, writer), _doc(shared + i % 5, writer)])


def test_two_processes_write_one_whoosh_index_at_once_without_losing_updates(tmp_path):
    directory = str(tmp_path / "index")
    WhooshBackend(directory).index_documents([])  # create it once
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_write_many, args=(directory, "a", 1, 60, 10_000)),
        ctx.Process(target=_write_many, args=(directory, "b", 1001, 60, 10_000)),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]  # no LockError in either
    stamps = WhooshBackend(directory).indexed_stamps()
    expected = set(range(1, 61)) | set(range(1001, 1061)) | {10_000 + k for k in range(5)}
    assert set(stamps) == expected  # every update of both, each document once
    with WhooshBackend(directory)._index().searcher() as searcher:
        assert searcher.doc_count() == len(expected)


def test_flask_seed_synthetic_products_are_searchable_when_the_command_returns(app, api):
    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--products", "60"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        visible = db.session.scalar(select(func.count()).select_from(Product))
        assert services.get_backend().check(db.session.connection()).clean
    assert visible == 60
    browse = api.get("/search?per_page=1").get_json()
    assert browse["total"] == 60
    name = api.get("/products?per_page=1").get_json()["items"][0]["name"]
    found = api.get("/search", query_string={"q": name, "per_page": 100}).get_json()
    assert name in [item["name"] for item in found["items"]]
