"""Collecting a submission's value cells with their positions: what a reading child does.

This runs next to the untrusted parsers (see submissions.reading.isolation) and stays light: pandas
is imported only for a long sheet, whose columns are worked on as arrays. The tidy table is
built from the collected cells by submissions.reading.tidy, in the process that validates."""

from __future__ import annotations

import gc
import hashlib
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from indicators import Catalog, format_number
from submissions.finding import READING_CODES, CannotContinue, Finding, a1, column_letters
from submissions.reading.compiled import find_compiled, read_compiled, unknown_district
from submissions.reading.layout import (
    DISTRICT_LABELS,
    YEAR_LABELS,
    YEAR_RE,
    Columns,
    cell_at,
    cell_text,
    classify_header,
    could_be_header,
    find_header,
    head_rows,
    header_fields,
    is_note_row,
    match_indicator,
    row_heading,
)
from submissions.reading.limits import Limits
from submissions.reading.opening import Opened, OpenedFile, Readahead, Sheet, digest_of
from submissions.reading.sheet_xml import percent_styles, styled_cells
from submissions.reading.submission import Submission

if TYPE_CHECKING:
    import numpy as np

REPORTING_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:度|填报|报送|报表|统计)")

LOG = logging.getLogger("validate.reading")


@dataclass
class Collected:
    """Cells of many files: wide sheets fill the lists row by row, long sheets add whole
    column chunks (arrays and categoricals); both become one DataFrame at the end."""

    sheet: list = field(default_factory=list)
    row: list = field(default_factory=list)
    col: list = field(default_factory=list)
    label: list = field(default_factory=list)
    label_col: list = field(default_factory=list)
    indicator: list = field(default_factory=list)
    district: list = field(default_factory=list)
    year: list = field(default_factory=list)
    marker: list = field(default_factory=list)
    raw: list = field(default_factory=list)
    unit_written: list = field(default_factory=list)
    unit_col: list = field(default_factory=list)
    attribute_written: list = field(default_factory=list)
    attribute_col: list = field(default_factory=list)
    note: list = field(default_factory=list)
    file: list = field(default_factory=list)
    reporting_year: list = field(default_factory=list)
    chunks: list[dict] = field(default_factory=list)

    def add(
        self, sheet: str, row: int, col: int, label: str, label_col: int | None,
        indicator: str | None, district: str | None, year: int | None, marker: str | None,
        raw: object, unit: str | None, unit_col: int | None, attribute: str | None = None,
        attribute_col: int | None = None, note: str | None = None,
    ) -> None:  # fmt: skip
        """One value cell of a sheet read row by row (wide, compiled)."""
        self.sheet.append(sheet)
        self.row.append(row)
        self.col.append(col)
        self.label.append(label)
        self.label_col.append(label_col)
        self.indicator.append(indicator)
        self.district.append(district)
        self.year.append(year)
        self.marker.append(marker)
        self.raw.append(raw)
        self.unit_written.append(unit)
        self.unit_col.append(unit_col)
        self.attribute_written.append(attribute)
        self.attribute_col.append(attribute_col)
        self.note.append(note)

    def extend(self, other: Collected) -> None:
        for name, values in vars(other).items():
            getattr(self, name).extend(values)

    def __len__(self) -> int:
        return len(self.row) + sum(len(chunk["row"]) for chunk in self.chunks)

    def named_districts(self) -> set[str]:
        named = {d for d in self.district if d}
        for chunk in self.chunks:
            import numpy as np

            district = chunk["district"]
            categories = list(district.categories)
            used = np.unique(district.codes[district.codes >= 0]).tolist()
            named |= {categories[code] for code in used if categories[code]}
        return named

    def sheets_with_districts(self) -> set[str]:
        sheets = {sheet for sheet, d in zip(self.sheet, self.district, strict=True) if d}
        sheets |= {c["sheet_name"] for c in self.chunks if (c["district"].codes >= 0).any()}
        return sheets

    def fill_districts(self, by_sheet: dict[str, str | None]) -> None:
        """Rows without a district of their own take their sheet's."""
        for i, sheet in enumerate(self.sheet):
            if self.district[i] is None:
                self.district[i] = by_sheet.get(sheet)
        for chunk in self.chunks:
            fallback = by_sheet.get(chunk["sheet_name"])
            district = chunk["district"]
            if fallback is not None and (district.codes < 0).any():
                from submissions.codes import categorical

                per_code = [*district.categories, fallback]  # code -1 → the sheet's district
                chunk["district"] = categorical(district.codes, per_code)

    def fill_years(self, by_sheet: dict[str, int | None]) -> None:
        """Records of a compiled sheet without a year of their own take their sheet's."""
        for i, sheet in enumerate(self.sheet):
            if self.year[i] is None:
                self.year[i] = by_sheet.get(sheet)

    def tag(self, file: str, reporting_year: int | None) -> None:
        count = len(self.row)
        self.file.extend([file] * count)
        self.reporting_year.extend([reporting_year] * count)
        for chunk in self.chunks:
            import numpy as np

            from submissions.codes import constant

            size = len(chunk["row"])
            chunk["file"] = constant(file, size)
            year = np.nan if reporting_year is None else reporting_year
            chunk["reporting_year"] = np.full(size, year, dtype="float64")


