"""Level 3 `revision`: a later report changes a value the district reported for a past year."""

from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pandas as pd

from expectations.rules.base import TableRule, number
from submissions import Finding, severity_for
from submissions.reading.layout import text_or_none

# One reported value, from a file of this run or from an earlier report kept by the service.
HISTORY_COLUMNS = [
    "file", "district", "report_year", "indicator", "year", "value", "raw", "sheet", "cell",
]  # fmt: skip
_LATER_COLUMNS = [*HISTORY_COLUMNS, "indicator_name", "note", "binding"]
# The columns of the enriched table reported_values reads.
REPORTED_FROM = [
    "file", "district", "indicator", "year_num", "value", "raw", "sheet", "cell",
    "indicator_name", "note", "binding", "role", "impossible",
]  # fmt: skip
RELATIVE_TOLERANCE = 1e-6  # 3909 and 3909.0000001 are the same figure typed twice


def reported_values(t: pd.DataFrame, submissions) -> pd.DataFrame:
    """Every trustworthy actual or baseline value with the year of the report that gave it.

    A value is "reported" for its own year in the report of that year or a later one; a blank,
    a text, or an impossible value (negative, over 100 %) is not a figure anyone relied on."""
    years = {s.file: s.year for s in submissions if not s.unreadable and s.year is not None}
    if t is None or t.empty or not years:
        return pd.DataFrame(columns=_LATER_COLUMNS)
    keep = (
        t["role"].isin(["actual", "baseline"]).to_numpy(bool)
        & t["value"].notna().to_numpy(bool)
        & t["indicator"].notna().to_numpy(bool)
        & t["district"].notna().to_numpy(bool)
        & t["year_num"].notna().to_numpy(bool)
        & ~t["impossible"].to_numpy(bool)
    )
    columns = [c for c in REPORTED_FROM if c not in ("role", "impossible")]
    rows = t.loc[keep, columns].rename(columns={"year_num": "year"})
    rows = rows.astype({c: object for c in ("file", "district", "indicator", "sheet", "note")})
    rows["indicator_name"] = rows["indicator_name"].astype(object)
    rows["report_year"] = rows["file"].map(years)
    rows = rows[rows["report_year"].notna() & (rows["year"] <= rows["report_year"])]
    return rows[_LATER_COLUMNS].reset_index(drop=True)


def revisions(later: pd.DataFrame, earlier: pd.DataFrame) -> list[Finding]:
    """A finding for each value of `later` that differs from the one the district gave for the
    same indicator and year in its latest earlier report, unless the row's 备注 explains it."""
    if later.empty or earlier.empty:
        return []
    before = earlier[HISTORY_COLUMNS].drop_duplicates(
        ["file", "district", "indicator", "year"], keep="first"
    )
    paired = later.reset_index(drop=True).reset_index(names="later_row")
    paired = paired.merge(
        before, on=["district", "indicator", "year"], suffixes=("", "_before"), how="inner"
    )
    paired = paired[paired["report_year_before"] < paired["report_year"]]
    if paired.empty:
        return []
    # against the latest earlier report only: a 2025 report is compared with 2024's, not 2022's
    paired = paired.sort_values(["later_row", "report_year_before"]).drop_duplicates(
        "later_row", keep="last"
    )
    value = paired["value"].to_numpy(float)
    value_before = paired["value_before"].to_numpy(float)
    scale = np.maximum(1.0, np.maximum(np.abs(value), np.abs(value_before)))
    changed = np.abs(value - value_before) > RELATIVE_TOLERANCE * scale
    explained = paired["note"].map(lambda note: bool(text_or_none(note) and note.strip()))
    paired = paired[changed & ~explained.to_numpy(bool)]
    return [_finding(row) for row in paired.itertuples(index=False)]


def _finding(row) -> Finding:
    year = int(row.year)
    shown = _shown(row.raw, row.value)
    shown_before = _shown(row.raw_before, row.value_before)
    earlier_file = PurePath(str(row.file_before)).name
    where_before = f"《{earlier_file}》工作表“{row.sheet_before}”{row.cell_before}"
    name = text_or_none(row.indicator_name) or str(row.indicator)
    return Finding(
        rule="value.revised",
        category="revision",
        severity=severity_for("revision"),
        file=row.file,
        district=row.district,
        sheet=row.sheet,
        cell=row.cell,
        indicator=row.indicator,
        indicator_name=name,
        year=year,
        value=shown,
        expected=(
            f"与{int(row.report_year_before)}年报送的 {shown_before} 一致（{where_before}），"
            "或在备注中说明修订原因"
        ),
        message=(
            f"工作表“{row.sheet}”{row.cell}：{row.district} {name} {year}年数值 {shown}，"
            f"与{int(row.report_year_before)}年报送的{where_before}中的 {shown_before} 不同："
            "如为更正，请在本行备注中写明修订原因"
        ),
    )


def _shown(raw, value) -> str:
    text = text_or_none(raw) if isinstance(raw, str) else None
    return text.strip() if text else number(value)


def _run(t, catalog, submissions, history: pd.DataFrame | None = None) -> list[Finding]:
    periods = {s.year for s in submissions if not s.unreadable and s.year is not None}
    if len(periods) < 2 and (history is None or history.empty):
        return []  # one period and nothing from before: nothing can have been revised
    later = reported_values(t, submissions)
    earlier = later if history is None or history.empty else pd.concat([history, later])
    return revisions(later, earlier)


RULE = TableRule(
    code="value.revised",
    category="revision",
    level=3,
    title="以前年度已报送的数值，后来的报送不应无说明地改动",
    run=_run,
    uses_history=True,
)
