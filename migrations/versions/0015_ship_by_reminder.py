"""ship_by reminder: seller orders remember when their household was told `ship_by` is 4 hours
away (the sweep sets it compare-and-set, so each seller order is reminded once)

Revision ID: 0015
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("seller_orders") as batch:
        batch.add_column(
            sa.Column("ship_by_reminded_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("seller_orders") as batch:
        batch.drop_column("ship_by_reminded_at")
