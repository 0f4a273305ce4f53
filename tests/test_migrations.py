"""The migrations build, from an empty database, exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from marketplace.catalogue.models import Category
from marketplace.extensions import db

# Objects the ORM models do not map: PostgreSQL-only search (migration 0003) and SQLite's
# catalogue generation table (migration 0007; a sequence on PostgreSQL).
UNMAPPED = {
    "catalogue_generation",
    "search_words",
    "search_vector",
    "ix_products_search_vector",
    "ix_search_words_trgm",
}


def _search_only(diff) -> bool:
    kind = diff[0]
    if kind == "remove_table":
        return diff[1].name in UNMAPPED
    if kind == "remove_column":
        return diff[3].name in UNMAPPED
    if kind == "remove_index":
        return diff[1].name in UNMAPPED
    return False


def test_upgrade_from_empty_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, db.metadata)
            # tables a feature keeps outside the ORM metadata (e.g. PostgreSQL-only search)
            if not (d[0] == "remove_table" and d[1].info.get("unmanaged")) and not _search_only(d)
        ]
    assert diff == []


def test_starting_category_tree_is_there(app):
    with app.app_context():
        lychee = db.session.scalar(select(Category).where(Category.slug == "vai-thieu"))
        assert lychee.name == "Vải thiều" and lychee.parent.slug == "trai-cay"
