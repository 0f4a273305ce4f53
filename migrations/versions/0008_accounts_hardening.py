"""accounts: which accounts a co-op created (claim codes are only for those); page sessions

``auth_tokens.kind`` tells API bearer tokens ("api") from page sessions ("page"): the session cookie
holds a page session id that never works as a bearer token. Existing rows are API tokens.

``login_attempts``: the per-account login counter shared by every worker (auth/login_limit.py).

``users.created_by_coop`` is true for accounts made by assisted onboarding or the seed loader. Existing
rows: an account without a password, or one whose household the co-op onboarded (the audit log's
``seller.onboard`` entry), was created by its co-op; self-registered accounts always have a password.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created_by_coop", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="api")
        )
    op.execute(
        "UPDATE users SET created_by_coop = true WHERE password_hash IS NULL OR id IN ("
        " SELECT sellers.user_id FROM sellers JOIN audit_entries"
        " ON audit_entries.target_type = 'seller' AND audit_entries.target_id = sellers.id"
        " WHERE audit_entries.action = 'seller.onboard')"
    )


def downgrade():
    op.drop_table("login_attempts")
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("created_by_coop")
