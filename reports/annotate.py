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
from submissions.paper import PrintedTable, has_own_printing, set_up_printing, used_extent
from submissions.reading.isolation import Failure, Job, Pool, shared_pool
from submissions.reading.layout import HEADER_SCAN_ROWS, classify_header
from submissions.reading.opening import csv_delimiter, decode_text

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
    by_cell: dict[tuple[str, str], list] = defaultdict(list)
    for finding in findings:
        if finding.sheet and finding.cell:
            by_cell[(finding.sheet, finding.cell)].append(finding)
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
            f"【{SEVERITY_LABELS[f.severity]}】{f.message}"
            + (f"（备注：{f.explanation}）" if f.explanation else "")
            for f in found
        )
        if target_cell.comment is not None:
            text = f"{target_cell.comment.text}\n{text}"
        comment = Comment(text[:30000], COMMENT_AUTHOR)
        comment.width, comment.height = 360, 160
        target_cell.comment = comment
    for sheet in workbook.worksheets:
        if not has_own_printing(sheet):  # the district's own page setup is kept as it is
            set_up_printing(sheet, _printed_table(sheet))
    _findings_sheet(workbook, findings)
    with replaced_path(target) as temporary:
        workbook.save(temporary)
    return target


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

    content = source.read_bytes()
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


def _findings_sheet(workbook, findings: list) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from reports.csv_report import COLUMNS, HEADER, finding_cells

    name = FINDINGS_SHEET
    while name in workbook.sheetnames:
        name += "_"
    sheet = workbook.create_sheet(name)
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    severity_column = 1 + [field for _header, field in COLUMNS].index("severity")
    for finding in findings:
        _append_as_values(sheet, finding_cells(finding))
        sheet.cell(sheet.max_row, severity_column).fill = PatternFill(
            "solid", fgColor=FILLS[finding.severity]
        )
    widths = {"file": 16, "district": 8, "severity": 8, "category": 10, "rule": 16,
              "indicator_name": 28, "year": 6, "sheet": 12, "cell": 8, "value": 14,
              "expected": 24, "message": 70, "explanation": 30}  # fmt: skip
    for position, (_header, field) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(position)].width = widths[field]
    set_up_printing(sheet, PrintedTable(sheet.max_row, len(HEADER), (1, 1)))