@dataclass
class _SheetFacts:
    district: str | None = None
    district_cell: str | None = None
    year: int | None = None


def read_here(
    items: list[tuple[Path, str, str | None]],
    catalog: Catalog,
    options,
    readahead: Readahead | None = None,
    tick=None,
) -> tuple[list[Submission], Collected]:
    """Read in this process (a reading child): the submissions, their tables not yet built,
    and the cells of all of them; submissions.reading.tidy.unpack makes the tidy table of those."""
    readahead = readahead or Readahead([path for path, _, _ in items], limits=options.limits)
    collected = Collected()
    submissions: list[Submission] = []
    for position, (path, shown, fallback) in enumerate(items):
        if tick:
            tick(position)
        opened = readahead.take(position)
        submission = _read_cells(
            path, opened, shown, catalog, collected, options.year, fallback, options.limits
        )
        submissions.append(submission)
    if tick:
        tick(len(items))
    return submissions, collected


def _read_cells(
    path: Path,
    file: Opened,
    name: str,
    catalog: Catalog,
    collected: Collected,
    year: int | None,
    district: str | None,
    limits: Limits,
) -> Submission:
    if file.content is None:
        digest = digest_of(path, limits)
        if isinstance(file.error, CannotContinue):
            return unreadable(name, None, str(file.error), digest)
        if isinstance(file.error, MemoryError):
            return unreadable(name, None, "文件过大，内存不足，无法读取", digest)
        reason = getattr(file.error, "strerror", None) or file.error or type(file.error).__name__
        return unreadable(name, None, f"无法打开文件：{reason}", digest)
    content = file.content
    known = (hashlib.sha256(content).hexdigest(), len(content))
    mine = Collected()
    try:
        if file.error is not None:
            raise file.error
        opened = file.workbook
        if opened is None:
            raise CannotContinue("文件无法打开")
        facts: dict[str, _SheetFacts] = {}
        findings: list[Finding] = []
        layouts = set()
        unmapped: list[tuple[str, str, str]] = []  # sheets that looked like a table, and why not
        content_seen = False
        for sheet in opened.sheets:
            layout, has_content = _read_sheet(sheet, catalog, mine, facts, findings, unmapped)
            content_seen = content_seen or has_content
            if layout:
                layouts.add(layout)
        if not content_seen:
            raise CannotContinue("工作簿是空的：所有工作表都没有内容")
        _formulas_and_errors(opened, mine)
        _percent_formatted(opened, mine, catalog)
    except CannotContinue as exc:
        return unreadable(name, content, str(exc), known, exc.detail)
    except MemoryError:
        return unreadable(name, content, "文件过大，内存不足，无法读取", known)
    except RecursionError:
        return unreadable(name, content, "文件结构嵌套过深，无法读取", known)

    if not layouts:
        seen = unmapped[0] if unmapped else None
        finding = READING_CODES["table.not_found"].finding(
            file=name,
            sheet=seen[0] if seen else None,
            cell=seen[1] if seen else None,
            message="没有找到指标表："
            + (seen[2] if seen else "工作表里没有像表头的行")
            + "。"
            + LAYOUTS_READ,
            expected="宽表表头：序号 | 指标 | 单位 | 2021年 … | 指标属性 | 备注",
        )
        return Submission(name, *known, None, [finding], kind=opened.kind)

    submission = Submission(
        file=name,
        sha256=known[0],
        size=known[1],
        table=None,
        findings=findings,
        kind=opened.kind,
        layout="long" if layouts == {"long"} else "wide",
    )
    _settle_district_and_year(submission, path, catalog, mine, facts, year, district)
    mine.tag(name, submission.year)
    collected.extend(mine)
    return submission


