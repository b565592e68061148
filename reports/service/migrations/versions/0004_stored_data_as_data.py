"""Findings with every field, reported values as rows; the stored document and page go.

Each upload's JSON document becomes its findings rows (all the contract's fields, in order)
and three columns (kind, layout, how many indicators); the past values its page kept for
revision checks become reported_values rows. The page kept them without their role (baseline
or actual), so they are stored with role "reported"; `validate.py recheck` reads such an
upload again from its file and stores every value with its role."""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FINDING_FIELDS = (
    "severity", "category", "rule", "indicator", "indicator_name", "year", "sheet", "cell",
    "value", "expected", "message", "explanation", "district", "engine",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=True))
        batch.add_column(sa.Column("layout", sa.String(20), nullable=True))
        batch.add_column(sa.Column("indicators", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("position", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("indicator_name", sa.Text, nullable=True))
        batch.add_column(sa.Column("value", sa.Text, nullable=True))
        batch.add_column(sa.Column("expected", sa.Text, nullable=True))
        batch.add_column(sa.Column("explanation", sa.Text, nullable=True))
        batch.add_column(sa.Column("district", sa.String(100), nullable=True))
        batch.add_column(sa.Column("engine", sa.String(20), nullable=True))
    reported = op.create_table(
        "reported_values",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("catalog", sa.String(50), nullable=False),
        sa.Column("district", sa.String(100)),
        sa.Column("period", sa.Integer),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("value", sa.Float),
        sa.Column("raw", sa.Text),
        sa.Column("sheet", sa.String(200)),
        sa.Column("cell", sa.String(20)),
        sa.Column("usable", sa.Boolean, nullable=False),
    )
    op.create_index("ix_reported_values_submission_id", "reported_values", ["submission_id"])
    op.create_index(
        "ix_reported_values_place", "reported_values", ["catalog", "district", "period"]
    )
    _convert(reported)
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("document")
        batch.drop_column("page")


def _convert(reported) -> None:
    connection = op.get_bind()
    submissions = sa.table(
        "submissions",
        sa.column("id", sa.Integer), sa.column("catalog", sa.String),
        sa.column("district", sa.String), sa.column("period", sa.Integer),
        sa.column("document", sa.Text), sa.column("page", sa.Text),
        sa.column("kind", sa.String), sa.column("layout", sa.String),
        sa.column("indicators", sa.Integer),
    )  # fmt: skip
    findings = sa.table(
        "findings",
        sa.column("submission_id", sa.Integer), sa.column("position", sa.Integer),
        *(sa.column(name) for name in FINDING_FIELDS),
    )  # fmt: skip
    rows = connection.execute(
        sa.select(
            submissions.c.id,
            submissions.c.catalog,
            submissions.c.district,
            submissions.c.period,
            submissions.c.document,
            submissions.c.page,
        )
    ).all()
    for row in rows:
        document = json.loads(row.document or "{}")
        page = json.loads(row.page or "{}")
        connection.execute(
            submissions.update()
            .where(submissions.c.id == row.id)
            .values(
                kind=document.get("kind"),
                layout=document.get("layout"),
                indicators=(document.get("summary") or {}).get("indicators") or 0,
            )
        )
        connection.execute(findings.delete().where(findings.c.submission_id == row.id))
        kept = [
            {"submission_id": row.id, "position": position,
             **{name: finding.get(name) for name in FINDING_FIELDS}}
            for position, finding in enumerate(document.get("findings", []))
        ]  # fmt: skip
        if kept:
            connection.execute(findings.insert(), kept)
        values = [
            {
                "submission_id": row.id, "catalog": row.catalog, "district": row.district,
                "period": row.period, "indicator": value["indicator"], "role": "reported",
                "year": value.get("year"), "value": value.get("value"), "raw": value.get("raw"),
                "sheet": value.get("sheet"), "cell": value.get("cell"), "usable": True,
            }
            for value in page.get("reported", [])
            if value.get("indicator")
        ]  # fmt: skip
        if values:
            connection.execute(reported.insert(), values)


def downgrade() -> None:
    """The document and a page holding only the past values come back from the rows (the
    page's display parts are gone: the code of revision 0003 shows such an upload's findings
    and reads its revisions, not its indicator table)."""
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("document", sa.Text, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("page", sa.Text, nullable=False, server_default="{}"))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT * FROM submissions")).mappings().all()
    for row in rows:
        kept = connection.execute(
            sa.text(
                f"SELECT {', '.join(FINDING_FIELDS)} FROM findings WHERE submission_id = :i "
                "ORDER BY position, id"
            ),
            {"i": row["id"]},
        ).mappings()
        found = [dict(finding) for finding in kept]
        document = {
            "file": row["original_name"], "district": row["district"], "year": row["period"],
            "status": row["status"],
            "summary": {"errors": row["errors"], "warnings": row["warnings"],
                        "infos": sum(f["severity"] == "info" for f in found),
                        "indicators": row["indicators"]},
            "sha256": row["sha256"], "layout": row["layout"], "kind": row["kind"],
            "findings": found,
        }  # fmt: skip
        values = connection.execute(
            sa.text(
                "SELECT indicator, year, value, raw, sheet, cell FROM reported_values "
                "WHERE submission_id = :i AND usable AND role IN ('actual', 'baseline', "
                "'reported') AND year <= :p ORDER BY id"
            ),
            {"i": row["id"], "p": row["period"] or 0},
        ).mappings()
        page = {"reported": [dict(v) for v in values]}
        connection.execute(
            sa.text("UPDATE submissions SET document = :d, page = :g WHERE id = :i"),
            {"d": json.dumps(document, ensure_ascii=False), "g": json.dumps(page), "i": row["id"]},
        )
    op.drop_table("reported_values")
    with op.batch_alter_table("findings") as batch:
        for name in ("engine", "district", "explanation", "expected", "value",
                     "indicator_name", "position"):  # fmt: skip
            batch.drop_column(name)
    with op.batch_alter_table("submissions") as batch:
        for name in ("indicators", "layout", "kind"):
            batch.drop_column(name)
