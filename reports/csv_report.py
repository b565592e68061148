"""findings.csv for people who work in Excel: UTF-8 with BOM, formula injection neutralised."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from submissions import CATEGORY_LABELS, SEVERITY_LABELS
from submissions.output import replaced

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome

HEADER = ["文件", "区县", "严重程度", "类别", "规则", "指标", "年度", "工作表", "单元格",
          "填报值", "应为", "说明", "备注中的解释"]  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A leading ' keeps Excel from running the cell as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows(outcome: Outcome):
    for result in outcome.results:
        for f in result.findings:
            yield result.submission.file, f
    for f in outcome.batch_findings:
        yield "", f


def write_csv(outcome: Outcome, path: Path) -> None:
    with replaced(path, encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for file, f in rows(outcome):
            writer.writerow(
                [
                    neutralise(value)
                    for value in (
                        file,
                        f.district,
                        SEVERITY_LABELS[f.severity],
                        CATEGORY_LABELS.get(f.category, f.category),
                        f.rule,
                        f.indicator_name,
                        f.year,
                        f.sheet,
                        f.cell,
                        f.value,
                        f.expected,
                        f.message,
                        f.explanation,
                    )
                ]
            )
