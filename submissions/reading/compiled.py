"""Workbooks a city compiles itself: districts as columns (a 汇总表, maybe with 合计 and a second
header row of years), districts as rows, or one district's years as rows. Each cell becomes the
same record as in a district's own sheet; a header is read only when its cells say what they
are (a district is one of the catalog's, a year is a year), never guessed from the values."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from indicators import Catalog, fold_text
from submissions.reading.layout import (
    BASELINE_MARKERS,
    TARGET_MARKERS,
    YEAR_RE,
    cell_at,
    cell_text,
    match_indicator,
    row_heading,
    unit_from_label,
)

TOTAL_WORDS = ("合计", "全市", "总计", "全市合计", "小计", "全省", "合 计")
KNOWN_HEADERS = (
    "序号", "编号", "指标", "指标名称", "项目", "名称", "单位", "计量单位", "指标属性", "属性",
    "备注", "说明", "区县", "县区", "单位名称", "填报单位", "年份", "年度", "地区", "行政区",
)  # fmt: skip
# a cell that names a place: a few characters ending in 区, 县, 市, 旗 (or a zone's name)
PLACE_RE = re.compile(r"^[\u4e00-\u9fff]{1,12}(区|县|市|旗|新区|开发区|保护区|管委会)$")
NAME_WORDS = ("指标", "项目", "名称", "内容")


@dataclass
class Compiled:
    """Where a compiled sheet's parts are. kind: "summary" (districts as columns),
    "district_rows" (districts as rows, indicators as columns) or "year_rows" (years as rows,
    indicators as columns, one district)."""

    kind: str
    header_row: int  # the last header row
    header_rows: tuple[int, ...] = ()
    name: int | None = None  # summary: the indicator column
    unit: int | None = None
    note: int | None = None
    key: int | None = None  # district_rows / year_rows: the column naming the row
    # summary: value column → (district, year or None for the sheet's, marker)
    columns: dict[int, tuple[str, int | None, str | None]] = field(default_factory=dict)
    totals: dict[int, int | None] = field(default_factory=dict)  # 合计 column → year
    unknown: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, text)
    indicators: dict[int, str] = field(default_factory=dict)  # rows layouts: col → code
    labels: dict[int, str] = field(default_factory=dict)  # rows layouts: col → its heading

    @property
    def layout(self) -> str:
        return self.kind


def exact_district(catalog: Catalog, value: object) -> str | None:
    """A reporting unit named by the whole cell (after folding width and spaces)."""
    text = fold_text(cell_text(value))
    return text if text in catalog.reporting_units.all else None


def same_stem(catalog: Catalog, text: str) -> str | None:
    """The catalog's district with this name's stem under another suffix (蓬莱市 → 蓬莱区 after
    a change of status, 芝罘 → 芝罘区)."""
    stem = text.rstrip("区县市旗州")
    for unit in catalog.reporting_units.all:
        if len(stem) >= 2 and unit.rstrip("区县市旗州") == stem:
            return unit
    return None


def nearest_district(catalog: Catalog, text: str) -> str | None:
    """The catalog's district a name most likely means: the same stem, else the closest
    spelling (a suggestion only: sharing one character of two is not enough)."""
    units = list(catalog.reporting_units.all)
    close = difflib.get_close_matches(text, units, n=1, cutoff=0.6)
    return same_stem(catalog, text) or (close[0] if close else None)


def _year_and_marker(value: object) -> tuple[int | None, str | None]:
    """A year only where the cell is a year heading ("2023年", "2025年目标", a bare 2023), never
    a long text or a value that happens to be a number in the years' range."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int | float):
        number = float(value)
        if number.is_integer() and 1990 <= number <= 2100:
            return int(number), None
        return None, None
    text = fold_text(cell_text(value))
    if not text or len(text) > 12:
        return None, None
    match = YEAR_RE.search(text)
    if not match or re.sub(
        r"(19|20)\d{2}|年|度|目标|规划|基期|基数|实际|预期|值|数|\(|\)", "", text
    ):
        return None, None
    marker = None
    if any(word in text for word in TARGET_MARKERS):
        marker = "target"
    elif any(word in text for word in BASELINE_MARKERS):
        marker = "baseline"
    return int(match.group(1)), marker


def _is_total(value: object) -> bool:
    text = fold_text(cell_text(value))
    return text in TOTAL_WORDS or text.endswith("合计")


def find_compiled(rows: list[list], catalog: Catalog) -> Compiled | None:
    """The first compiled layout a header row of the first rows shows, if any."""
    for index, cells in enumerate(rows):
        found = _summary(rows, index, cells, catalog) or _indicator_columns(
            rows, index, cells, catalog
        )
        if found is not None:
            return found
    return None


