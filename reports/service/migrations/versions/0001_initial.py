"""Accounts, submissions and findings."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("district", sa.String(100)),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog", sa.String(50), nullable=False, index=True),
        sa.Column("catalog_version", sa.String(20), nullable=False),
        sa.Column("district", sa.String(100), index=True),
        sa.Column("period", sa.Integer),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("uploaded_at", sa.DateTime, nullable=False),
        sa.Column("original_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("page", sa.Text, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("rule", sa.String(50), nullable=False),
        sa.Column("sheet", sa.String(200)),
        sa.Column("cell", sa.String(20)),
        sa.Column("indicator", sa.String(100)),
        sa.Column("year", sa.Integer),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("submissions")
    op.drop_table("accounts")
