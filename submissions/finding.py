"""Findings as data: one frozen record per problem, the table of categories (severity, data
error, label), and the codes findings are made under while reading."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", INFO: "提示"}


@dataclass(frozen=True)
class Category:
    """What a kind of finding is: its label, how bad, and whether the value is untrustworthy."""

    label: str
    # the same whatever the indicator, or None: an error where the indicator is binding
    # (约束性), a warning where it is expected (预期性)
    severity: str | None
    # an error of this category means the value itself cannot be trusted (blank, not a number,
    # out of range …), as opposed to a trustworthy value that misses its target or trend
    data_error: bool


# The one table of categories: severity (severity_for, and the vectorised one of settling made
# from it), "data error" (is_data_error, DATA_ERROR_CATEGORIES) and the labels people read.
# Structural, type and consistency problems are errors whatever the indicator; problems with
# targets and trends depend on whether the indicator is binding.
CATEGORIES: dict[str, Category] = {
    "file": Category("文件", ERROR, True),
    "structure": Category("表格结构", ERROR, True),
    "missing": Category("缺失", ERROR, True),
    "type": Category("非数字", ERROR, True),
    "integer": Category("非整数", ERROR, True),
    "range": Category("超出范围", ERROR, True),
    "scale": Category("单位或量级", ERROR, True),
    "duplicate": Category("重复", ERROR, True),
    "unknown": Category("未知指标", ERROR, True),
    "relation": Category("指标间关系", ERROR, True),
    # a changed past value may well be a correction: the reviewer asks, the file is not wrong
    "revision": Category("修订", WARNING, False),
    # a cell marked not applicable with a reason: the reviewer confirms it
    "applicability": Category("不适用", WARNING, False),
    "attribute": Category("指标属性", None, False),
    "direction": Category("变化方向", None, False),
    "target": Category("目标", None, False),
    "outlier": Category("异常值", None, False),
    "aggregate": Category("汇总", None, False),
}
CATEGORY_LABELS = {name: category.label for name, category in CATEGORIES.items()}
DATA_ERROR_CATEGORIES = frozenset(n for n, c in CATEGORIES.items() if c.data_error)


def is_data_error(finding: Finding) -> bool:
    """The value itself cannot be trusted: only these make a value 数据有误."""
    return finding.severity == ERROR and finding.category in DATA_ERROR_CATEGORIES


def severity_for(category: str, binding: bool | None = None) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    fixed = CATEGORIES[category].severity
    if fixed is not None:
        return fixed
    return ERROR if binding else WARNING


@dataclass(frozen=True)
class ReadingCode:
    """A finding that is made while a file is read or taken in, outside the rule table
    (expectations.rules.RULES lists these too, so every code the tool emits is there)."""

    code: str
    category: str
    level: int
    title: str

    def finding(self, message: str, **fields) -> Finding:
        return Finding(
            rule=self.code,
            category=self.category,
            severity=severity_for(self.category),
            message=message,
            **fields,
        )


READING_CODES: dict[str, ReadingCode] = {
    code.code: code
    for code in (
        ReadingCode("file.unreadable", "file", 0, "文件打不开、为空、不是电子表格或超出处理能力"),
        ReadingCode("table.not_found", "structure", 0, "找不到指标表的表头"),
        ReadingCode("district.missing", "structure", 0, "无法确定填报单位"),
        ReadingCode("year.missing", "structure", 0, "无法确定填报年度"),
        ReadingCode("district.unknown", "structure", 0, "填报单位不在指标体系的报送单位名单中"),
        ReadingCode("district.account", "structure", 0, "上传的文件写的填报单位不是账号所属单位"),
        ReadingCode("summary.total", "aggregate", 1, "汇总表的合计应等于各区县之和"),
    )
}


class CannotContinue(Exception):
    """The one exception of the project: validation of this input cannot go on at all. Its
    message is Chinese, for the clerk; `detail` keeps what a library said (for the log and the
    JSON's `detail`), never shown as the message."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


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
    # what a library said when a file could not be read (for the log and the JSON, never the
    # message a person reads)
    detail: str | None = None

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
