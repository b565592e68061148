"""Finding the table in a sheet (wide or long layout) and turning its cells into tidy records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice

from indicators import Catalog, fold_text, split_unit
from submissions.reading.opening import Sheet

HEADER_SCAN_ROWS = 60
YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
NUMBERING_RE = re.compile(
    r"^(?:[（(]?[0-9一二三四五六七八九十]{1,3}[)）.、．]|[0-9]{1,3}(?=\D))\s*"
)
NOTE_PREFIXES = (
    "注",
    "说明",
    "备注",
    "填表",
    "填报人",
    "联系人",
    "联系电话",
    "审核",
    "负责人",
    "单位负责人",
    "单位(盖章)",
    "盖章",
    "填报日期",
    "报送日期",
    "制表",
)
TARGET_MARKERS = ("目标", "规划", "预期")
BASELINE_MARKERS = ("基期", "基数", "基准", "现状")

DISTRICT_LABELS = (
    "填报单位",
    "报送单位",
    "单位名称",
    "填报地区",
    "区县",
    "县区",
    "区市",
    "地区",
    "市州",
)
YEAR_LABELS = ("填报年度", "报告年度", "统计年度", "填报年份", "年度", "年份")
FIELD_RE = re.compile(r"(" + "|".join(DISTRICT_LABELS + YEAR_LABELS) + r")\s*[:：]\s*([^\s:：]+)")


@dataclass
class Columns:
    """Where each kind of column is, found from a header row."""

    header_row: int
    name: int | None = None
    unit: int | None = None
    attribute: int | None = None
    note: int | None = None
    code: int | None = None
    years: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # col → (year, marker)
    # long layout
    district: int | None = None
    year: int | None = None
    value: int | None = None

    @property
    def layout(self) -> str:
        return "long" if self.value is not None else "wide"


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_at(cells: list, col: int | None):
    """The value in a column of a row as read (None for a blank or a column the row lacks)."""
    if col is None or col >= len(cells):
        return None
    value = cells[col]
    return None if value == "" else value


def row_heading(cells: list, name_col: int | None, unit_col: int | None, values: dict, catalog):
    """A data row's indicator label, the indicator it names, and its written unit with the
    column holding it (the unit column, else a suffix of the label: "床位数（张）"); None for
    a blank row or a section title ("托育服务发展指标表") with no values."""
    label = cell_text(cell_at(cells, name_col)).strip()
    blank = all(v is None for v in values.values())
    if not label and blank:
        return None
    indicator = match_indicator(catalog, label) if label else None
    if indicator is None and blank:
        return None
    unit = cell_text(cell_at(cells, unit_col)).strip() or None
    written_in = unit_col if unit else None
    if unit is None and (suffix := unit_from_label(label)):
        unit, written_in = suffix, name_col
    return label, indicator, unit, written_in


def text_or_none(value: object) -> str | None:
    """pandas 3 keeps missing text as NaN: anything but a non-empty string counts as absent."""
    return value if isinstance(value, str) and value else None


def _fold(value: object) -> str:
    return fold_text(cell_text(value))


NAME_HEADERS = ("项目", "名称", "指标项", "指标项目", "内容")
CODE_HEADERS = ("指标代码", "代码", "编码", "指标编码")


def could_be_header(cells: list) -> bool:
    """A cheap necessary condition for classify_header: some cell names the indicator column.
    Data rows are checked for a second table below the first; most fail here at once."""
    for value in cells:
        if isinstance(value, str) and value:
            if "指标" in value:
                return True
            squeezed = fold_text(value)
            if squeezed in NAME_HEADERS or squeezed in CODE_HEADERS or "指标" in squeezed:
                return True
    return False


def classify_header(cells: list, row: int) -> Columns | None:
    """Read a row as a header; None if it does not look like one."""
    found = Columns(header_row=row)
    for col, value in enumerate(cells):
        text = _fold(value)
        if not text:
            continue
        if text in ("序号", "编号", "no", "No", "NO"):
            continue
        if any(word in text for word in ("属性", "性质", "指标类型")):
            found.attribute = col if found.attribute is None else found.attribute
        elif text.startswith(("备注", "说明")):
            found.note = col if found.note is None else found.note
        elif text in CODE_HEADERS:
            found.code = col
        elif text in ("单位", "计量单位", "指标单位"):
            found.unit = col if found.unit is None else found.unit
        elif text in ("区县", "县区", "区市", "地区", "行政区", "行政区划", "区县名称", "填报单位",
                      "单位名称", "市州", "县(市、区)", "县(区)", "区(县)"):  # fmt: skip
            found.district = col
        elif text in ("年份", "年度", "填报年度", "统计年度"):
            found.year = col
        elif text in ("数值", "填报值", "指标值", "值", "数据", "数量", "实际值", "填报数值"):
            found.value = col
        elif "指标" in text or text in NAME_HEADERS:
            if found.name is None:
                found.name = col
        elif (match := YEAR_RE.search(text)) and len(text) <= 16 and ":" not in text:
            marker = None
            if any(word in text for word in TARGET_MARKERS):
                marker = "target"
            elif any(word in text for word in BASELINE_MARKERS):
                marker = "baseline"
            found.years[col] = (int(match.group(1)), marker)
    if found.name is None and found.code is not None:
        found.name = found.code  # a table keyed by 指标代码 rather than by name
    if found.district is not None and found.year is not None and found.value is not None:
        if found.name is not None:
            return found
    if found.name is not None and found.years:
        # A wide table may still carry a 区县 column: several districts in one sheet.
        found.value = found.year = None
        return found
    return None


def find_header(
    rows: list[list], catalog: Catalog, start: int = 0, year_rows: bool = True
) -> Columns | None:
    """The first header at or after `start`; with `year_rows`, a row of years above indicator
    names also counts."""
    for index in range(start, len(rows)):
        columns = classify_header(rows[index], index)
        if columns is not None:
            return columns
    if not year_rows:
        return None
    for index in range(start, len(rows)):
        years = _year_columns(rows[index])
        # never a guess: a row naming an indicator is data, and values that happen to lie in
        # the years' range (2023 beds in every district) are no row of year headings
        if not years or any(
            isinstance(v, str) and match_indicator(catalog, v) is not None for v in rows[index]
        ):
            continue
        if len({year for year, _marker in years.values()}) < len(years) and not any(
            marker for _year, marker in years.values()
        ):
            continue
        name_col = _name_column_below(rows, index, catalog)
        if name_col is not None and name_col not in years:
            return Columns(header_row=index, name=name_col, years=years)
    return None


def _year_columns(cells: list) -> dict[int, tuple[int, str | None]]:
    years = {}
    for col, value in enumerate(cells):
        text = _fold(value)
        match = YEAR_RE.search(text)
        if match and len(text) <= 16 and ":" not in text and "：" not in text:
            marker = "target" if any(w in text for w in TARGET_MARKERS) else None
            if any(w in text for w in BASELINE_MARKERS):
                marker = "baseline"
            years[col] = (int(match.group(1)), marker)
    return years


def _name_column_below(rows: list[list], header: int, catalog: Catalog) -> int | None:
    hits: dict[int, int] = {}
    for cells in rows[header + 1 : header + 12]:
        for col, value in enumerate(cells):
            if isinstance(value, str) and match_indicator(catalog, value) is not None:
                hits[col] = hits.get(col, 0) + 1
    best = max(hits.items(), key=lambda item: item[1], default=(None, 0))
    return best[0] if best[1] >= 2 else None


def match_indicator(catalog: Catalog, label: object):
    text = cell_text(label)
    found = catalog.match(text)
    if found is None:
        stripped = NUMBERING_RE.sub("", fold_text(text))
        if stripped and stripped != fold_text(text):
            found = catalog.match(stripped)
    return found


def is_note_row(cells: list) -> bool:
    for value in cells:
        text = _fold(value)
        if text:
            return text.startswith(NOTE_PREFIXES)
    return False


def head_rows(sheet: Sheet) -> list[list]:
    """The first rows of a sheet, padded to A1 so that list positions are sheet positions."""
    rows: list[list] = [[] for _ in range(sheet.first_row)]
    for cells in islice(sheet.rows, HEADER_SCAN_ROWS):
        rows.append([None] * sheet.first_col + list(cells))
    return rows


def header_fields(rows: list[list], until: int) -> tuple[list[tuple[str, str, int, int]], str]:
    """Labelled fields ("填报单位：芝罘区") and the free text above the table."""
    fields = []
    texts = []
    for r, cells in enumerate(rows[:until]):
        for c, value in enumerate(cells):
            text = _fold(value)
            if not text:
                continue
            texts.append(text)
            for label, content in FIELD_RE.findall(text):
                fields.append((label, content, r, c))
            # "填报单位：" in one cell and the name in the next
            if text.rstrip(":：") in DISTRICT_LABELS + YEAR_LABELS and text.endswith((":", "：")):
                neighbour = next((_fold(v) for v in cells[c + 1 :] if _fold(v)), "")
                if neighbour:
                    fields.append((text.rstrip(":："), neighbour, r, c))
    return fields, " ".join(texts)


def unit_from_label(label: str) -> str | None:
    return split_unit(label)[1]


# 指标属性 as districts write it, folded (width, spaces, case) before the lookup.
ATTRIBUTE_WORDS = {
    "约束性": "binding",
    "约束": "binding",
    "约束性指标": "binding",
    "binding": "binding",
    "预期性": "expected",
    "预期": "expected",
    "预期性指标": "expected",
    "expected": "expected",
}


def read_attribute(text: object) -> str | None:
    """What a 指标属性 cell says: "约 束 性", "约束性指标", "Binding" → binding; blank → None;
    anything else → unrecognised."""
    if not isinstance(text, str):
        return None
    folded = fold_text(text).lower()
    return ATTRIBUTE_WORDS.get(folded, "unrecognised") if folded else None