def unreadable(
    name: str,
    content: bytes | None,
    reason: str,
    known: tuple[str, int] | None = None,
    detail: str | None = None,
) -> Submission:
    """`known`: (SHA-256, size) when the bytes are not at hand (never read, or read by a child
    that died). `detail`: what a library said, kept apart from the Chinese reason."""
    finding = READING_CODES["file.unreadable"].finding(
        file=name,
        message=f"无法读取文件：{reason}",
        expected="可以打开的 .xlsx、.xls 或 CSV 文件",
        detail=detail,
    )
    if detail:
        LOG.info("%s 无法读取：%s（%s）", name, reason, detail)
    if known is None:
        content = content or b""
        known = (hashlib.sha256(content).hexdigest(), len(content))
    return Submission(
        file=name,
        sha256=known[0],
        size=known[1],
        table=None,
        findings=[finding],
        unreadable=True,
    )


def _blank_in_chunk(chunk: dict) -> list[int]:
    import pandas as pd

    return [int(i) for i in (pd.isna(chunk["raw"])).nonzero()[0].tolist()]


def _formulas_and_errors(opened: OpenedFile, collected: Collected) -> None:
    """Cells calamine read as blank that hold a formula without a stored result or an error
    value get what they hold ("=SUM(C5:C9)", "#DIV/0!"), so that they are not called blank."""
    if opened.kind not in ("xlsx", "xls"):
        return
    blank: dict[str, set[tuple[int, int]]] = {}
    for i, raw in enumerate(collected.raw):
        if raw is None:
            blank.setdefault(collected.sheet[i], set()).add((collected.row[i], collected.col[i]))
    in_chunks = [_blank_in_chunk(chunk) for chunk in collected.chunks]
    for chunk, where in zip(collected.chunks, in_chunks, strict=True):
        col = int(chunk["col"][0]) if len(chunk["col"]) else 0
        blank.setdefault(chunk["sheet_name"], set()).update(
            (int(chunk["row"][i]), col) for i in where
        )
    blank = {sheet: places for sheet, places in blank.items() if places}
    if not blank:
        return
    found = {sheet: opened.special_cells(sheet, places) for sheet, places in blank.items()}
    if not any(found.values()):
        return
    for i, raw in enumerate(collected.raw):
        if raw is None:
            value = found.get(collected.sheet[i], {}).get((collected.row[i], collected.col[i]))
            if value is not None:
                collected.raw[i] = value
    for chunk, where in zip(collected.chunks, in_chunks, strict=True):
        special = found.get(chunk["sheet_name"])
        if special:
            col = int(chunk["col"][0])
            for i in where:
                value = special.get((int(chunk["row"][i]), col))
                if value is not None:
                    chunk["raw"][i] = value


