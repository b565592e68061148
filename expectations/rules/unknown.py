"""Level 2 `unknown`: a row whose indicator name is not in the catalog (nor among its aliases)."""

import difflib

import pandas as pd

from expectations.rules.base import Expect, Rule, held


def _expects(catalog) -> list[Expect]:
    return [Expect("indicator", "not_null", note="指标名称在指标体系中")]


def closest_name(label: str, catalog) -> str | None:
    names = [ind.name for ind in catalog.indicators]
    found = difflib.get_close_matches(label, names, n=1, cutoff=0.6)
    return found[0] if found else None


def _details(t: pd.DataFrame, catalog, failing: pd.Index) -> dict:
    details = {}
    for index, label in t.loc[failing, "label"].items():
        close = closest_name(label or "", catalog)
        details[index] = {"hint": f"（是否为“{close}”？）" if close else ""}
    return details


def _describe(row, extra: dict) -> tuple[str, str]:
    label = row.label or "（空白）"
    return f"“{label}”", "指标体系中的指标名称"


RULE = Rule(
    code="indicator.unknown",
    category="unknown",
    level=2,
    title="指标名称必须是指标体系中的名称或别名",
    template="指标名称{found}不在指标体系中，应使用{expected}{hint}",
    passes=held(_expects),
    describe=_describe,
    cell_column="label_cell",
    expects=_expects,
    details=_details,
)
