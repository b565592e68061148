"""When an upload's check finished, and which process is checking one that has not."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UNFINISHED = "%校验未完成%"  # what an interrupted upload's stored document said until now


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("checked_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("checker", sa.String(120), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime, nullable=True))
        batch.create_index("ix_submissions_checked_at", ["checked_at"])
    submissions = sa.table(
        "submissions",
        sa.column("uploaded_at", sa.DateTime),
        sa.column("checked_at", sa.DateTime),
        sa.column("document", sa.Text),
    )
    # every upload so far was checked when it was stored, but for those a crash interrupted
    op.execute(
        submissions.update()
        .where(sa.not_(submissions.c.document.like(UNFINISHED)))
        .values(checked_at=submissions.c.uploaded_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_checked_at")
        batch.drop_column("claimed_at")
        batch.drop_column("checker")
        batch.drop_column("checked_at")
