"""catalogue: the "newest" index also holds the id, so a page is read from the index

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products") as batch:
        batch.drop_index("ix_products_status_created")
        batch.create_index("ix_products_status_created", ["status", "created_at", "id"])


def downgrade():
    with op.batch_alter_table("products") as batch:
        batch.drop_index("ix_products_status_created")
        batch.create_index("ix_products_status_created", ["status", "created_at"])
