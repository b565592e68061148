"""Level 2 `attribute`: 指标属性 written in the sheet differs from the catalog's."""

import pandas as pd

from expectations.rules.base import Rule
from indicators import fold_text

WRITTEN = {
    "约束性": "binding",
    "约束": "binding",
    "约束性指标": "binding",
    "binding": "binding",
    "预期性": "expected",
    "预期": "expected",
    "预期性指标": "expected",
    "expected": "expected",
}
LABELS = {"binding": "约束性", "expected": "预期性"}


def read_attribute(text: object) -> str | None:
    if text is None or text != text:
        return None
    folded = fold_text(text).lower()
    return WRITTEN.get(folded, "unrecognised") if folded else None


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    written = t["attribute_written"].map(read_attribute)
    expected = t["binding"].map({True: "binding", False: "expected"})
    differs = written.notna() & (written != expected) & t["indicator"].notna()
    return ~differs


def _describe(row, extra: dict) -> tuple[str, str]:
    expected = LABELS["binding" if row.binding else "expected"]
    return f"“{row.attribute_written}”", expected


RULE = Rule(
    code="attribute.mismatch",
    category="attribute",
    level=2,
    title="指标属性必须与指标体系一致（不能把约束性指标改为预期性）",
    template="{name} 的指标属性填写为{found}，指标体系规定为“{expected}”",
    passes=_passes,
    describe=_describe,
    cell_column="attribute_cell",
    gx=True,
)
