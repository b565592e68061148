"""findings.csv for people who work in Excel: UTF-8 with BOM, formula injection neutralised."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from submissions import CATEGORY_LABELS, SEVERITY_LABELS
from submissions.output import replaced

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome

# One layout for every list of findings people open in Excel: findings.csv, the service's
# download and the 校验问题 sheet of an annotated copy. (header, field of a finding); the 规则
# column holds the rule's Chinese title.
COLUMNS = [
    ("文件", "file"), ("区县", "district"), ("严重程度", "severity"), ("类别", "category"),
    ("规则", "rule"), ("指标", "indicator_name"), ("年度", "year"), ("工作表", "sheet"),
    ("单元格", "cell"), ("填报值", "value"), ("应为", "expected"), ("说明", "message"),
    ("备注中的解释", "explanation"),
]  # fmt: skip
HEADER = [header for header, _field in COLUMNS]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SLICE = 50_000  # findings rendered and written at a time


def neutralise(value: object) -> str:
    """A leading ' keeps Excel from running the cell as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _labels(field: str) -> dict | None:
    """Words for the columns that hold a code: severity, category, and the rule's title (the
    code stays in the JSON)."""
    if field == "rule":
        from expectations.rules import RULE_TITLES  # the rules are loaded by whoever found it

        return RULE_TITLES
    return {"severity": SEVERITY_LABELS, "category": CATEGORY_LABELS}.get(field)


def finding_cells(finding, file: str | None = None) -> list:
    """A finding (a Finding or its JSON document) as the cells of one row, in COLUMNS order,
    severity, category and rule in words. `file` names the file when the finding does not."""
    get = finding.get if isinstance(finding, dict) else lambda key: getattr(finding, key, None)
    cells = []
    for _header, field in COLUMNS:
        value = get(field)
        if field == "file" and file is not None:
            value = file
        elif (labels := _labels(field)) is not None:
            value = labels.get(str(value), value)
        cells.append(value)
    return cells


def rows(outcome: Outcome):
    for result in outcome.results:
        for f in result.findings:
            yield result.submission.file, f
    for f in outcome.batch_findings:
        yield "", f


def write_findings(out, rows) -> None:
    """(file, finding) pairs as CSV on a text stream, with the header, formulas neutralised."""
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for file, finding in rows:
        writer.writerow([neutralise(value) for value in finding_cells(finding, file)])


def write_table(out, frame, file: str) -> None:
    """A findings table (the engine's, not yet made into records) as CSV rows, without the
    header, column by column: the same cells write_findings writes for its findings."""
    import pandas as pd

    columns = {}
    for _header, field in COLUMNS:
        if field == "file":
            values = pd.Series(file, index=frame.index, dtype=object)
        elif field == "year":
            years = frame["year"].astype("Int64")
            values = years.astype(object).where(years.notna(), None)
        else:
            values = frame[field].astype(object)
            labels = _labels(field)
            if labels:
                values = values.map(lambda v, labels=labels: labels.get(str(v), v))
        text = values.where(values.notna(), "").astype(str)
        risky = text.str.startswith(FORMULA_STARTS).to_numpy(bool)
        columns[field] = text.where(~risky, "'" + text)
    pd.DataFrame(columns).to_csv(out, header=False, index=False, lineterminator="\r\n")


def write_csv(outcome: Outcome, path: Path) -> None:
    with replaced(path, encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for result in outcome.results:
            if not result.materialised:
                for part in result.slices(SLICE):
                    write_table(out, part, result.submission.file)
            else:
                for finding in result.findings:
                    file = result.submission.file
                    writer.writerow([neutralise(v) for v in finding_cells(finding, file)])
        for finding in outcome.batch_findings:
            writer.writerow([neutralise(v) for v in finding_cells(finding, "")])
