"""Annotated copies of the districts' own workbooks: problem cells filled and commented."""

from __future__ import annotations

import csv
import io
import logging
import warnings
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from submissions import SEVERITY_LABELS
from submissions.finding import SEVERITY_RANK
from submissions.output import replaced_path
from submissions.paper import (
    LINE_HEIGHT,
    PORTRAIT_COLUMNS,
    PrintedTable,
    has_own_printing,
    set_up_printing,
    used_extent,
    wrapped_lines,
    write_wrapped,
)
from submissions.reading.isolation import Failure, Job, Pool, shared_pool
from submissions.reading.layout import HEADER_SCAN_ROWS, classify_header
from submissions.reading.opening import csv_delimiter, decode_text
from submissions.reading.screening import unlock

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome, Result

LOG = logging.getLogger("validate.annotate")

FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
FINDINGS_SHEET = "校验问题"
COMMENT_AUTHOR = "填报校验"


def annotated_name(position: int, result: Result) -> str:
    """A safe name: the uploaded name is never used as a path."""
    stem = "".join(ch for ch in Path(result.submission.file).stem if ch.isalnum() or ch in "-_")
    return f"{position + 1:04d}-{stem[:40] or 'submission'}-已标注.xlsx"


def write_annotated(
    outcome: Outcome, folder: Path, sources: dict[str, Path], pool: Pool | None = None
) -> list[Path]:
    """One annotated .xlsx per readable submission; `sources` maps result file → its path.

    openpyxl opens the district's own workbook to copy it: that happens in a reading child
    (see submissions.reading.isolation), within the same limits as reading. A copy that cannot be
    made is logged and the others are written."""
    jobs, targets = [], []
    for position, result in enumerate(outcome.results):
        source = sources.get(result.submission.file)
        if source is None or result.submission.unreadable:
            continue
        target = folder / annotated_name(position, result)
        jobs.append(Job(annotate_copy, annotation_job(result, source, target)))
        targets.append((result.submission.file, target))
    if not jobs:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (file, target), outcome_of_job in zip(
        targets, (pool or shared_pool()).run(jobs), strict=True
    ):
        if isinstance(outcome_of_job, Failure):
            LOG.warning("无法为 %s 写出标注副本：%s", file, outcome_of_job.reason)
        else:
            written.append(target)
    return written


def annotation_job(result: Result, source: Path, target: Path) -> tuple:
    """What a child needs to annotate one file: its findings and kind, not its table."""
    return (list(result.findings), result.submission.kind, source, target)


def annotate_copy(findings: list, kind: str | None, source: Path, target: Path, *, tick) -> Path:
    """Run in a child: the annotated copy written to `target` (atomically)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    tick(0)
    workbook = _open_as_workbook(kind, source)
    listed = _listed(findings)  # the order of the 校验问题 sheet: each finding's number
    by_cell: dict[tuple[str, str], list] = defaultdict(list)
    for finding in listed:
        if finding.sheet and finding.cell:
            by_cell[(finding.sheet, finding.cell)].append(finding)
    numbers = {id(finding): number for number, finding in enumerate(listed, 1)}
    by_row: dict[tuple[str, int], list[int]] = defaultdict(list)
    for (sheet_name, cell), found in by_cell.items():
        if sheet_name not in workbook.sheetnames:
            continue
        sheet = workbook[sheet_name]
        worst = min(found, key=lambda f: SEVERITY_RANK[f.severity]).severity
        target_cell = sheet[cell]
        if type(target_cell).__name__ == "MergedCell":
            continue  # merged titles carry no values, and openpyxl cannot style their hidden parts
        target_cell.fill = PatternFill("solid", fgColor=FILLS[worst])
        text = "\n".join(
            f"【{SEVERITY_LABELS[f.severity]}】第 {numbers[id(f)]} 条：{f.message}"
            + (f"（备注：{f.explanation}）" if f.explanation else "")
            for f in found
        )
        if target_cell.comment is not None:
            text = f"{target_cell.comment.text}\n{text}"
        comment = Comment(text[:30000], COMMENT_AUTHOR)
        comment.width, comment.height = 360, 160
        target_cell.comment = comment
        by_row[(sheet_name, target_cell.row)].extend(numbers[id(f)] for f in found)
    for sheet in workbook.worksheets:
        table = _printed_table(sheet)
        _wrap_notes(sheet, table)
        _unclip_text_sheet(sheet, table)
        rows = {row: found for (name, row), found in by_row.items() if name == sheet.title}
        if rows:  # comments do not print: the numbers of the 校验问题 list beside each row
            referenced = _reference_column(sheet, table, rows)
        if not has_own_printing(sheet):  # the district's own page setup is kept as it is
            set_up_printing(sheet, referenced if rows else table)
            if table.last_col <= PORTRAIT_COLUMNS:  # the narrow numbers turn no page
                sheet.page_setup.orientation = "portrait"
        elif rows:
            _widen_print_area(sheet, table.last_col)
    _findings_sheet(workbook, listed)
    with replaced_path(target) as temporary:
        workbook.save(temporary)
    return target


def _listed(findings: list) -> list:
    """The findings in the order the 校验问题 sheet numbers them: by sheet, row, column."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    def place(finding) -> tuple:
        if not (finding.sheet and finding.cell):
            return (0, "", 0, 0)
        try:
            letters, row = coordinate_from_string(finding.cell)
            return (1, finding.sheet, row, column_index_from_string(letters))
        except ValueError:
            return (1, finding.sheet, 0, 0)

    return sorted(findings, key=place)


