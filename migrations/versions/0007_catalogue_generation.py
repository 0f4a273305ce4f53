"""catalogue: the generation that says when the public catalogue last changed

PostgreSQL: a sequence (advanced with nextval, which takes no row lock). SQLite has no sequences:
a one-row table. See marketplace/catalogue/generation.py.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE catalogue_generation")
    else:
        op.execute("CREATE TABLE catalogue_generation (value INTEGER NOT NULL)")
        op.execute("INSERT INTO catalogue_generation (value) VALUES (0)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE catalogue_generation")
    else:
        op.execute("DROP TABLE catalogue_generation")