def _percent_formatted(opened: OpenedFile, collected: Collected, catalog: Catalog) -> None:
    """A cell formatted as 0% shows 62% but stores 0.62: read it as the 62 the district sees.

    Decided from the workbook's own styles, only where there is a suspect cell (a percent
    indicator's number in (0, 1.5]): which cell styles show a percent (styles.xml), then, only
    if some do, the style of each suspect cell (a percent indicator's number in
    (0, 1.5]) from its sheet's XML, streamed. No second reading of the workbook: that cost
    34 s and 760 MB on a 375,000-row file, and was skipped above 20 MB, so the answer
    depended on the file's size."""
    if opened.kind != "xlsx" or opened.facts is None or opened.content is None:
        return
    percent_codes = {i.code for i in catalog.indicators if i.kind == "percent"}
    if not percent_codes:
        return
    suspects: dict[str, dict[tuple[int, int], list[tuple[list, int]]]] = {}
    for i, code in enumerate(collected.indicator):
        if code in percent_codes and _fraction(collected.raw[i]):
            place = (collected.row[i], collected.col[i])
            suspects.setdefault(collected.sheet[i], {}).setdefault(place, []).append(
                (collected.raw, i)
            )
    for chunk in collected.chunks:
        import numpy as np
        import pandas as pd

        indicator = chunk["indicator"]
        wanted = [n for n, code in enumerate(indicator.categories) if code in percent_codes]
        positions = np.flatnonzero(np.isin(indicator.codes, wanted)) if wanted else np.array([])
        if not len(positions):
            continue
        # judged once per distinct content, not per row (a long sheet has 100,000s)
        codes, uniques = pd.factorize(chunk["raw"][positions], use_na_sentinel=True)
        fraction = np.array([_fraction(value) for value in uniques] + [False], dtype=bool)
        col = int(chunk["col"][0])
        by_place = suspects.setdefault(chunk["sheet_name"], {})
        for i in positions[fraction[codes]].tolist():
            by_place.setdefault((int(chunk["row"][i]), col), []).append((chunk["raw"], i))
    if not any(suspects.values()):
        return  # no percent typed as a fraction: the styles need not be read (a millisecond)
    styles = percent_styles(opened.content, opened.facts.styles)
    if not styles:
        return  # no style shows a percent: nothing to look up
    for sheet, by_place in suspects.items():
        part = opened.facts.parts.get(sheet)
        if part is None:
            continue
        for place in styled_cells(opened.content, part, styles, set(by_place)):
            for values, i in by_place[place]:
                values[i] = f"{format_number(round(float(values[i]) * 100, 10))}%"


