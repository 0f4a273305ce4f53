"""catalogue: the "price" and "name" indexes also hold the id, so a page sorted by either is read
in index order (ties in price are many: without the id every tied row was read and sorted)

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_products_status_price": ["status", "unit_price_vnd"],
    "ix_products_status_name": ["status", "name"],
}


def upgrade():
    with op.batch_alter_table("products") as batch:
        for name, columns in INDEXES.items():
            batch.drop_index(name)
            batch.create_index(name, [*columns, "id"])


def downgrade():
    with op.batch_alter_table("products") as batch:
        for name, columns in INDEXES.items():
            batch.drop_index(name)
            batch.create_index(name, columns)
