"""Level 3 `outlier`: a value far off the straight path from baseline to target (a tenfold slip)."""

import numpy as np
import pandas as pd

from expectations.rules.base import Rule, number

ACTUAL_FACTOR = 5.0  # an actual five times above or below where the path puts it
TARGET_FACTOR = 10.0  # a target ten times its own baseline
SMALL = 10.0  # below this both sides are small counts, where ratios mean little


def _ratio(value: pd.Series, reference: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / reference
    big_enough = np.maximum(value.abs(), reference.abs()) >= SMALL
    return ratio.where((reference > 0) & (value > 0) & big_enough)


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    reference = t["path_expected"].fillna(t["previous"])
    actual_ratio = _ratio(t["value"], reference)
    target_ratio = _ratio(t["value"], t["own_baseline"])
    actual_off = (t["role"] == "actual") & (
        (actual_ratio >= ACTUAL_FACTOR) | (actual_ratio <= 1 / ACTUAL_FACTOR)
    )
    target_off = (t["role"] == "target") & (
        (target_ratio >= TARGET_FACTOR) | (target_ratio <= 1 / TARGET_FACTOR)
    )
    return ~(actual_off.fillna(False) | target_off.fillna(False))


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
