"""Level 1 `range`: a negative value, or one above the indicator's upper bound (percent > 100)."""

import pandas as pd

from expectations.rules.base import Rule, number


def _negative_passes(t: pd.DataFrame, catalog) -> pd.Series:
    return ~(t["value"] < t["lower"]).fillna(False)


def _negative_describe(row, extra: dict) -> tuple[str, str]:
    return number(row.value), f"≥ {number(row.lower)}"


def _maximum_passes(t: pd.DataFrame, catalog) -> pd.Series:
    over = (t["value"] > t["upper"] + 1e-9) | (t["high"] > t["upper"] + 1e-9)
    return ~over.fillna(False)


def _maximum_describe(row, extra: dict) -> tuple[str, str]:
    shown = row.high if row.high == row.high and row.high > row.upper else row.value
    unit = "%" if row.kind == "percent" else (row.catalog_unit or "")
    return f"{number(shown)}{unit}", f"≤ {number(row.upper)}{unit}"


NEGATIVE = Rule(
    code="value.negative",
    category="range",
    level=1,
    title="数值不能为负数",
    template="{name} {year}年{role_label}填报值 {found} 为负数，应{expected}",
    passes=_negative_passes,
    describe=_negative_describe,
    gx=True,
)

MAXIMUM = Rule(
    code="value.max",
    category="range",
    level=1,
    title="百分比不超过 100，其他指标不超过其上限",
    template="{name} {year}年{role_label}填报值 {found} 超过上限，应{expected}",
    passes=_maximum_passes,
    describe=_maximum_describe,
    gx=True,
)
