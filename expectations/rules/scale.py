"""Level 1 `scale`: a percent typed as a fraction (0.93 for 93%), or a unit of another kind."""

import pandas as pd

from expectations.rules.base import Expect, Rule, held, number


def reference_level(t: pd.DataFrame) -> pd.Series:
    """What size the indicator's values usually have: the district's own, else the catalog's."""
    reference = t["own_baseline"].where(t["own_baseline"] > 1)
    for fallback in ("own_target", "catalog_baseline", "catalog_target"):
        candidate = t[fallback].astype("float64")
        reference = reference.where(reference.notna(), candidate.where(candidate > 1))
    return reference


def _fraction_passes(t: pd.DataFrame, catalog) -> pd.Series:
    looks_fractional = (
        (t["kind"] == "percent") & ~t["percent"] & (t["value"] > 0) & (t["value"] <= 1)
    )
    return ~(looks_fractional & (reference_level(t) >= 10)).fillna(False)


def _fraction_describe(row, extra: dict) -> tuple[str, str]:
    return number(
        row.value
    ), f"百分数（如 {number(round(row.value * 100, 4))}，而不是小数 {number(row.value)}）"


def _unit_expects(catalog) -> list[Expect]:
    return [
        Expect(
            "unit_ok", "in_set", "indicator.notna()", value_set=(True,),
            note="单位能换算到指标体系的单位",
        )
    ]  # fmt: skip


def _unit_describe(row, extra: dict) -> tuple[str, str]:
    written = (
        row.cell_unit if row.cell_unit and row.cell_unit == row.cell_unit else row.unit_written
    )
    return f"单位“{written}”", f"单位“{row.catalog_unit or '（无）'}”"


FRACTION = Rule(
    code="percent.fraction",
    category="scale",
    level=1,
    title="百分比不能填成小数（93% 应填 93，不是 0.93）",
    template="{name} {year}年{role_label}填报值 {found} 像是小数形式的百分比，应填写{expected}",
    passes=_fraction_passes,
    describe=_fraction_describe,
)

UNIT = Rule(
    code="unit.mismatch",
    category="scale",
    level=1,
    title="填写的单位必须与指标体系一致（万、亿会自动换算）",
    template="{name} 使用的{found}与指标体系的{expected}不一致，数值无法换算",
    passes=held(_unit_expects),
    describe=_unit_describe,
    cell_column="unit_issue_cell",
    expects=_unit_expects,
)
