"""How a sheet prints: A4, one page wide, header rows on every page, page numbers, signatures."""

from __future__ import annotations

from dataclasses import dataclass

# Printed forms go to the city signed and stamped: these lines close every template. The
# reader takes rows that begin so as notes (reading.layout.NOTE_PREFIXES), not indicators.
SIGNATURE_ROWS = (
    ("填报人：", "联系电话：", "审核人："),
    ("单位负责人：", "单位（盖章）：", "填报日期：      年    月    日"),
)
FOOTER = "第 &P 页，共 &N 页"
# Past this many columns a table is read more easily across the page (landscape).
PORTRAIT_COLUMNS = 7


@dataclass(frozen=True)
class PrintedTable:
    """Where the table is on its sheet (1-based, inclusive)."""

    last_row: int
    last_col: int
    header_rows: tuple[int, int] | None = None  # repeated on every page


ONE_PAGE_ROWS = 60


def set_up_printing(sheet, table: PrintedTable) -> None:
    """A4, orientation by column count, one page wide and as many tall as needed, the header
    rows on every page, only the table printed, centred, with page numbers in the footer."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape" if table.last_col > PORTRAIT_COLUMNS else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    setup.fitToWidth = 1
    # a district's table (40-odd indicators and the signature lines) on one sheet of paper;
    # a longer one as many pages tall as it needs
    setup.fitToHeight = 1 if table.last_row <= ONE_PAGE_ROWS else 0
    sheet.page_margins = PageMargins(
        left=0.5, right=0.5, top=0.6, bottom=0.75, header=0.3, footer=0.35
    )
    sheet.print_options.horizontalCentered = True
    sheet.print_area = f"A1:{get_column_letter(table.last_col)}{table.last_row}"
    if table.header_rows is not None:
        first, last = table.header_rows
        sheet.print_title_rows = f"{first}:{last}"
    sheet.oddFooter.center.text = FOOTER
    sheet.oddFooter.center.size = 9
    sheet.evenFooter.center.text = FOOTER


LINE_HEIGHT = 15  # points: one line of the default font


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet's width units: a Chinese character two, others one."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """How many lines a text takes wrapped in a column `width` units wide (as LibreOffice lays
    it out: about a tenth more fits than the width says)."""
    return max(1, -(-display_width(text) // int(width * 1.1)))


def write_wrapped(sheet, lines: list[str], width: int, column: int = 1) -> None:
    """Paragraphs down one column, wrapped within it, each row as tall as its lines: neither
    Excel nor LibreOffice grows a row for wrapped text it did not lay out itself, and text
    that runs past its cell prints clipped."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    wrapped = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions[get_column_letter(column)].width = width
    for row, text in enumerate(lines, 1):
        sheet.cell(row, column, text).alignment = wrapped
        sheet.row_dimensions[row].height = LINE_HEIGHT * wrapped_lines(text, width)


def has_own_printing(sheet) -> bool:
    """The district set up printing itself (a print area, print titles or fit to page)."""
    properties = sheet.sheet_properties.pageSetUpPr
    return bool(
        sheet.print_area
        or sheet.print_title_rows
        or (properties is not None and properties.fitToPage)
    )


def add_signatures(sheet, first_row: int, last_col: int) -> int:
    """The signature lines below a table, spread across its width; returns their last row."""
    from openpyxl.styles import Alignment, Font

    starts = _spread(last_col, len(SIGNATURE_ROWS[0]))
    for offset, labels in enumerate(SIGNATURE_ROWS):
        row = first_row + offset
        sheet.row_dimensions[row].height = 30 if offset == 0 else 48  # room for a stamp
        for col, label in zip(starts, labels, strict=True):
            cell = sheet.cell(row, col, label)
            cell.font = Font(size=11)
            cell.alignment = Alignment(vertical="center")
    return first_row + len(SIGNATURE_ROWS) - 1


def _spread(last_col: int, count: int) -> list[int]:
    """Columns where `count` labels start, evenly across columns 1 … last_col."""
    step = max(1, last_col // count)
    return [1 + step * position for position in range(count)]


def used_extent(sheet) -> tuple[int, int]:
    """The last row and column that hold a value (openpyxl's max_row also counts cells that
    only carry a border or a fill: printing those is the 'page of empty bordered cells').
    Only the cells the sheet holds are looked at: iter_rows() walks every position up to
    max_row × max_column, and makes a cell at each (a stray value in XFD1 and one in A1048576
    made that 17 billion, and 950 MB before the reading child was stopped)."""
    last_row = last_col = 1
    for (row, col), cell in sheet._cells.items():  # openpyxl's own store: only real cells
        if (row > last_row or col > last_col) and _holds_value(cell.value):
            last_row, last_col = max(last_row, row), max(last_col, col)
    return last_row, last_col


def _holds_value(value) -> bool:
    return value is not None and bool(str(value).strip())
