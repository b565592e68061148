"""The JSON contract of DESIGN.md section 6: one document for a check or a batch run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from submissions import ERROR, INFO, WARNING, Finding
from submissions.output import replaced

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome, Result

FINDING_KEYS = (
    "severity", "category", "rule", "indicator", "indicator_name", "year", "sheet", "cell",
    "value", "expected", "message", "explanation", "district", "engine",
)  # fmt: skip


def finding_document(finding: Finding) -> dict:
    return {key: getattr(finding, key) for key in FINDING_KEYS}


def submission_document(result: Result) -> dict:
    submission = result.submission
    table = submission.table
    from submissions.codes import present

    indicators = 0 if table is None or table.empty else len(present(table["indicator"]))
    return {
        "file": submission.file,
        "district": submission.district,
        "year": submission.year,
        "status": result.status,
        "summary": {
            "errors": result.count(ERROR),
            "warnings": result.count(WARNING),
            "infos": result.count(INFO),
            "indicators": indicators,
        },
        "sha256": submission.sha256,
        "layout": submission.layout,
        "kind": submission.kind,
        "findings": [finding_document(f) for f in result.findings],
    }


def document(outcome: Outcome) -> dict:
    return {
        "catalog": outcome.loaded.catalog.id,
        "catalog_version": outcome.loaded.version,
        "submissions": [submission_document(r) for r in outcome.results],
        "batch_findings": [finding_document(f) for f in outcome.batch_findings],
        "engines": dict(outcome.engines),
    }


def json_bytes(data: dict) -> bytes:
    """The document as UTF-8 JSON, indented by two, keys in the order given. orjson writes
    230,000 findings in 0.4 s where the standard library's encoder took 3–5 s."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def write_json(data: dict, path: Path) -> None:
    """Write atomically, so that a scheduled job never leaves half a document behind."""
    with replaced(path, mode="wb", encoding=None) as out:
        out.write(json_bytes(data))
