"""Level 1 `missing`: a value cell that must be filled is blank or holds a no-value marker."""

import pandas as pd

from expectations.rules.base import Rule


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    # A target cell is required only for the year the plan sets the indicator a target
    # (Indicator.sets_target_for, as the template asks): a 2025 column is left blank for an
    # indicator whose plan target was a 2022 milestone. A column headed 目标 with no year
    # cannot be told apart, and stays required.
    at_target = (t["year_num"] == t["catalog_target_year"]) | (
        t["year_num"].isna() & (t["header_marker"] == "target")
    )
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