def _summary(rows, index: int, cells: list, catalog: Catalog) -> Compiled | None:
    """Districts as columns: a row holding two or more of the catalog's districts and an
    indicator column; maybe a row of years just above or below (two-row header)."""
    districts = {
        col: unit for col, value in enumerate(cells) if (unit := exact_district(catalog, value))
    }
    if len(districts) < 2:
        return None
    name = next(
        (
            col
            for col, value in enumerate(cells)
            if col not in districts and any(w in fold_text(cell_text(value)) for w in NAME_WORDS)
        ),
        None,
    )
    if name is None:
        return None
    found = Compiled("summary", header_row=index, header_rows=(index,), name=name)
    for col, value in enumerate(cells):
        text = fold_text(cell_text(value))
        if col in districts or col == name or not text:
            continue
        if text in ("单位", "计量单位", "指标单位"):
            found.unit = col
        elif text.startswith(("备注", "说明")):
            found.note = col
        elif _is_total(text):
            found.totals[col] = None
        elif text in KNOWN_HEADERS or "属性" in text:
            continue
        elif (
            col > name
            and (PLACE_RE.match(text) or same_stem(catalog, text))
            and not _year_and_marker(text)[0]
        ):
            found.unknown.append((index, col, text))  # a name the catalog does not have
    years_row = _years_row(rows, index, cells, districts, found)
    if years_row is None:
        for col, unit in districts.items():
            found.columns[col] = (unit, None, None)
        return found
    # two header rows: each district (or year) heads the columns up to the next one
    row_of_years, years_by_col = years_row
    found.header_rows = tuple(sorted((index, row_of_years)))
    found.header_row = max(index, row_of_years)
    above = row_of_years < index
    current: str | None = None
    current_year: tuple[int | None, str | None] = (None, None)
    last = max([*years_by_col, *districts]) if years_by_col else -1
    for col in range(name + 1, last + 1):
        if above:  # years over districts
            if col in years_by_col:
                current_year = years_by_col[col]
            if col in districts and current_year[0] is not None:
                found.columns[col] = (districts[col], *current_year)
        else:  # districts over years
            if col in districts:
                current = districts[col]
            elif cell_text(cells[col] if col < len(cells) else None).strip():
                current = None  # another heading (合计, an unknown name) ends the run
            if current is not None and col in years_by_col:
                found.columns[col] = (current, *years_by_col[col])
    for col in list(found.totals):
        if col in years_by_col:
            found.totals[col] = years_by_col[col][0]
    return found if found.columns else None


def _years_row(rows, index, cells, districts, found) -> tuple[int, dict] | None:
    """A row of year headings right above or below the districts' row, under their columns."""
    for other in (index + 1, index - 1):
        if other < 0 or other >= len(rows):
            continue
        years = {}
        for col, value in enumerate(rows[other]):
            year, marker = _year_and_marker(value)
            if year is not None:
                years[col] = (year, marker)
        if len(years) >= 2 and min(years) > (found.name or 0):
            return other, years
    return None


