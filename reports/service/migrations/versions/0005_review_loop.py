"""The review loop: each district × period's state, explanations and their verdicts, reviewers'
comments, accepted explanations remembered, every action as an event, deadlines; an upload
refused because its period is approved says why."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("refused", sa.Text, nullable=True))
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("catalog", "district", "period", name="uq_reviews_period"),
    )
    op.create_table(
        "explanations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("finding_key", sa.String(400), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("by_name", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("verdict", sa.String(10)),
        sa.Column("verdict_by", sa.String(100)),
        sa.Column("verdict_at", sa.DateTime),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_explanations_submission", "explanations", ["submission_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("finding_key", sa.String(400)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("by_name", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_comments_submission", "comments", ["submission_id"])
    op.create_table(
        "remembered",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(50), nullable=False),
        sa.Column("indicator", sa.String(100)),
        sa.Column("year", sa.Integer),
        sa.Column("value", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.String(100), nullable=False),
        sa.Column("accepted_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_remembered_place", "remembered", ["catalog", "district"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("district", sa.String(100)),
        sa.Column("period", sa.Integer),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20)),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_events_period", "events", ["catalog", "district", "period"])
    op.create_index("ix_events_submission", "events", ["submission_id"])
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("set_by", sa.String(100), nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("catalog", "period", name="uq_deadlines_period"),
    )


def downgrade() -> None:
    for table in ("deadlines", "events", "remembered", "comments", "explanations", "reviews"):
        op.drop_table(table)
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("refused")
