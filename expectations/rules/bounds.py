"""Level 1 `range`: a negative value, or one above the indicator's upper bound (percent > 100)."""

import numpy as np
import pandas as pd

from expectations.rules.base import Expect, Rule, held, number, numbers, quoted
from expectations.settling import by_category


def _by_bound(catalog, bound: str) -> dict[float, list[str]]:
    groups: dict[float, list[str]] = {}
    for ind in catalog.indicators:
        value = getattr(ind, bound)
        if value is not None:
            groups.setdefault(value, []).append(ind.code)
    return dict(sorted(groups.items()))


def _negative_expects(catalog) -> list[Expect]:
    return [
        Expect(
            "value", "between", f"indicator in {quoted(codes)}", min_value=lower,
            note=f"数值不小于 {number(lower)}",
        )
        for lower, codes in _by_bound(catalog, "lower_bound").items()
    ]  # fmt: skip


def _negative_describe(row, extra: dict) -> tuple[str, str]:
    return number(row.value), f"≥ {number(row.lower)}"


def _negative_describe_all(rows: pd.DataFrame, extra: pd.DataFrame):
    return numbers(rows["value"]), "≥ " + numbers(rows["lower"])


def _maximum_expects(catalog) -> list[Expect]:
    # a range's upper end ("90~120") is held to the bound as well as its lower one
    return [
        Expect(
            column, "between", f"indicator in {quoted(codes)}", max_value=upper,
            note=f"数值不超过 {number(upper)}",
        )
        for upper, codes in _by_bound(catalog, "upper_bound").items()
        for column in ("value", "high")
    ]  # fmt: skip


def _maximum_describe(row, extra: dict) -> tuple[str, str]:
    shown = row.high if row.high == row.high and row.high > row.upper else row.value
    unit = "%" if row.kind == "percent" else (row.catalog_unit or "")
    return f"{number(shown)}{unit}", f"≤ {number(row.upper)}{unit}"


def _maximum_describe_all(rows: pd.DataFrame, extra: pd.DataFrame):
    high, upper = rows["high"].astype("float64"), rows["upper"].astype("float64")
    shown = high.where(high.notna() & (high > upper), rows["value"])
    written = by_category(rows["catalog_unit"], lambda v: v if isinstance(v, str) else "", "")
    unit = pd.Series(
        np.where((rows["kind"] == "percent").to_numpy(bool), "%", written), index=rows.index
    ).astype(object)
    return numbers(shown) + unit, "≤ " + numbers(upper) + unit


NEGATIVE = Rule(
    code="value.negative",
    category="range",
    level=1,
    title="数值不能为负数",
    template="{name} {year}年{role_label}填报值 {found} 为负数，应{expected}",
    passes=held(_negative_expects),
    describe=_negative_describe,
    describe_all=_negative_describe_all,
    expects=_negative_expects,
)

MAXIMUM = Rule(
    code="value.max",
    category="range",
    level=1,
    title="百分比不超过 100，其他指标不超过其上限",
    template="{name} {year}年{role_label}填报值 {found} 超过上限，应{expected}",
    passes=held(_maximum_expects),
    describe=_maximum_describe,
    describe_all=_maximum_describe_all,
    expects=_maximum_expects,
)
