"""delivery: co-op delivery methods; product weight and shelf life; category shelf lives; per
seller order method, fee and deadlines; order shipping total

Existing products get a weight of 1 g per unit for `g` and 1000 g for every other unit (docs/
delivery.md); existing categories get the shelf lives of seed_data/categories.csv.

Revision ID: 0010
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0014"
branch_labels = None
depends_on = None

# slug → (shelf_life_hours, cold_shelf_life_hours), as in seed_data/categories.csv
SHELF_LIVES = {
    "trai-cay": (72, 504),
    "vai-thieu": (72, 504),
    "nhan": (72, 504),
    "xoai": (120, 336),
    "buoi": (720, 2160),
    "cam": (336, 1344),
    "rau-cu": (48, 168),
    "gao": (8760, 8760),
    "ca-phe": (4380, 4380),
    "mat-ong": (17520, 17520),
    "dac-san-kho": (8760, 8760),
    "dau-tay": (24, 120),
    "bo": (120, 336),
    "rau-la": (24, 168),
    "cu-qua": (168, 504),
}


def upgrade():
    op.create_table(
        "delivery_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pickup_address", sa.JSON(), nullable=True),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("base_fee_vnd", sa.BigInteger(), nullable=False),
        sa.Column("per_kg_fee_vnd", sa.BigInteger(), nullable=False),
        sa.Column("free_over_vnd", sa.BigInteger(), nullable=True),
        sa.Column("lead_time_hours", sa.Integer(), nullable=False),
        sa.Column("cold_chain", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coop_id"], ["coops.id"], name=op.f("fk_delivery_methods_coop_id_coops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_methods")),
    )
    with op.batch_alter_table("delivery_methods") as batch:
        batch.create_index("ix_delivery_methods_coop_active", ["coop_id", "active"])

    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("shelf_life_hours", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cold_shelf_life_hours", sa.Integer(), nullable=True))
    categories = sa.table(
        "categories",
        sa.column("slug", sa.String),
        sa.column("shelf_life_hours", sa.Integer),
        sa.column("cold_shelf_life_hours", sa.Integer),
    )
    for slug, (ambient, cold) in SHELF_LIVES.items():
        op.execute(
            categories.update()
            .where(categories.c.slug == slug)
            .values(shelf_life_hours=ambient, cold_shelf_life_hours=cold)
        )

    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("unit_weight_g", sa.Integer(), nullable=False, server_default="1000")
        )
        batch.add_column(sa.Column("shelf_life_hours", sa.Integer(), nullable=True))
    op.execute("UPDATE products SET unit_weight_g = 1 WHERE unit = 'g'")
    with op.batch_alter_table("products") as batch:
        batch.alter_column("unit_weight_g", server_default=None)

    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("shipping_total_vnd", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("shipping_total_vnd", server_default=None)

    with op.batch_alter_table("seller_orders") as batch:
        batch.add_column(
            sa.Column("shipping_fee_vnd", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("delivery_method_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("delivery", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("ship_by", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("promised_by", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_seller_orders_delivery_method_id_delivery_methods"),
            "delivery_methods",
            ["delivery_method_id"],
            ["id"],
        )
        batch.create_index(
            batch.f("ix_seller_orders_delivery_method_id"), ["delivery_method_id"]
        )
        batch.create_index("ix_seller_orders_status_ship_by", ["status", "ship_by"])
    with op.batch_alter_table("seller_orders") as batch:
        batch.alter_column("shipping_fee_vnd", server_default=None)


def downgrade():
    with op.batch_alter_table("seller_orders") as batch:
        batch.drop_index("ix_seller_orders_status_ship_by")
        batch.drop_index(batch.f("ix_seller_orders_delivery_method_id"))
        batch.drop_constraint(
            op.f("fk_seller_orders_delivery_method_id_delivery_methods"), type_="foreignkey"
        )
        for column in (
            "refused_at",
            "promised_by",
            "ship_by",
            "delivery",
            "delivery_method_id",
            "shipping_fee_vnd",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_total_vnd")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("shelf_life_hours")
        batch.drop_column("unit_weight_g")
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("cold_shelf_life_hours")
        batch.drop_column("shelf_life_hours")
    with op.batch_alter_table("delivery_methods") as batch:
        batch.drop_index("ix_delivery_methods_coop_active")
    op.drop_table("delivery_methods")
