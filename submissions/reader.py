"""Reading one submitted file into the tidy table: one row per value cell, with its position."""

from __future__ import annotations

import gc
import hashlib
import operator
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from indicators import Catalog, format_number, parse
from indicators.units import unit_factor
from submissions.codes import (
    as_categorical,
    categorical,
    combinations,
    constant,
    index_in,
    join,
    present,
    recode,
)
from submissions.finding import CannotContinue, Finding, a1, column_letters, severity_for
from submissions.layout import (
    DISTRICT_LABELS,
    YEAR_LABELS,
    YEAR_RE,
    Columns,
    cell_text,
    classify_header,
    could_be_header,
    find_header,
    head_rows,
    header_fields,
    is_note_row,
    match_indicator,
    text_or_none,
    unit_from_label,
)
from submissions.workbook import Opened, Readahead, Sheet

# Columns of the tidy table, in order; documented in README ("The tidy table").
TIDY_COLUMNS = [
    "file", "district", "year", "role", "indicator", "label", "raw", "value", "sheet", "cell",
    "row", "col", "label_cell", "empty", "reason", "comparator", "high", "percent",
    "unit_written", "unit_cell", "cell_unit", "unit_ok", "unit_issue_cell", "attribute_written",
    "attribute_cell", "note", "header_marker",
]  # fmt: skip

REPORTING_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:度|填报|报送|报表|统计)")


@dataclass
class Submission:
    file: str
    sha256: str
    size: int
    table: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    kind: str | None = None
    layout: str | None = None
    district: str | None = None
    year: int | None = None
    unreadable: bool = False

    @property
    def districts(self) -> list[str]:
        if self.table.empty:
            return [self.district] if self.district else []
        return sorted(present(self.table["district"]))


# Text columns with few distinct values are Categoricals: comparing, grouping and factorising
# them works on small integer codes (on 375,000 rows `==` takes 20 ms on an object column and
# 0.1 ms on a categorical). `raw` and the cell addresses stay plain object columns.
TEXT_FIELDS = (
    "file", "sheet", "label", "indicator", "district", "marker", "unit_written",
    "attribute_written", "note",
)  # fmt: skip
NUMBER_FIELDS = ("row", "col", "label_col", "unit_col", "attribute_col")  # -1 for none
FLOAT_FIELDS = ("year", "reporting_year")  # NaN for none


@dataclass
class _Collected:
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

    def extend(self, other: _Collected) -> None:
        for name, values in vars(other).items():
            getattr(self, name).extend(values)

    def __len__(self) -> int:
        return len(self.row) + sum(len(chunk["row"]) for chunk in self.chunks)

    def named_districts(self) -> set[str]:
        named = {d for d in self.district if d}
        for chunk in self.chunks:
            named |= {d for d in present(pd.Series(chunk["district"])) if d}
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
                per_code = [*district.categories, fallback]  # code -1 → the sheet's district
                chunk["district"] = categorical(district.codes, per_code)

    def tag(self, file: str, reporting_year: int | None) -> None:
        count = len(self.row)
        self.file.extend([file] * count)
        self.reporting_year.extend([reporting_year] * count)
        for chunk in self.chunks:
            size = len(chunk["row"])
            chunk["file"] = constant(file, size)
            year = np.nan if reporting_year is None else reporting_year
            chunk["reporting_year"] = np.full(size, year, dtype="float64")

    def columns(self) -> dict:
        """Every field as one array (numbers) or categorical (text), lists and chunks joined."""
        parts = list(self.chunks)
        if self.row:
            parts.insert(0, self._lists_as_chunk())
        joined = {}
        for name in TEXT_FIELDS:
            joined[name] = join([as_categorical(part[name]) for part in parts])
        for name in (*NUMBER_FIELDS, *FLOAT_FIELDS, "raw"):
            joined[name] = np.concatenate([part[name] for part in parts])
        return joined

    def _lists_as_chunk(self) -> dict:
        chunk: dict = {name: getattr(self, name) for name in TEXT_FIELDS}
        for name in NUMBER_FIELDS:
            chunk[name] = np.array([-1 if v is None else v for v in getattr(self, name)], np.int64)
        for name in FLOAT_FIELDS:
            chunk[name] = np.array(getattr(self, name), dtype="float64")  # None → NaN
        raw = np.empty(len(self.raw), dtype=object)
        raw[:] = self.raw
        chunk["raw"] = raw
        return chunk


@dataclass
class _SheetFacts:
    district: str | None = None
    district_cell: str | None = None
    year: int | None = None


