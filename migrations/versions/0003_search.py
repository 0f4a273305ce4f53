"""search: PostgreSQL full-text column, GIN index, pg_trgm vocabulary (nothing on SQLite)

Revision ID: 0003
Revises: 0002

The Whoosh backend keeps its index in files, so on SQLite this revision changes nothing. On
PostgreSQL it adds what the postgres search backend uses: ``products.search_vector`` (a weighted
tsvector, filled by the app and `flask search rebuild`), its GIN index, and the ``search_words``
vocabulary with a trigram index for spelling suggestions.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _postgres():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column("products", sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True))
    op.create_index(
        "ix_products_search_vector", "products", ["search_vector"], postgresql_using="gin"
    )
    op.create_table(
        "search_words",
        sa.Column("word", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_search_words"),
    )
    op.execute("CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)")


def downgrade():
    if not _postgres():
        return
    op.drop_table("search_words")
    op.drop_index("ix_products_search_vector", table_name="products")
    op.drop_column("products", "search_vector")