def _fraction(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1.5


LAYOUTS_READ = (
    "能读的表：一个区县的宽表（指标 | 单位 | 2021年 … 各年度列）、"
    "长表（区县 | 年份 | 指标 | 数值）、"
    "汇总表（指标 × 各区县列，可有合计列或两行表头）、各区县为行（区县 | 各指标）、"
    "一个区县的各年为行（年份 | 各指标）"
)


def _unmapped(name: str, rows: list[list]) -> tuple[str, str, str] | None:
    """(sheet, cell, what was found) for the first row that looks like a header but maps to no
    layout: said instead of guessing what the columns are."""
    for index, cells in enumerate(rows):
        texts = [(col, cell_text(v).strip()) for col, v in enumerate(cells) if cell_text(v).strip()]
        if len(texts) < 2 or not any(isinstance(v, str) for v in cells):
            continue
        if not (could_be_header(cells) or sum(isinstance(v, str) for v in cells) >= 3):
            continue
        listed = "、".join(f"{column_letters(col)}“{text[:12]}”" for col, text in texts[:8])
        more = " 等" if len(texts) > 8 else ""
        return (
            name,
            a1(index, texts[0][0]),
            f"工作表“{name}”第 {index + 1} 行像表头（{listed}{more}），但其中没有年份列"
            "（如“2023年”）、没有“区县、年份、指标、数值”四列，也没有两个以上的本指标体系的"
            "区县名称或指标名称",
        )
    return None


def _read_sheet(
    sheet: Sheet,
    catalog: Catalog,
    out: Collected,
    facts: dict[str, _SheetFacts],
    findings: list[Finding],
    unmapped: list | None = None,
) -> tuple[str | None, bool]:
    head = head_rows(sheet)
    has_content = any(v not in ("", None) for cells in head for v in cells)
    columns = find_header(head, catalog, year_rows=False)
    if columns is None:
        compiled = find_compiled(head, catalog)
        if compiled is not None:
            first = min(compiled.header_rows)
            fields, free_text = header_fields(head, first)
            # a sheet of several districts names none in its title; one district's years do
            several = compiled.kind != "year_rows"
            fact = _facts_from_header(fields, free_text, catalog, sheet.name, compiled=several)
            facts[sheet.name] = fact
            read_compiled(sheet, _all_rows(sheet, head), compiled, catalog, out, findings)
            return compiled.layout, True
        columns = find_header(head, catalog)
    if columns is None:
        if unmapped is not None and (said := _unmapped(sheet.name, head)):
            unmapped.append(said)
        return None, has_content
    fields, free_text = header_fields(head, columns.header_row)
    facts[sheet.name] = _facts_from_header(fields, free_text, catalog, sheet.name)
    if columns.layout == "long":
        _read_long(sheet, head, columns, catalog, out, findings)
    else:
        _read_wide(sheet, head, columns, catalog, out)
    return columns.layout, True


def _all_rows(sheet: Sheet, head: list[list]):
    yield from enumerate(head)
    index = len(head)
    pad = [None] * sheet.first_col
    for cells in sheet.rows:
        yield index, pad + list(cells) if pad else cells
        index += 1


def _read_wide(sheet: Sheet, head, columns: Columns, catalog: Catalog, out: Collected) -> None:
    for index, cells in _all_rows(sheet, head):
        if index <= columns.header_row or not cells:
            continue
        if not any(v not in ("", None) for v in cells) or is_note_row(cells):
            continue
        again = classify_header(cells, index) if could_be_header(cells) else None
        if again is not None and again.layout == "wide":
            columns = again  # a second table (e.g. 托育 below 养老) with its own header
            continue
        values = {col: cell_at(cells, col) for col in columns.years}
        heading = row_heading(cells, columns.name, columns.unit, values, catalog)
        if heading is None:
            continue
        label, indicator, unit_written, unit_col = heading
        attribute = cell_text(cell_at(cells, columns.attribute)).strip() or None
        note = cell_text(cell_at(cells, columns.note)).strip() or None
        row_district = cell_text(cell_at(cells, columns.district)).strip() or None
        code = indicator.code if indicator else None
        for col, (year, marker) in columns.years.items():
            out.add(sheet.name, index, col, label, columns.name, code, row_district, year,
                    marker, values[col], unit_written, unit_col, attribute,
                    columns.attribute if attribute else None, note)  # fmt: skip


@contextmanager
def _collector_paused():
    """A long sheet arrives as one list per row; every 700 new lists the cycle collector walks
    all tracked objects, for lists that can never be part of a cycle (0.2-0.3 s on 375,000
    rows). Paused while they exist, resumed after, also when reading fails."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_long(
    sheet: Sheet, head, columns: Columns, catalog: Catalog, out: Collected, findings: list
) -> None:
    with _collector_paused():
        _read_long_columns(sheet, head, columns, catalog, out, findings)


def _read_long_columns(
    sheet: Sheet, head, columns: Columns, catalog: Catalog, out: Collected, findings: list
) -> None:
    """Column at a time: a long sheet can hold hundreds of thousands of rows."""
    import numpy as np
    import pandas as pd

    from submissions.codes import categorical, constant

    if sheet.everything is not None:
        rows = sheet.everything()[columns.header_row + 1 :]
    else:
        pad = [None] * sheet.first_col
        rows = head[columns.header_row + 1 :]
        rows += [pad + list(r) for r in sheet.rows] if pad else list(sheet.rows)
    first_index = columns.header_row + 1
    count = len(rows)

    def column(col: int | None, rows: list[list] = rows) -> np.ndarray:
        if col is None:
            return np.full(count, None, dtype=object)
        try:
            values = list(map(itemgetter(col), rows))
        except IndexError:
            values = [r[col] if col < len(r) else None for r in rows]
        array = np.empty(count, dtype=object)
        array[:] = values
        return array

    labels, raws = column(columns.name), column(columns.value)
    districts, years = column(columns.district), column(columns.year)
    units, notes = column(columns.unit), column(columns.note)
    del rows, column  # the rows (and the default argument holding them) can go now

    # Each column is factorised once; everything about a cell is worked out per distinct value,
    # and the text columns of the chunk are categoricals over those few values.
    label_codes, label_uniques = _factorize(labels)
    texts_u = np.array([cell_text(v).strip() for v in label_uniques] + [""], dtype=object)
    notes_u = np.array([t.startswith(("注", "说明")) for t in texts_u], dtype=bool)
    codes_u = np.array([_code(catalog, t) for t in texts_u], dtype=object)
    raw_blank = (raws == "") | pd.isna(raws)
    label_blank = texts_u[label_codes] == ""
    district_codes, district_uniques = _factorize(districts)
    districts_u = [_stripped_or_none(v) for v in district_uniques] + [None]
    district_blank = np.array([d is None for d in districts_u])[district_codes]
    year_codes, year_uniques = _factorize(years)
    years_u = [_year_of(v) for v in year_uniques] + [(None, None)]
    keep = ~(label_blank & raw_blank & district_blank & (year_codes < 0))
    keep &= ~(notes_u[label_codes] & raw_blank)
    # a district that is not the catalog's: one finding at its first name cell; its rows are
    # still checked, but nobody asks it for every indicator (no "缺少指标")
    strangers = [d is not None and catalog.district(d) is None for d in districts_u[:-1]]
    if any(strangers):
        seen, first_at = np.unique(np.where(keep, district_codes, -1), return_index=True)
        first_of = dict(zip(seen.tolist(), first_at.tolist(), strict=True))
    for code in np.flatnonzero(np.array(strangers, dtype=bool)).tolist():
        if code not in first_of:
            continue  # only blank rows name it
        first = first_of[code]
        name = str(districts_u[code])
        findings.append(
            unknown_district(sheet.name, first + first_index, columns.district, name, catalog, True)
        )
    positions = np.flatnonzero(keep)
    label_codes, district_codes = label_codes[positions], district_codes[positions]
    year_codes = year_codes[positions]
    raws = raws[positions]
    raws[raw_blank[positions]] = None
    unit_codes, unit_uniques = _factorize(units[positions])
    units_u = [_stripped_or_none(v) for v in unit_uniques] + [None]
    note_codes, note_uniques = _factorize(notes[positions])
    notes_text_u = [_stripped_or_none(v) for v in note_uniques] + [None]

    size = len(positions)
    unit_given = np.array([u is not None for u in units_u])[unit_codes]
    no_column = np.full(size, -1, dtype=np.int64)
    out.chunks.append(
        {
            "sheet_name": sheet.name,
            "sheet": constant(sheet.name, size),
            "row": positions + first_index,
            "col": np.full(size, columns.value, dtype=np.int64),
            "label": categorical(label_codes, texts_u),
            "label_col": np.full(size, -1 if columns.name is None else columns.name, np.int64),
            "indicator": categorical(label_codes, codes_u),
            "district": categorical(district_codes, districts_u),
            "year": np.array([y for y, _ in years_u], dtype="float64")[year_codes],
            "marker": categorical(year_codes, [m for _, m in years_u]),
            "raw": raws,
            "unit_written": categorical(unit_codes, units_u),
            "unit_col": np.where(unit_given, columns.unit if columns.unit is not None else -1, -1),
            "attribute_written": constant(None, size),
            "attribute_col": no_column,
            "note": categorical(note_codes, notes_text_u),
        }
    )


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes with -1 for missing, as indexes into uniques + [missing] (so -1 picks the last)."""
    import pandas as pd

    return pd.factorize(values, use_na_sentinel=True)


def _code(catalog: Catalog, label: str) -> str | None:
    found = match_indicator(catalog, label) if label else None
    return found.code if found else None


def _stripped_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return cell_text(value).strip() or None


def _year_of(value: object) -> tuple[int | None, str | None]:
    text = cell_text(value)
    match = YEAR_RE.search(text)
    if not match:
        return None, None
    marker = "target" if "目标" in text else ("baseline" if "基期" in text else None)
    return int(match.group(1)), marker


def _facts_from_header(
    fields, free_text: str, catalog: Catalog, sheet_name: str, compiled: bool = False
) -> _SheetFacts:
    """The sheet's district and year from its header area. A compiled sheet (several
    districts) names no district in its title: only a "填报单位：" field or the sheet's name."""
    facts = _SheetFacts()
    for label, content, r, c in fields:
        if label in DISTRICT_LABELS and facts.district is None:
            facts.district = catalog.district(content) or content
            facts.district_cell = a1(r, c)
        elif label in YEAR_LABELS and facts.year is None:
            match = YEAR_RE.search(content)
            if match:
                facts.year = int(match.group(1))
    if facts.district is None:
        facts.district = (None if compiled else catalog.district(free_text)) or catalog.district(
            sheet_name
        )
    if facts.year is None:
        facts.year = year_named_in(free_text) or year_named_in(sheet_name)
    return facts


def year_named_in(text: str) -> int | None:
    """The one reporting year a header text or a file name names, if it names one."""
    explicit = REPORTING_YEAR_RE.findall(text)
    if len(set(explicit)) == 1:
        return int(explicit[0])
    if re.search(r"\d{4}\s*[-—–~至]\s*\d{4}", text):
        return None  # a plan period such as 2022-2025 is not a reporting year
    years = set(YEAR_RE.findall(text))
    return int(years.pop()) if len(years) == 1 else None


def _settle_district_and_year(
    submission: Submission,
    path: Path,
    catalog: Catalog,
    out: Collected,
    facts: dict[str, _SheetFacts],
    year_flag: int | None,
    district_flag: str | None,
) -> None:
    stem = path.stem
    file_district = catalog.district(stem)
    file_year = year_named_in(stem)
    sheet_district: dict[str, str | None] = {}
    sheet_year: dict[str, int | None] = {}
    for name, fact in facts.items():
        sheet_district[name] = fact.district or file_district or district_flag
        sheet_year[name] = fact.year or file_year or year_flag
        if fact.district and fact.district not in catalog.reporting_units.all:
            submission.findings.append(
                READING_CODES["district.unknown"].finding(
                    file=submission.file,
                    sheet=name,
                    cell=fact.district_cell,
                    value=fact.district,
                    expected="、".join(catalog.reporting_units.all),
                    message=(
                        f"工作表“{name}”{fact.district_cell or ''} 填报单位“{fact.district}”"
                        f"不在{catalog.jurisdiction}的报送单位名单中"
                    ),
                )
            )
    long_only = submission.layout == "long"
    districts = {d for d in sheet_district.values() if d}
    years = {y for y in sheet_year.values() if y}
    submission.district = districts.pop() if len(districts) == 1 else None
    submission.year = years.pop() if len(years) == 1 else None
    named = out.named_districts()
    if len(named) > 1:  # a long file or a compiled sheet: its rows' districts, not one
        submission.district = None
    elif long_only or submission.district is None:
        if len(named) == 1:
            submission.district = catalog.district(next(iter(named))) or next(iter(named))
    districts_in_rows = out.sheets_with_districts()
    for name in facts:
        if not long_only and sheet_district[name] is None and name not in districts_in_rows:
            submission.findings.append(
                _structure(
                    submission.file,
                    name,
                    "district.missing",
                    f"工作表“{name}”无法确定填报单位：表头没有“填报单位：××区”，文件名也不含区县名称",
                    "在表头写“填报单位：××区”，或在命令行用 --district 指定",
                )
            )
        if not long_only and sheet_year[name] is None:
            submission.findings.append(
                _structure(
                    submission.file,
                    name,
                    "year.missing",
                    f"工作表“{name}”无法确定填报年度：表头没有“填报年度：20××”，文件名也不含年份",
                    "在表头写“填报年度：2023”，或在命令行用 --year 指定",
                )
            )
    # Wide sheets carry their district in the header area; give every record its sheet's.
    out.fill_districts(sheet_district)
    out.fill_years(sheet_year)


def _structure(file: str, sheet: str, rule: str, message: str, expected: str) -> Finding:
    return READING_CODES[rule].finding(file=file, sheet=sheet, message=message, expected=expected)