def read_submission(
    path: Path | str,
    catalog: Catalog,
    *,
    year: int | None = None,
    district: str | None = None,
    display_name: str | None = None,
) -> Submission:
    """Never raises for a bad file: an unreadable one comes back with a `file` finding."""
    return read_submissions(
        [path], catalog, year=year, district=district, display_names=[display_name]
    )[0]


def read_submissions(
    paths: list[Path | str],
    catalog: Catalog,
    *,
    year: int | None = None,
    district: str | None = None,
    display_names: list[str | None] | None = None,
    districts: list[str | None] | None = None,
    progress=None,
    readahead: Readahead | None = None,
) -> list[Submission]:
    """Read many files: cells are collected file by file, the tidy table is built once.

    Building a DataFrame costs about the same for 100 rows as for 100,000, so a batch of
    district files is turned into one table and then split, not one table per file.
    `readahead`, if the caller started one over the same paths, has been opening them already.
    """
    readahead = readahead or Readahead(paths)
    collected = _Collected()
    submissions: list[Submission] = []
    sources: dict[str, tuple[Path, str | None]] = {}
    for position, raw_path in enumerate(paths):
        path = Path(raw_path)
        shown = (display_names or [None] * len(paths))[position]
        fallback = districts[position] if districts is not None else district
        opened = readahead.take(position)
        submission, kind = _read_cells(
            path, opened, shown or str(path), catalog, collected, year, fallback
        )
        submissions.append(submission)
        sources[submission.file] = (path, kind)
        if progress:
            progress(path)
    table = _tidy(collected, catalog)
    if not table.empty:
        _percent_formatted(table, catalog, sources)
        by_file: dict[str, Submission] = {}
        for submission in submissions:
            by_file.setdefault(submission.file, submission)
        files = table["file"].cat.categories
        if len(files) == 1:  # one file (a big long workbook, say): no need to split a copy
            by_file[files[0]].table = table
        else:
            for file, part in table.groupby("file", sort=False, observed=True):
                by_file[file].table = part.reset_index(drop=True)
    return submissions


def _read_cells(
    path: Path,
    file: Opened,
    name: str,
    catalog: Catalog,
    collected: _Collected,
    year: int | None,
    district: str | None,
) -> tuple[Submission, str | None]:
    if file.content is None:
        if isinstance(file.error, MemoryError):
            return _unreadable(name, b"", "文件过大，内存不足，无法读取"), None
        reason = getattr(file.error, "strerror", None) or file.error or type(file.error).__name__
        return _unreadable(name, b"", f"无法打开文件：{reason}"), None
    content = file.content
    sha = hashlib.sha256(content).hexdigest()
    mine = _Collected()
    try:
        if file.error is not None:
            raise file.error
        opened = file.workbook
        facts: dict[str, _SheetFacts] = {}
        findings: list[Finding] = []
        layouts = set()
        content_seen = False
        for sheet in opened.sheets:
            layout, has_content = _read_sheet(sheet, catalog, mine, facts, findings)
            content_seen = content_seen or has_content
            if layout:
                layouts.add(layout)
        if not content_seen:
            raise CannotContinue("工作簿是空的：所有工作表都没有内容")
    except CannotContinue as exc:
        return _unreadable(name, content, str(exc), sha), None
    except MemoryError:
        return _unreadable(name, content, "文件过大，内存不足，无法读取", sha), None
    except RecursionError:
        return _unreadable(name, content, "文件结构嵌套过深，无法读取", sha), None

    if not layouts:
        finding = Finding(
            rule="table.not_found",
            category="structure",
            severity=severity_for("structure"),
            file=name,
            message=(
                "没有找到指标表：任何工作表都没有含“指标”列和年份列（如“2021年”）的表头行，"
                "也没有“区县、年份、指标、数值”四列的表头"
            ),
            expected="宽表表头：序号 | 指标 | 单位 | 2021年 … | 指标属性 | 备注",
        )
        return Submission(name, sha, len(content), EMPTY, [finding], kind=opened.kind), opened.kind

    submission = Submission(
        file=name,
        sha256=sha,
        size=len(content),
        table=EMPTY,
        findings=findings,
        kind=opened.kind,
        layout="long" if layouts == {"long"} else "wide",
    )
    _settle_district_and_year(submission, path, catalog, mine, facts, year, district)
    mine.tag(name, submission.year)
    collected.extend(mine)
    return submission, opened.kind


PERCENT_FORMAT_LIMIT = 20 * 1024 * 1024  # openpyxl is slow on big files; they are long layouts


