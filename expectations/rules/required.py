"""Level 1 `missing`: a value cell that must be filled is blank or holds a no-value marker."""

import pandas as pd

from expectations.rules.base import Rule


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    at_target = (t["header_marker"] == "target") | (t["year_num"] == t["catalog_target_year"])
    needed = (
        t["indicator"].notna()
        & t["required"]
        & (t["role"].isin(["baseline", "actual"]) | ((t["role"] == "target") & at_target))
    )
    return ~(needed & t["empty"])


def _describe(row, extra: dict) -> tuple[str, str]:
    found = "空白" if not str(row.raw).strip() else f"“{row.raw}”（表示无数据）"
    return found, "填写数值"


RULE = Rule(
    code="value.required",
    category="missing",
    level=1,
    title="必填的数值格不能为空",
    template="{name} {year}年{role_label}未填写：{found}，{expected}",
    passes=_passes,
    describe=_describe,
    gx=True,
)
