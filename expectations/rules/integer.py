"""Level 1 `integer`: a count (床位、托位、机构数) that is not a whole number."""

import numpy as np
import pandas as pd

from expectations.rules.base import Rule, number, numbers


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    value = t["value"]
    whole = t["whole"].fillna(False).astype(bool) & t["comparator"].isna()
    fractional = (value - np.round(value)).abs() > 1e-6
    return ~(whole & fractional.fillna(False))


def _describe(row, extra: dict) -> tuple[str, str]:
    return number(row.value), "整数"


def _describe_all(rows: pd.DataFrame, extra: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return numbers(rows["value"]), pd.Series("整数", index=rows.index, dtype=object)


RULE = Rule(
    code="count.integer",
    category="integer",
    level=1,
    title="数量类指标必须是整数",
    template="{name} {year}年{role_label}填报值 {found} 不是整数，数量类指标应为{expected}",
    passes=_passes,
    describe=_describe,
    describe_all=_describe_all,
)