def _percent_formatted(
    table: pd.DataFrame, catalog: Catalog, sources: dict[str, tuple[Path, str | None]]
) -> None:
    """A cell formatted as 0% shows 62% but stores 0.62: read it as the 62 the district sees.

    Only .xlsx files with a percent indicator between 0 and 1.5 are opened a second time."""
    percent_codes = [i.code for i in catalog.indicators if i.kind == "percent"]
    suspect = (
        table["indicator"].isin(percent_codes)
        & ~table["percent"]
        & (table["value"] > 0)
        & (table["value"] <= 1.5)
    )
    if not suspect.any():
        return
    for file in table.loc[suspect, "file"].unique():
        path, kind = sources[file]
        if kind == "xlsx" and path.stat().st_size <= PERCENT_FORMAT_LIMIT:
            _read_as_shown(table, table.index[suspect & (table["file"] == file)], path)


def _read_as_shown(table: pd.DataFrame, suspects: pd.Index, path: Path) -> None:
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception:  # the formats are a refinement; calamine has already read the values
        return
    for index in suspects:
        sheet, cell, value = (
            table.at[index, "sheet"],
            table.at[index, "cell"],
            table.at[index, "value"],
        )
        try:
            number_format = workbook[sheet][cell].number_format or ""
        except KeyError:
            continue
        if "%" in number_format:
            shown = round(value * 100, 10)
            table.loc[index, "value"] = shown
            table.loc[index, "percent"] = True
            table.loc[index, "raw"] = f"{format_number(shown)}%"


def _unreadable(name: str, content: bytes, reason: str, sha: str | None = None) -> Submission:
    finding = Finding(
        rule="file.unreadable",
        category="file",
        severity=severity_for("file"),
        file=name,
        message=f"无法读取文件：{reason}",
        expected="可以打开的 .xlsx、.xls 或 CSV 文件",
    )
    return Submission(
        file=name,
        sha256=sha or hashlib.sha256(content).hexdigest(),
        size=len(content),
        table=EMPTY,
        findings=[finding],
        unreadable=True,
    )


EMPTY = pd.DataFrame({column: pd.Series(dtype=object) for column in TIDY_COLUMNS})


def _read_sheet(
    sheet: Sheet,
    catalog: Catalog,
    out: _Collected,
    facts: dict[str, _SheetFacts],
    findings: list[Finding],
) -> tuple[str | None, bool]:
    head = head_rows(sheet)
    has_content = any(v not in ("", None) for cells in head for v in cells)
    columns = find_header(head, catalog)
    if columns is None:
        return None, has_content
    fields, free_text = header_fields(head, columns.header_row)
    facts[sheet.name] = _facts_from_header(fields, free_text, catalog, sheet.name)
    if columns.layout == "long":
        _read_long(sheet, head, columns, catalog, out)
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


def _get(cells: list, col: int | None):
    if col is None or col >= len(cells):
        return None
    value = cells[col]
    return None if value == "" else value


def _read_wide(sheet: Sheet, head, columns: Columns, catalog: Catalog, out: _Collected) -> None:
    for index, cells in _all_rows(sheet, head):
        if index <= columns.header_row:
            continue
        if not any(v not in ("", None) for v in cells) or is_note_row(cells):
            continue
        again = classify_header(cells, index) if could_be_header(cells) else None
        if again is not None and again.layout == "wide":
            columns = again  # a second table (e.g. 托育 below 养老) with its own header
            continue
        label = cell_text(_get(cells, columns.name)).strip()
        values = {col: _get(cells, col) for col in columns.years}
        if not label and all(v is None for v in values.values()):
            continue
        indicator = match_indicator(catalog, label) if label else None
        if indicator is None and all(v is None for v in values.values()):
            continue  # a section title such as "托育服务发展指标表"
        unit_written = cell_text(_get(cells, columns.unit)).strip() or None
        unit_col = columns.unit if unit_written else None
        if unit_written is None and (suffix := unit_from_label(label)):
            unit_written, unit_col = suffix, columns.name
        attribute = cell_text(_get(cells, columns.attribute)).strip() or None
        note = cell_text(_get(cells, columns.note)).strip() or None
        row_district = cell_text(_get(cells, columns.district)).strip() or None
        code = indicator.code if indicator else None
        for col, (year, marker) in columns.years.items():
            out.sheet.append(sheet.name)
            out.row.append(index)
            out.col.append(col)
            out.label.append(label)
            out.label_col.append(columns.name)
            out.indicator.append(code)
            out.district.append(row_district)
            out.year.append(year)
            out.marker.append(marker)
            out.raw.append(values[col])
            out.unit_written.append(unit_written)
            out.unit_col.append(unit_col)
            out.attribute_written.append(attribute)
            out.attribute_col.append(columns.attribute if attribute else None)
            out.note.append(note)


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


