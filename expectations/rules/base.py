"""The shape of a rule: a vectorised pass/fail over the enriched table, and its wording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators import Catalog, format_number
from indicators.notation import format_numbers

Passes = Callable[[pd.DataFrame, Catalog], pd.Series]
Describe = Callable[[object, dict], tuple[str, str]]  # (row, details) → (found, expected)
# the same for all failing rows at once: (rows, details frame) → (found, expected) columns
DescribeAll = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.Series, pd.Series]]
Details = Callable[[pd.DataFrame, Catalog, pd.Index], dict]  # failing index → template fields


@dataclass(frozen=True)
class Expect:
    """One condition on one column of the tidy table, for the rows a pandas query selects: the
    single definition that pandera runs (`held`), Great Expectations runs (expectations/gx.py
    translates it) and the exported pandera schema carries. Like GX, a blank (NaN) value
    satisfies `in_set` and `between`; only `not_null` and `null` look at blanks."""

    column: str
    kind: str  # not_null | null | in_set | between
    where: str | None = None  # a DataFrame.query condition; None: every row
    value_set: tuple = ()
    min_value: float | None = None
    max_value: float | None = None
    note: str = ""  # what it asks, in Chinese (GX meta.notes, pandera check error)


Expects = Callable[[Catalog], list[Expect]]


def selected(t: pd.DataFrame, where: str | None) -> pd.Series:
    """The rows a DataFrame.query condition picks. The conditions rules declare (`indicator in
    [...] and role == "target"`, `year.isna()`) are read with ast and applied as the very pandas
    operations DataFrame.eval applies (isin, ==, &, |, ~, notna), without eval's 2.5 ms of
    set-up per call (a quarter of each upload's share of a service pass); any other condition
    goes to DataFrame.eval itself."""
    if where is None:
        return pd.Series(True, index=t.index)
    # here, not at the top: the pandera export copies this function's source, and nothing else
    import ast
    import operator
    import re

    compared = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
                ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}  # fmt: skip
    tests = {"isna", "notna", "isnull", "notnull"}

    def value(node):
        if isinstance(node, ast.Name) and node.id in t.columns:
            return t[node.id]
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool | type(None)):
            return node.value
        if isinstance(node, ast.List | ast.Tuple):
            return [value(item) for item in node.elts]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in tests
            and not node.args
            and not node.keywords
        ):
            return getattr(value(node.func.value), node.func.attr)()
        if isinstance(node, ast.BoolOp):
            parts = [value(part) for part in node.values]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined & part if isinstance(node.op, ast.And) else joined | part
            return joined
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.Invert):
            return ~value(node.operand)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, op, right = value(node.left), node.ops[0], value(node.comparators[0])
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, list):
                found = left.isin(right)
                return ~found if isinstance(op, ast.NotIn) else found
            if type(op) in compared and isinstance(left, pd.Series):
                return compared[type(op)](left, right)
        raise LookupError(where)  # outside what is read here: DataFrame.eval reads it

    try:
        picked = value(ast.parse(where, mode="eval").body)
    except (LookupError, SyntaxError):
        # over the columns the condition names: eval makes a Series of every column first
        named = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", where))
        picked = t[[c for c in t.columns if c in named]].eval(where, engine="python")
    if not isinstance(picked, pd.Series):  # a condition on no column: the same for every row
        picked = pd.Series(picked, index=t.index)
    return picked.astype(bool)


def satisfied(t: pd.DataFrame, expect: Expect, rows: pd.Series | None = None) -> pd.Series:
    """True where a row meets `expect` (rows it does not select meet it); `rows`, if given,
    are those its condition selects."""
    column = t[expect.column]
    if expect.kind == "not_null":
        good = column.notna()
    elif expect.kind == "null":
        good = column.isna()
    elif expect.kind == "in_set":
        good = column.isin(list(expect.value_set)) | column.isna()
    elif expect.kind == "between":
        good = column.isna()
        within = pd.Series(True, index=t.index)
        if expect.min_value is not None:
            within &= column >= expect.min_value
        if expect.max_value is not None:
            within &= column <= expect.max_value
        good = good | within.fillna(False)
    else:
        raise ValueError(f"unknown expectation kind {expect.kind!r}")
    if rows is None:
        rows = selected(t, expect.where)
    return (good | ~rows).astype(bool)


def held(expects: Expects) -> Passes:
    """A rule's `passes` made from its declared expectations: every one must hold."""

    def passes(t: pd.DataFrame, catalog: Catalog) -> pd.Series:
        result = pd.Series(True, index=t.index)
        chosen: dict[str | None, pd.Series] = {}  # rows of each condition, selected once
        for expect in expects(catalog):
            if expect.where not in chosen:
                chosen[expect.where] = selected(t, expect.where)
            result &= satisfied(t, expect, chosen[expect.where])
        return result

    return passes


def quoted(values) -> str:
    """A list for a query string: ["a", "b"] (JSON quoting, as GX stores it)."""
    import json

    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


@dataclass(frozen=True)
class Rule:
    """One check. `passes` is True where a row is fine; NaN-safe, never raises on odd data.
    A rule with `expects` declares its condition once, for both engines (`passes` = held)."""

    code: str
    category: str
    level: int
    title: str  # one line for the docs and the HTML legend
    template: str  # Chinese message, formatted with the row's fields plus found/expected
    passes: Passes
    describe: Describe
    cell_column: str = "cell"  # which position the finding points at
    expects: Expects | None = None  # its condition as Expect declarations (GX can run them)
    details: Details | None = None  # extra template fields for the failing rows
    describe_all: DescribeAll | None = None  # `describe` over columns, for rules that fail often
    # The other cell a finding depends on (last year's value): if that cell is itself wrong,
    # this finding is a consequence, not news, and is left out.
    related_column: str | None = None

    def declared(self, catalog: Catalog) -> list[Expect]:
        """Its Expect declarations for `catalog` (none for a rule GX cannot express)."""
        return self.expects(catalog) if self.expects is not None else []


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


def numbers(values: pd.Series) -> pd.Series:
    """`number` of each value, each distinct value written once (a bound, a baseline and a
    median repeat on every row of their indicator)."""
    codes, distinct = pd.factorize(values.astype("float64").to_numpy(), use_na_sentinel=True)
    written = np.array([*format_numbers(distinct.tolist()), "—"], dtype=object)
    return pd.Series(written[codes], index=values.index, dtype=object)


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


# What each target comparator asks, for one value or a Series of them alike (the target rules
# and the evaluation's classes both read it): (value, target, high, tolerance) → met.
COMPARATORS: dict[str, Callable] = {
    "≥": lambda value, target, high, tolerance: value >= target - 1e-9,
    ">": lambda value, target, high, tolerance: value > target,
    "≤": lambda value, target, high, tolerance: value <= target + 1e-9,
    "<": lambda value, target, high, tolerance: value < target,
    "≈": lambda value, target, high, tolerance: abs(value - target) <= tolerance + 1e-9,
    "=": lambda value, target, high, tolerance: abs(value - target) <= 1e-9,
    "range": lambda value, target, high, tolerance: (
        (value >= target - 1e-9) & (value <= high + 1e-9)
    ),
}


def meets(value: pd.Series, comparator: pd.Series, target: pd.Series, high: pd.Series,
          tolerance: pd.Series) -> pd.Series:  # fmt: skip
    """Whether each value satisfies its target's comparator (≥ > ≤ < ≈ range =)."""
    result = pd.Series(True, index=value.index)
    checks = {
        symbol: compare(value, target, high, tolerance) for symbol, compare in COMPARATORS.items()
    }
    for symbol, ok in checks.items():
        chosen = comparator == symbol
        result = result.where(~chosen, ok.fillna(True))
    # A blank or unreadable value is reported by its own rule, not as a missed target.
    return (result | value.isna() | target.isna()).astype(bool)
