"""money: co-op commission, seller orders' commission and COD remittance, households' bank
accounts, the append-only ledger (PostgreSQL refuses UPDATE and DELETE on it with a trigger),
COD remittances and payout batches

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("coops") as batch:
        batch.add_column(
            sa.Column("commission_bps", sa.Integer(), nullable=False, server_default="500")
        )
    with op.batch_alter_table("sellers") as batch:
        batch.add_column(sa.Column("payout_bank_bin", sa.String(6), nullable=True))
        batch.add_column(sa.Column("payout_account_no", sa.String(19), nullable=True))
        batch.add_column(sa.Column("payout_account_name", sa.String(200), nullable=True))
    op.create_table(
        "cod_remittances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("coop_id", sa.Integer(), sa.ForeignKey("coops.id"), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_cod_remittances_coop_id", "cod_remittances", ["coop_id"])
    with op.batch_alter_table("seller_orders") as batch:
        batch.add_column(
            sa.Column("commission_vnd", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("cod_remittance_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_seller_orders_cod_remittance_id", "cod_remittances", ["cod_remittance_id"], ["id"]
        )
        batch.create_index("ix_seller_orders_cod_remittance_id", ["cod_remittance_id"])
    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("min_amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "payout_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("payout_batches.id"), nullable=False),
        sa.Column("seller_id", sa.Integer(), sa.ForeignKey("sellers.id"), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("bank_bin", sa.String(6), nullable=False),
        sa.Column("account_no", sa.String(19), nullable=False),
        sa.Column("account_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("paid_at", UTC, nullable=True),
        sa.UniqueConstraint("batch_id", "seller_id"),
    )
    op.create_index("ix_payout_items_batch_id", "payout_items", ["batch_id"])
    op.create_index("ix_payout_items_seller_id", "payout_items", ["seller_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seller_id", sa.Integer(), sa.ForeignKey("sellers.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column(
            "seller_order_id", sa.Integer(), sa.ForeignKey("seller_orders.id"), nullable=True
        ),
        sa.Column("payout_id", sa.Integer(), sa.ForeignKey("payout_batches.id"), nullable=True),
        sa.Column(
            "payout_item_id",
            sa.Integer(),
            sa.ForeignKey("payout_items.id"),
            nullable=True,
            unique=True,
        ),
        sa.Column("balance_after_vnd", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_ledger_entries_seller_id", "ledger_entries", ["seller_id", "id"])
    op.create_index("ix_ledger_entries_seller_order_id", "ledger_entries", ["seller_order_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Append-only. The test suite empties tables between tests with a session setting that
        # only someone with direct database access can set (who could drop the trigger anyway).
        op.execute(
            """
            CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE'
                 AND current_setting('marketplace.purge_ledger', true) = 'on' THEN
                RETURN OLD;
              END IF;
              RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries"
            " FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries"
            " BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_append_only ON ledger_entries")
        op.execute("DROP FUNCTION ledger_entries_append_only()")
    op.drop_table("ledger_entries")
    op.drop_table("payout_items")
    op.drop_table("payout_batches")
    with op.batch_alter_table("seller_orders") as batch:
        batch.drop_index("ix_seller_orders_cod_remittance_id")
        batch.drop_constraint("fk_seller_orders_cod_remittance_id", type_="foreignkey")
        batch.drop_column("cod_remittance_id")
        batch.drop_column("commission_vnd")
    op.drop_table("cod_remittances")
    with op.batch_alter_table("sellers") as batch:
        batch.drop_column("payout_account_name")
        batch.drop_column("payout_account_no")
        batch.drop_column("payout_bank_bin")
    with op.batch_alter_table("coops") as batch:
        batch.drop_column("commission_bps")
