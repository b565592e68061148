"""Level 3 `outlier`: a value far off the straight path from baseline to target (a tenfold slip)."""

import pandas as pd

from expectations.context import OFF_PATH_FACTOR, far_off
from expectations.rules.base import Rule, number

TARGET_FACTOR = 10.0  # a target ten times its own baseline


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    reference = t["path_expected"].fillna(t["previous"])
    actual_off = (t["role"] == "actual") & far_off(t["value"], reference, OFF_PATH_FACTOR)
    target_off = (t["role"] == "target") & far_off(t["value"], t["own_baseline"], TARGET_FACTOR)
    return ~(actual_off | target_off)


def _describe(row, extra: dict) -> tuple[str, str]:
    if row.role == "target":
        return number(row.value), f"与基期值 {number(row.own_baseline)} 同一量级"
    reference = row.path_expected if row.path_expected == row.path_expected else row.previous
    return number(row.value), f"接近 {number(round(reference, 2))}（按基期到目标的进度推算）"


RULE = Rule(
    code="path.outlier",
    category="outlier",
    level=3,
    title="数值不应偏离从基期到目标的进度（如多打或少打一个 0）",
    template=(
        "{name} {year}年{role_label}填报值 {found} 明显偏离，应{expected}；请核对是否多写或少写了 0"
    ),
    passes=_passes,
    describe=_describe,
)
