"""Level 3 `direction`: a target or an actual that moves against the indicator's direction."""

import numpy as np
import pandas as pd

from expectations.rules.base import Rule, number, numbers


def _against(value: pd.Series, reference: pd.Series, direction: pd.Series) -> pd.Series:
    rising = direction.isin(["increase", "maintain"])
    falling = direction == "decrease"
    against = (rising & (value < reference - 1e-9)) | (falling & (value > reference + 1e-9))
    return against.fillna(False)


def _target_passes(t: pd.DataFrame, catalog) -> pd.Series:
    is_target = t["role"] == "target"
    return ~(is_target & _against(t["value"], t["own_baseline"], t["direction"]))


def _target_describe(row, extra: dict) -> tuple[str, str]:
    verb = "不低于" if row.direction != "decrease" else "不高于"
    return number(row.value), f"{verb}基期值 {number(row.own_baseline)}"


def _decline_passes(t: pd.DataFrame, catalog) -> pd.Series:
    is_actual = t["role"] == "actual"
    return ~(is_actual & _against(t["value"], t["previous"], t["direction"]))


def _decline_describe(row, extra: dict) -> tuple[str, str]:
    verb = "不低于" if row.direction != "decrease" else "不高于"
    return number(row.value), f"{verb}{int(row.previous_year)}年的 {number(row.previous)}"


def _decline_describe_all(rows: pd.DataFrame, extra: pd.DataFrame):
    verb = pd.Series(
        np.where((rows["direction"] != "decrease").to_numpy(bool), "不低于", "不高于"),
        index=rows.index,
    ).astype(object)
    year = rows["previous_year"].astype("float64").map(lambda v: f"{int(v)}年的 ")
    return numbers(rows["value"]), verb + year + numbers(rows["previous"])


TARGET = Rule(
    code="target.direction",
    category="direction",
    level=3,
    title="目标值不能与指标方向相反（提高类指标的目标不低于基期值）",
    template="{name} {year}年目标值 {found} 与指标方向（{direction_label}）相反，应{expected}",
    passes=_target_passes,
    describe=_target_describe,
    related_column="own_baseline_cell",
)

DECLINE = Rule(
    code="trend.decline",
    category="direction",
    level=3,
    title="实际值在年度之间不应反向变化",
    template=(
        "{name} {year}年填报值 {found} 比上一年度反向变化（指标方向：{direction_label}），"
        "应{expected}"
    ),
    passes=_decline_passes,
    describe=_decline_describe,
    describe_all=_decline_describe_all,
    related_column="previous_cell",
)