REFERENCE_HEADER = "校验问题编号"


def _reference_column(sheet, table: PrintedTable, rows: dict[int, list[int]]) -> PrintedTable:
    """A column right of the table: in each flagged row the numbers of its findings in the
    校验问题 sheet ("见 3、4"), so that the reasons can be found on paper too."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    header_row = table.header_rows[0] if table.header_rows else 1
    # right of what the header and the flagged rows hold (a stray value far off in XFD1 is no
    # part of the table), always inside the sheet's 16,384 columns
    column = min(_last_column(sheet, {header_row, *rows}), MAX_COLUMN - 1) + 1
    sheet.cell(header_row, column, REFERENCE_HEADER).font = Font(bold=True)
    for row, found in rows.items():
        cell = sheet.cell(row, column, "见 " + "、".join(map(str, sorted(set(found)))))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(color="C00000")
    sheet.column_dimensions[get_column_letter(column)].width = 12
    return PrintedTable(
        max(table.last_row, max(rows)), max(column, table.last_col), table.header_rows
    )


MAX_COLUMN = 16_384  # XFD


def _last_column(sheet, rows: set[int]) -> int:
    """The last column holding a value in these rows, from the cells the sheet holds (never
    walking the grid)."""
    last = 1
    for (row, col), cell in sheet._cells.items():  # openpyxl's own store: only real cells
        if row in rows and col > last and cell.value not in (None, ""):
            last = col
    return last


def _widen_print_area(sheet, last_col: int) -> None:
    """The district's own print area one column wider for the reference numbers, where it
    ends at the table's last column (an area that leaves columns out is left as it is)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import range_boundaries

    area = sheet.print_area
    if not area:
        return
    ranges = []
    for part in str(area).split(","):
        reference = part.split("!")[-1].replace("$", "")
        try:
            left, top, right, bottom = range_boundaries(reference)
        except ValueError:
            return
        if right == last_col:
            right += 1
        ranges.append(f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}")
    sheet.print_area = ranges


NOTE_WIDTH = 24


def _unclip_text_sheet(sheet, table: PrintedTable) -> None:
    """A sheet of text in one column wider than a page (the 填报说明 of older templates):
    wrapped within the page, since text running past its cell prints cut at both edges."""
    from submissions.template import INSTRUCTIONS_WIDTH

    width = sheet.column_dimensions["A"].width or 0
    if table.last_col != 1 or width <= INSTRUCTIONS_WIDTH or table.last_row > 2000:
        return
    lines = [sheet.cell(row, 1).value for row in range(1, table.last_row + 1)]
    write_wrapped(sheet, ["" if v is None else str(v) for v in lines], INSTRUCTIONS_WIDTH)
    sheet.print_options.horizontalCentered = False


