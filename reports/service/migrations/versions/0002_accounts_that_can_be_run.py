"""Accounts that can be disabled, several API tokens each, server-side sessions, login failures."""

import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_api_tokens_account_id", "api_tokens", ["account_id"])
    # the one token an account could have so far moves to the new table
    accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("token_hash", sa.String))
    tokens = sa.table(
        "api_tokens",
        sa.column("account_id", sa.Integer),
        sa.column("token_hash", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    connection = op.get_bind()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    existing = connection.execute(
        sa.select(accounts.c.id, accounts.c.token_hash).where(accounts.c.token_hash.isnot(None))
    ).all()
    if existing:
        op.bulk_insert(
            tokens,
            [{"account_id": i, "token_hash": t, "created_at": now} for i, t in existing],
        )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.drop_index("ix_accounts_token_hash")
        batch.drop_column("token_hash")
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_sessions_account_id", "sessions", ["account_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["key"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("sessions")
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(64)))
        batch.create_index("ix_accounts_token_hash", ["token_hash"])
        batch.drop_column("disabled")
    op.drop_table("api_tokens")
