"""Annotated copies of the districts' own workbooks: problem cells filled and commented."""

from __future__ import annotations

import csv
import io
import warnings
from collections import defaultdict
from pathlib import Path

from expectations.engine import Outcome, Result
from submissions import CATEGORY_LABELS, SEVERITY_LABELS
from submissions.finding import SEVERITY_RANK

FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
FINDINGS_SHEET = "校验问题"
COMMENT_AUTHOR = "填报校验"


def annotated_name(position: int, result: Result) -> str:
    """A safe name: the uploaded name is never used as a path."""
    stem = "".join(ch for ch in Path(result.submission.file).stem if ch.isalnum() or ch in "-_")
    return f"{position + 1:04d}-{stem[:40] or 'submission'}-已标注.xlsx"


def write_annotated(outcome: Outcome, folder: Path, sources: dict[str, Path]) -> list[Path]:
    """One annotated .xlsx per readable submission; `sources` maps result file → its path."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for position, result in enumerate(outcome.results):
        source = sources.get(result.submission.file)
        if source is None or result.submission.unreadable:
            continue
        target = folder / annotated_name(position, result)
        annotate(result, source, target)
        written.append(target)
    return written


def annotate(result: Result, source: Path, target: Path) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    workbook = _open_as_workbook(result, source)
    by_cell: dict[tuple[str, str], list] = defaultdict(list)
    for finding in result.findings:
        if finding.sheet and finding.cell:
            by_cell[(finding.sheet, finding.cell)].append(finding)
    for (sheet_name, cell), findings in by_cell.items():
        if sheet_name not in workbook.sheetnames:
            continue
        sheet = workbook[sheet_name]
        worst = min(findings, key=lambda f: SEVERITY_RANK[f.severity]).severity
        target_cell = sheet[cell]
        if type(target_cell).__name__ == "MergedCell":
            continue  # merged titles carry no values, and openpyxl cannot style their hidden parts
        target_cell.fill = PatternFill("solid", fgColor=FILLS[worst])
        text = "\n".join(
            f"【{SEVERITY_LABELS[f.severity]}】{f.message}"
            + (f"（备注：{f.explanation}）" if f.explanation else "")
            for f in findings
        )
        if target_cell.comment is not None:
            text = f"{target_cell.comment.text}\n{text}"
        comment = Comment(text[:30000], COMMENT_AUTHOR)
        comment.width, comment.height = 360, 160
        target_cell.comment = comment
    _findings_sheet(workbook, result)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)


def _open_as_workbook(result: Result, source: Path):
    """The district's own .xlsx as it is; a .xls or CSV is copied cell by cell into a new one."""
    from openpyxl import Workbook, load_workbook

    if result.submission.kind in ("xlsx",):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not keep
            # from bytes: openpyxl judges a path by its extension, stored files have none
            return load_workbook(io.BytesIO(source.read_bytes()))
    workbook = Workbook()
    workbook.remove(workbook.active)
    content = source.read_bytes()
    if result.submission.kind == "csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
        sheet = workbook.create_sheet(source.stem[:31] or "CSV")
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            _append_as_values(sheet, row)
        return workbook
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    for name in book.sheet_names:
        sheet = workbook.create_sheet(name[:31])
        for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False):
            _append_as_values(sheet, row)
    return workbook


def _append_as_values(sheet, row: list) -> None:
    """Copy values as values: text such as "=1+1" from a district must not become a formula."""
    sheet.append([None if value == "" else value for value in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def _findings_sheet(workbook, result: Result) -> None:
    from openpyxl.styles import Font, PatternFill

    name = FINDINGS_SHEET
    while name in workbook.sheetnames:
        name += "_"
    sheet = workbook.create_sheet(name)
    header = [
        "严重程度",
        "类别",
        "工作表",
        "单元格",
        "指标",
        "年度",
        "填报值",
        "应为",
        "说明",
        "备注中的解释",
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for finding in result.findings:
        _append_as_values(
            sheet,
            [
                SEVERITY_LABELS[finding.severity],
                CATEGORY_LABELS.get(finding.category, finding.category),
                finding.sheet,
                finding.cell,
                finding.indicator_name,
                finding.year,
                finding.value,
                finding.expected,
                finding.message,
                finding.explanation,
            ],
        )
        sheet.cell(sheet.max_row, 1).fill = PatternFill("solid", fgColor=FILLS[finding.severity])
    for letter, width in zip("ABCDEFGHIJ", (8, 10, 12, 8, 28, 6, 14, 24, 70, 30), strict=True):
        sheet.column_dimensions[letter].width = width