def _wrap_notes(sheet, table: PrintedTable) -> None:
    """The 备注 column wraps within the page, each row as tall as its note needs."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    if table.header_rows is None:
        return
    header_row = table.header_rows[0]
    column = next(
        (
            col
            for (row, col), cell in sorted(sheet._cells.items())
            if row == header_row and isinstance(cell.value, str) and "备注" in cell.value
        ),
        None,
    )
    if column is None:
        return
    letter = get_column_letter(column)
    width = max(sheet.column_dimensions[letter].width or 0, NOTE_WIDTH)
    sheet.column_dimensions[letter].width = width
    notes = [
        cell
        for (row, col), cell in sheet._cells.items()  # the cells it holds, not the grid
        if col == column and row > header_row and isinstance(cell.value, str)
    ]
    for cell in notes:
        row = cell.row
        if not cell.value.strip():
            continue
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        needed = LINE_HEIGHT * wrapped_lines(cell.value, width)
        current = sheet.row_dimensions[row].height or LINE_HEIGHT
        sheet.row_dimensions[row].height = max(current, needed)


def _printed_table(sheet) -> PrintedTable:
    """The sheet's table as it prints: its used range, its header row repeated."""
    last_row, last_col = used_extent(sheet)
    header = None
    # bounded by the used columns too: iter_rows makes a cell at every position it visits
    for number, values in enumerate(
        sheet.iter_rows(
            max_row=min(last_row, HEADER_SCAN_ROWS), max_col=last_col, values_only=True
        ),
        1,
    ):
        if classify_header(list(values), number - 1) is not None:
            header = (number, number)
            break
    return PrintedTable(last_row, last_col, header)


def _open_as_workbook(kind: str | None, source: Path):
    """The district's own .xlsx as it is; a .xls or CSV is copied cell by cell into a new one."""
    from openpyxl import Workbook, load_workbook

    content = unlock(source.read_bytes())  # a workbook with Excel's default password, decrypted
    if kind in ("xlsx",):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not keep
            # from bytes: openpyxl judges a path by its extension, stored files have none
            return load_workbook(io.BytesIO(content))
    workbook = Workbook()
    workbook.remove(workbook.active)
    if kind == "csv":
        # decoded and split exactly as the reader did, so that cell addresses agree
        text, _encoding = decode_text(content)
        sheet = workbook.create_sheet(source.stem[:31] or "CSV")
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text)):
            _append_as_values(sheet, row)
        return workbook
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    for name in book.sheet_names:
        sheet = workbook.create_sheet(name[:31])
        for values in book.get_sheet_by_name(name).to_python(skip_empty_area=False):
            _append_as_values(sheet, list(values))
    return workbook


def _append_as_values(sheet, row: list) -> None:
    """Copy values as values: text such as "=1+1" from a district must not become a formula."""
    sheet.append([None if value == "" else value for value in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


# The 校验问题 sheet as it prints on A4 across: no file column (it is this file), each column
# as wide as fits, long texts wrapped, the header row on every page.
SHEET_WIDTHS = {
    "district": 8, "severity": 6, "category": 8, "rule": 18, "indicator_name": 18, "year": 6,
    "sheet": 9, "cell": 7, "value": 10, "expected": 16, "message": 42, "explanation": 16,
}  # fmt: skip


def _findings_sheet(workbook, findings: list) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from reports.csv_report import COLUMNS, finding_cells

    name = FINDINGS_SHEET
    while name in workbook.sheetnames:
        name += "_"
    sheet = workbook.create_sheet(name)
    kept = [(position, header, field) for position, (header, field) in enumerate(COLUMNS)
            if field != "file"]  # fmt: skip
    sheet.append(["编号", *(header for _position, header, _field in kept)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 30  # "严重程度" in a narrow column takes two lines
    severity_column = 2 + [field for _p, _h, field in kept].index("severity")
    wrapped = Alignment(wrap_text=True, vertical="top")
    widths = [5, *(SHEET_WIDTHS[field] for _p, _h, field in kept)]
    for number, finding in enumerate(findings, 1):
        cells = finding_cells(finding)
        _append_as_values(sheet, [number, *(cells[position] for position, _h, _f in kept)])
        row = sheet.max_row
        lines = 1
        for column, width in enumerate(widths, 1):
            cell = sheet.cell(row, column)
            cell.alignment = wrapped
            if isinstance(cell.value, str):
                lines = max(lines, wrapped_lines(cell.value, width))
        sheet.row_dimensions[row].height = LINE_HEIGHT * lines
        sheet.cell(row, severity_column).fill = PatternFill(
            "solid", fgColor=FILLS[finding.severity]
        )
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    set_up_printing(sheet, PrintedTable(sheet.max_row, len(widths), (1, 1)))
    sheet.page_setup.orientation = "landscape"
