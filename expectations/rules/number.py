"""Level 1 `type`: text that is not a number where a number belongs."""

import pandas as pd

from expectations.rules.base import Rule


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    return t["reason"].isna() | t["indicator"].isna()


def _describe(row, extra: dict) -> tuple[str, str]:
    return f"“{row.raw}”", "数字（可带 %、万、亿、以上、左右 等写法）"


RULE = Rule(
    code="value.number",
    category="type",
    level=1,
    title="数值格必须是数字",
    template="{name} {year}年{role_label}填写的{found}不是数字，应填写{expected}",
    passes=_passes,
    describe=_describe,
    gx=True,
)
