"""bank transfer (VietQR): payment reference and amount received, the notifier's transactions,
refunds made by hand; payment method names up to 20 characters (`bank_transfer`)

Revision ID: 0011
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column(
            "payment_method",
            existing_type=sa.String(length=10),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column(
            "method",
            existing_type=sa.String(length=10),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("reference", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("amount_received_vnd", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_payments_reference"), ["reference"])

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("refunded_reference", sa.String(length=200), nullable=True))

    op.create_table(
        "bank_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("gateway", sa.String(length=100), nullable=True),
        sa.Column("transaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_number", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("transfer_type", sa.String(length=3), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("accumulated_vnd", sa.BigInteger(), nullable=True),
        sa.Column("sub_account", sa.String(length=100), nullable=True),
        sa.Column("reference_code", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("applied_vnd", sa.BigInteger(), nullable=False),
        sa.Column("owed_back_vnd", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_bank_transfers_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transfers")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_bank_transfers_provider_id")),
    )
    with op.batch_alter_table("bank_transfers", schema=None) as batch_op:
        batch_op.create_index("ix_bank_transfers_matched", ["order_id", "id"], unique=False)


def downgrade():
    op.drop_table("bank_transfers")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("refunded_reference")
        batch_op.drop_column("refunded_at")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_payments_reference"), type_="unique")
        batch_op.drop_column("amount_received_vnd")
        batch_op.drop_column("reference")
        batch_op.alter_column(
            "method",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=False,
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.alter_column(
            "payment_method",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=False,
        )
