"""seed: natural keys of the seed loader

The loader's natural keys already have unique columns: ``coops.slug`` and ``categories.slug``
(0001, 0002), ``sellers.code`` (0001) and ``products.sku`` (0002), each with its unique
constraint. This revision holds the seed's slot in the chain (0006 builds on it) and changes
nothing.

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