def _indicator_columns(rows, index: int, cells: list, catalog: Catalog) -> Compiled | None:
    """Indicators as columns: a row naming two or more of the catalog's indicators, with the
    rows below keyed by district (one year) or by year (one district)."""
    indicators, labels = {}, {}
    for col, value in enumerate(cells):
        if isinstance(value, str) and (found := match_indicator(catalog, value)) is not None:
            indicators[col], labels[col] = found.code, value
    if len(indicators) < 2:
        return None
    below = rows[index + 1 : index + 12]
    for key in range(min(indicators)):
        keys = [row[key] if key < len(row) else None for row in below]
        keys = [k for k in keys if cell_text(k).strip()]
        if not keys:
            continue
        if sum(1 for k in keys if _year_and_marker(k)[0] is not None) >= max(1, len(keys) // 2):
            return Compiled(
                "year_rows", header_row=index, header_rows=(index,), key=key,
                indicators=indicators, labels=labels,
            )  # fmt: skip
        named = sum(
            1 for k in keys if exact_district(catalog, k) or PLACE_RE.match(fold_text(cell_text(k)))
        )
        if named >= max(1, len(keys) // 2):
            return Compiled(
                "district_rows", header_row=index, header_rows=(index,), key=key,
                indicators=indicators, labels=labels,
            )  # fmt: skip
    return None


def unknown_district(
    sheet: str, row: int, col: int | None, text: str, catalog: Catalog, kept: bool = False
):
    """district.unknown at the cell naming a district the catalog does not have, with the
    nearest of its own; `kept`: its rows are still checked (a long file), else not read."""
    from submissions.finding import READING_CODES, a1

    cell = a1(row, col) if col is not None else None
    nearest = nearest_district(catalog, text)
    hint = f"（是不是“{nearest}”？）" if nearest else ""
    return READING_CODES["district.unknown"].finding(
        sheet=sheet,
        cell=cell,
        value=text,
        expected=nearest or "、".join(catalog.reporting_units.all),
        message=(
            f"工作表“{sheet}”{cell or ''}：“{text}”不是{catalog.jurisdiction}的报送单位{hint}"
            + (
                "；这些行照常检查数值，但不要求它填报全部指标"
                if kept
                else "；这一列（行）的数值没有读取"
            )
        ),
    )


def read_compiled(sheet, rows, compiled: Compiled, catalog: Catalog, out, findings: list) -> None:
    """Every value cell of a compiled sheet as a record (district, year, indicator), like a
    district's own sheet gives; a 合计 column or row checked against its districts' sum."""
    from submissions.reading.layout import is_note_row

    for row, col, text in compiled.unknown:
        findings.append(unknown_district(sheet.name, row, col, text, catalog))
    totals: list[tuple] = []  # (row, col, code, 合计 value, [its districts' values] | None)
    by_column: dict[int, list] = {}  # district_rows: each indicator column's district values
    for index, cells in rows:
        if index <= compiled.header_row or not cells:
            continue
        if not any(v not in ("", None) for v in cells) or is_note_row(cells):
            continue
        if compiled.kind == "summary":
            _summary_row(sheet, index, cells, compiled, catalog, out, totals)
        else:
            _keyed_row(sheet, index, cells, compiled, catalog, out, totals, findings, by_column)
    totals = [
        (row, col, code, total, by_column.get(col, []) if parts is None else parts)
        for row, col, code, total, parts in totals
    ]
    findings.extend(_total_findings(sheet.name, totals, catalog))


def _summary_row(sheet, index, cells, compiled: Compiled, catalog, out, totals) -> None:
    values = {col: cell_at(cells, col) for col in compiled.columns}
    heading = row_heading(cells, compiled.name, compiled.unit, values, catalog)
    if heading is None:
        return
    label, indicator, unit, unit_col = heading
    note = cell_text(cell_at(cells, compiled.note)).strip() or None
    code = indicator.code if indicator else None
    for col, (district, year, marker) in compiled.columns.items():
        out.add(sheet.name, index, col, label, compiled.name, code, district, year, marker,
                values[col], unit, unit_col, note=note)  # fmt: skip
    for col, year in compiled.totals.items():
        parts = [values[c] for c, (_d, y, m) in compiled.columns.items() if y == year and not m]
        totals.append((index, col, code, cell_at(cells, col), parts))


def _keyed_row(
    sheet, index, cells, compiled: Compiled, catalog, out, totals, findings, by_column
) -> None:
    """A row of a sheet with indicators as columns: named by its district or its year."""
    key = cell_at(cells, compiled.key)
    text = fold_text(cell_text(key))
    if not text:
        return
    district, year, marker = None, None, None
    if compiled.kind == "district_rows":
        district = exact_district(catalog, key)
        if district is None:
            if _is_total(text):
                for col, code in compiled.indicators.items():
                    totals.append((index, col, code, cell_at(cells, col), None))
            elif PLACE_RE.match(text) or same_stem(catalog, text):
                findings.append(unknown_district(sheet.name, index, compiled.key, text, catalog))
            return
    else:
        year, marker = _year_and_marker(key)
        if year is None:
            return
    for col, code in compiled.indicators.items():
        label = compiled.labels.get(col, "")
        unit = unit_from_label(label)
        out.add(sheet.name, index, col, catalog.indicator(code).name, None, code, district,
                year, marker, cell_at(cells, col), unit, None)  # fmt: skip
        by_column.setdefault(col, []).append(cell_at(cells, col))


def _number(raw) -> float | None:
    from indicators.notation import parse

    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    reading = parse(str(raw))
    return reading.value if reading.ok else None


def _total_findings(sheet: str, totals: list, catalog: Catalog) -> list:
    """A 合计 (全市) cell of an additive count that is not its districts' sum: `aggregate` at
    the 合计 cell. Indicators that do not add up (rates) and incomplete rows are not judged."""
    from submissions.finding import READING_CODES, Finding, a1, severity_for

    found = []
    for row, col, code, total, parts in totals:
        if code is None or parts is None:
            continue
        indicator = catalog.indicator(code)
        if not indicator.sums_across_districts:
            continue
        stated = _number(total)
        numbers = [_number(p) for p in parts]
        if stated is None or not numbers or any(n is None for n in numbers):
            continue
        summed = sum(n for n in numbers if n is not None)
        if abs(summed - stated) <= max(0.5, abs(summed) * 1e-6):
            continue
        cell = a1(row, col)
        shown = f"{summed:,.10g}".replace(",", "")
        found.append(
            Finding(
                rule=READING_CODES["summary.total"].code,
                category="aggregate",
                severity=severity_for("aggregate", indicator.binding),
                message=(
                    f"工作表“{sheet}”{cell}：{indicator.name} 的合计 {cell_text(total)} "
                    f"不等于各区县之和 {shown}"
                ),
                sheet=sheet,
                cell=cell,
                indicator=code,
                indicator_name=indicator.name,
                value=cell_text(total),
                expected=f"各区县之和 {shown}",
            )
        )
    return found
