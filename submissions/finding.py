"""Findings as data: one frozen record per problem, and the category → severity map."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", INFO: "提示"}

# Structural, type and consistency problems are errors whatever the indicator; problems with
# targets and trends are errors for binding (约束性) indicators and warnings for expected ones.
FIXED_SEVERITY = {
    "file": ERROR,
    "structure": ERROR,
    "missing": ERROR,
    "type": ERROR,
    "integer": ERROR,
    "range": ERROR,
    "scale": ERROR,
    "duplicate": ERROR,
    "unknown": ERROR,
    "relation": ERROR,
    # a changed past value may well be a correction: the reviewer asks, the file is not wrong
    "revision": WARNING,
}
BINDING_DEPENDENT = frozenset({"attribute", "direction", "target", "outlier", "aggregate"})
CATEGORIES = frozenset(FIXED_SEVERITY) | BINDING_DEPENDENT

CATEGORY_LABELS = {
    "file": "文件",
    "structure": "表格结构",
    "missing": "缺失",
    "type": "非数字",
    "integer": "非整数",
    "range": "超出范围",
    "scale": "单位或量级",
    "duplicate": "重复",
    "unknown": "未知指标",
    "attribute": "指标属性",
    "relation": "指标间关系",
    "direction": "变化方向",
    "target": "目标",
    "outlier": "异常值",
    "aggregate": "汇总",
    "revision": "修订",
}


def is_data_error(finding: Finding) -> bool:
    """The value itself cannot be trusted (blank, not a number, out of range …), as opposed to
    a trustworthy value that misses its target or trend: only these make a value 数据有误."""
    return finding.severity == ERROR and finding.category in FIXED_SEVERITY


def severity_for(category: str, binding: bool | None = None) -> str:
    if category in FIXED_SEVERITY:
        return FIXED_SEVERITY[category]
    if category in BINDING_DEPENDENT:
        return ERROR if binding else WARNING
    raise ValueError(f"unknown category {category!r}")


class CannotContinue(Exception):
    """The one exception of the project: validation of this input cannot go on at all."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    category: str
    severity: str
    message: str
    file: str | None = None
    district: str | None = None
    sheet: str | None = None
    cell: str | None = None
    indicator: str | None = None
    indicator_name: str | None = None
    year: int | None = None
    value: str | None = None
    expected: str | None = None
    explanation: str | None = None
    engine: str = "pandera"
    related_cell: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def sort_key(self) -> tuple:
        return (
            SEVERITY_RANK[self.severity],
            self.file or "",
            self.sheet or "",
            cell_order(self.cell),
            self.rule,
        )


def cell_order(cell: str | None) -> tuple[int, int]:
    """(row, column) of an A1 address, for ordering: its digits and its letters."""
    if not cell:
        return (10**9, 0)
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch.upper()) - 64
    return (int(digits or 0), column)


def column_letters(col: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"