def _read_long(sheet: Sheet, head, columns: Columns, catalog: Catalog, out: _Collected) -> None:
    with _collector_paused():
        _read_long_columns(sheet, head, columns, catalog, out)


def _read_long_columns(
    sheet: Sheet, head, columns: Columns, catalog: Catalog, out: _Collected
) -> None:
    """Column at a time: a long sheet can hold hundreds of thousands of rows."""
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


def _facts_from_header(fields, free_text: str, catalog: Catalog, sheet_name: str) -> _SheetFacts:
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
        facts.district = catalog.district(free_text) or catalog.district(sheet_name)
    if facts.year is None:
        facts.year = _single_year(free_text) or _single_year(sheet_name)
    return facts


def _single_year(text: str) -> int | None:
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
    out: _Collected,
    facts: dict[str, _SheetFacts],
    year_flag: int | None,
    district_flag: str | None,
) -> None:
    stem = path.stem
    file_district = catalog.district(stem)
    file_year = _single_year(stem)
    sheet_district: dict[str, str | None] = {}
    sheet_year: dict[str, int | None] = {}
    for name, fact in facts.items():
        sheet_district[name] = fact.district or file_district or district_flag
        sheet_year[name] = fact.year or file_year or year_flag
        if fact.district and fact.district not in catalog.reporting_units.all:
            submission.findings.append(
                Finding(
                    rule="district.unknown",
                    category="structure",
                    severity=severity_for("structure"),
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
    if long_only or submission.district is None:
        named = out.named_districts()
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


def _structure(file: str, sheet: str, rule: str, message: str, expected: str) -> Finding:
    return Finding(
        rule=rule,
        category="structure",
        severity=severity_for("structure"),
        file=file,
        sheet=sheet,
        message=message,
        expected=expected,
    )


def _tidy(out: _Collected, catalog: Catalog) -> pd.DataFrame:
    if not len(out):
        return EMPTY
    fields = out.columns()
    index = pd.RangeIndex(len(fields["row"]))
    table = pd.DataFrame(
        {
            "file": fields["file"],
            "district": recode(fields["district"], lambda raw: catalog.district(raw) or raw),
            "sheet": fields["sheet"],
            "label": fields["label"],
            "indicator": fields["indicator"],
            "header_marker": fields["marker"],
            "unit_written": fields["unit_written"],
            "attribute_written": fields["attribute_written"],
            "note": fields["note"],
            "row": fields["row"],
            "col": fields["col"],
        },
        index=index,
    )
    _positions(table, fields)
    _roles(table, catalog, fields["year"], fields["reporting_year"])
    _values(table, fields["raw"], catalog)
    return table[TIDY_COLUMNS]


def _positions(table: pd.DataFrame, fields: dict) -> None:
    numbers = list(map(str, (fields["row"] + 1).tolist()))
    for name, cols in (
        ("cell", fields["col"]),
        ("label_cell", fields["label_col"]),
        ("unit_cell", fields["unit_col"]),
        ("attribute_cell", fields["attribute_col"]),
    ):
        table[name] = pd.Series(_addresses(cols, numbers), index=table.index, dtype=object)


def _addresses(cols: np.ndarray, numbers: list[str]) -> np.ndarray:
    """A1 addresses from column numbers (-1: none) and row numbers already as text."""
    result = np.full(len(numbers), None, dtype=object)
    if not len(cols):
        return result
    low, high = int(cols.min()), int(cols.max())
    if low == high:  # the usual case: one column for all
        if low >= 0:
            result[:] = list(map(operator.add, repeat(column_letters(low)), numbers))
        return result
    for col in (np.flatnonzero(np.bincount(cols + 1)) - 1).tolist():
        if col >= 0:
            where = np.flatnonzero(cols == col)
            letter = column_letters(col)
            result[where] = [letter + numbers[i] for i in where.tolist()]
    return result


def _roles(
    table: pd.DataFrame, catalog: Catalog, year: np.ndarray, reporting_year: np.ndarray
) -> None:
    """baseline / actual / target for each value, from the header marker and the years."""
    position = index_in(table["indicator"], [i.code for i in catalog.indicators])
    known = position >= 0
    position = np.maximum(position, 0)
    baseline_years = np.array(
        [i.baseline.year if i.baseline else np.nan for i in catalog.indicators] or [np.nan]
    )
    target_years = np.array([i.target.year for i in catalog.indicators] or [np.nan], dtype=float)
    baseline_year = np.where(known, baseline_years[position], np.nan)
    target_year = np.where(known, target_years[position], np.nan)
    has_report = ~np.isnan(reporting_year)
    role = np.zeros(len(table), dtype=np.int8)  # index into ROLES
    # With a reporting year: later years are targets, the catalog's base year is the baseline.
    role[has_report & (year > reporting_year)] = 2
    role[has_report & (year == baseline_year) & (year < reporting_year)] = 1
    # Without one (a long file of many years): the catalog's own target and base years decide.
    role[~has_report & (year == target_year)] = 2
    role[~has_report & (year == baseline_year)] = 1
    marker = table["header_marker"]
    role[(marker == "baseline").to_numpy()] = 1
    role[(marker == "target").to_numpy()] = 2
    table["role"] = pd.Categorical.from_codes(role, categories=ROLES)
    missing = np.isnan(year)
    table["year"] = pd.arrays.IntegerArray(np.where(missing, 0, year).astype(np.int64), missing)


ROLES = ["actual", "baseline", "target"]


def _cell_codes(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct cell contents, with TRUE/FALSE kept apart from 1/0.

    Hashing treats True as 1 and False as 0, so a TRUE cell would be read as the number 1;
    only the rows whose content compares equal to 0 or 1 are looked at one by one.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    ambiguous = [
        i for i, v in enumerate(uniques) if isinstance(v, bool | int | float) and v in (0, 1)
    ]
    if ambiguous:
        suspects = np.flatnonzero(np.isin(codes, ambiguous)).tolist()
        flags = [i for i in suspects if type(raw[i]) is bool]
        if flags:
            raw = raw.copy()
            raw[flags] = [str(raw[i]) for i in flags]
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    return codes, uniques


def _values(table: pd.DataFrame, raw: np.ndarray, catalog: Catalog) -> None:
    """Parse every value cell once per distinct content; convert to the catalog's unit."""
    codes, uniques = _cell_codes(raw)
    readings = [parse(value) for value in uniques] + [parse(None)]

    def take(field, dtype=object, convert=None):
        array = np.array(
            [convert(getattr(r, field)) if convert else getattr(r, field) for r in readings],
            dtype=dtype,
        )
        return array[codes]

    def text(field):
        return categorical(codes, [getattr(r, field) for r in readings])

    nan = lambda v: np.nan if v is None else v  # noqa: E731
    table["raw"] = pd.Series(take("text"), index=table.index, dtype=object)
    table["empty"] = take("empty", bool)
    table["reason"] = text("reason")
    table["comparator"] = text("comparator")
    table["percent"] = take("percent", bool)
    table["cell_unit"] = categorical(
        codes, [r.unit or ("‰" if r.per_mille else None) for r in readings]
    )
    value = take("value", "float64", nan)
    high = take("high", "float64", nan)
    own_multiplier = take("multiplier", bool, bool)

    # Unit conversion per distinct (indicator, written unit, unit in the cell).
    units = {i.code: i.unit for i in catalog.indicators}
    combo_codes, combo_uniques = combinations(
        table["indicator"], table["unit_written"], table["cell_unit"]
    )
    factors = np.ones(len(combo_uniques))
    ok = np.ones(len(combo_uniques), dtype=bool)
    culprit_is_value = np.zeros(len(combo_uniques), dtype=bool)
    for i, (code, written, cell_unit) in enumerate(combo_uniques):
        code, written, cell_unit = map(text_or_none, (code, written, cell_unit))
        if code is None or (written is None and cell_unit is None):
            continue
        sheet_factor = unit_factor(written, units[code])
        cell_factor = unit_factor(cell_unit, units[code])
        if sheet_factor is None or cell_factor is None:
            ok[i] = False
            culprit_is_value[i] = cell_factor is None
        else:
            factors[i] = sheet_factor
    factor = np.where(own_multiplier, 1.0, factors[combo_codes])
    unit_ok = ok[combo_codes]
    issue_cell = np.full(len(table), None, dtype=object)
    wrong = np.flatnonzero(~unit_ok)
    if len(wrong):
        from_value = culprit_is_value[combo_codes[wrong]]
        issue_cell[wrong] = np.where(
            from_value,
            table["cell"].to_numpy(object)[wrong],
            table["unit_cell"].to_numpy(object)[wrong],
        )
    table["value"] = value * factor
    table["high"] = high * factor
    table["unit_ok"] = unit_ok
    table["unit_issue_cell"] = pd.Series(issue_cell, index=table.index, dtype=object)
