"""The shape of a rule: a vectorised pass/fail over the enriched table, and its wording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from indicators import Catalog, format_number

Passes = Callable[[pd.DataFrame, Catalog], pd.Series]
Describe = Callable[[object, dict], tuple[str, str]]  # (row, details) → (found, expected)
Details = Callable[[pd.DataFrame, Catalog, pd.Index], dict]  # failing index → template fields


@dataclass(frozen=True)
class Rule:
    """One check. `passes` is True where a row is fine; NaN-safe, never raises on odd data."""

    code: str
    category: str
    level: int
    title: str  # one line for the docs and the HTML legend
    template: str  # Chinese message, formatted with the row's fields plus found/expected
    passes: Passes
    describe: Describe
    cell_column: str = "cell"  # which position the finding points at
    gx: bool = False  # expressible as a Great Expectations expectation
    details: Details | None = None  # extra template fields for the failing rows
    # The other cell a finding depends on (last year's value): if that cell is itself wrong,
    # this finding is a consequence, not news, and is left out.
    related_column: str | None = None


@dataclass(frozen=True)
class TableRule:
    """A check over whole submissions (a missing indicator, a sum across districts)."""

    code: str
    category: str
    level: int
    title: str
    run: Callable  # (enriched table, catalog, submissions[, history]) → list[Finding]
    # Also handed values reported before this run (the service's earlier uploads).
    uses_history: bool = False


def number(value: float | None) -> str:
    if value is None or value != value:
        return "—"
    return format_number(float(value))


def comparator_text(comparator: str, value: float, high: float | None = None) -> str:
    if comparator == "range":
        return f"{number(value)}～{number(high)}"
    return f"{comparator} {number(value)}"


def catalog_target_text(row) -> str:
    return comparator_text(row.catalog_comparator, row.catalog_target, row.catalog_high)


def district_target_text(row) -> str:
    """The catalog's target as it applies to this district: for a target set for each street
    (township), the target times the district's count, with the arithmetic shown."""
    if row.units_value != row.units_value or not isinstance(row.units_name, str):
        return catalog_target_text(row)
    unit = row.units_name.removesuffix("数").removesuffix("个")
    total = comparator_text(row.catalog_comparator, row.district_target, row.district_high)
    return (
        f"{total}（每个{unit} {number(row.catalog_target)} × "
        f"{row.units_name} {number(row.units_value)}）"
    )


def meets(value: pd.Series, comparator: pd.Series, target: pd.Series, high: pd.Series,
          tolerance: pd.Series) -> pd.Series:  # fmt: skip
    """Whether each value satisfies its target's comparator (≥ > ≤ < ≈ range =)."""
    result = pd.Series(True, index=value.index)
    checks = {
        "≥": value >= target - 1e-9,
        ">": value > target,
        "≤": value <= target + 1e-9,
        "<": value < target,
        "≈": (value - target).abs() <= tolerance + 1e-9,
        "=": (value - target).abs() <= 1e-9,
        "range": (value >= target - 1e-9) & (value <= high + 1e-9),
    }
    for symbol, ok in checks.items():
        chosen = comparator == symbol
        result = result.where(~chosen, ok.fillna(True))
    # A blank or unreadable value is reported by its own rule, not as a missed target.
    return (result | value.isna() | target.isna()).astype(bool)
