"""pre-orders and weighed lines: a product's sale mode, forecast, cap, deposit and harvest; its
catch weight; a line's pre-ordered quantity and weighed weight; a payment's deposit

Revision ID: 0013
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("sale_mode", sa.String(10), nullable=False, server_default="in_stock")
        )
        batch.add_column(sa.Column("expected_quantity", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("pre_order_cap_pct", sa.Integer(), nullable=False, server_default="70")
        )
        batch.add_column(sa.Column("deposit_pct", sa.Integer(), nullable=False, server_default="30"))
        batch.add_column(sa.Column("harvested_quantity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("harvested_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("catch_weight", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("pre_ordered_quantity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("actual_weight_g", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("catch_weight", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("deposit_vnd", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("deposit_paid_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("deposit_paid_at")
        batch.drop_column("deposit_vnd")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("catch_weight")
        batch.drop_column("actual_weight_g")
        batch.drop_column("pre_ordered_quantity")
    with op.batch_alter_table("products") as batch:
        for column in (
            "catch_weight",
            "harvested_at",
            "harvested_quantity",
            "deposit_pct",
            "pre_order_cap_pct",
            "expected_quantity",
            "sale_mode",
        ):
            batch.drop_column(column)
