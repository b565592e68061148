"""Opening a submitted file by its content: xlsx/xls/ods through python-calamine, CSV as text."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import python_calamine

from submissions.finding import CannotContinue
from submissions.reading.failures import (
    BAD_CSV,
    DAMAGED_INSIDE,
    NOT_XLS,
    NOT_XLSX,
    cannot_read,
    library_detail,
)
from submissions.reading.limits import Limits, size_text
from submissions.reading.screening import ENCRYPTED, TOO_BIG, ZipFacts, screen_zip, unlock
from submissions.reading.sheet_xml import (
    estimated_extent,
    extent_beyond,
    formula_and_error_cells,
    sparse_rows,
)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A byte-order mark decides; without one, GB18030 decodes almost anything, so it comes last.
TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CSV_ENCODINGS = ("utf-8", "gb18030")


@dataclass
class Sheet:
    """A sheet's cells as rows of Python values; row and column offsets give A1 positions."""

    name: str
    rows: Iterator[list]
    first_row: int = 0
    first_col: int = 0
    merged: list = field(default_factory=list)
    # All rows at once, A1-based (calamine converts a whole sheet faster than row by row).
    everything: Callable[[], list[list]] | None = None


# Sheets with more XML than this are not searched for formulas without results: they are
# exports of other systems, not workbooks a person typed formulas into, and inflating and
# searching 100 MB of XML costs over a second.
FORMULA_SCAN_LIMIT = 16 * 1024 * 1024


@dataclass
class OpenedFile:
    kind: str  # xlsx / xls / ods / csv
    sheets: list[Sheet]
    encoding: str | None = None
    content: bytes | None = None
    facts: ZipFacts | None = None

    def special_cells(self, sheet: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """Of the cells calamine read as blank (`wanted`, 0-based), those that hold a formula
        without a stored result ("=SUM(C5:C9)") or an error value ("#DIV/0!")."""
        if not wanted or self.content is None:
            return {}
        if self.kind == "xlsx" and self.facts is not None and sheet in self.facts.parts:
            if self.facts.sizes.get(sheet, 0) > FORMULA_SCAN_LIMIT:
                return {}
            found = formula_and_error_cells(self.content, self.facts.parts[sheet])
        elif self.kind == "xls":
            found = _xls_error_cells(self.content, sheet, wanted)
        else:
            return {}
        return {place: value for place, value in found.items() if place in wanted}


@dataclass
class Opened:
    """One file as the reader receives it: its bytes and the opened workbook, or why not."""

    content: bytes | None
    workbook: OpenedFile | None
    error: BaseException | None  # OSError (cannot read the file), CannotContinue, MemoryError …


def read_untrusted(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file within the size limit. A pipe, device or socket is never
    read: opening without blocking and asking the opened file what it is leaves no race."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise CannotContinue("不是普通文件（是管道、设备或套接字），未读取")
        if status.st_size > limits.file_size:
            raise CannotContinue(
                f"{TOO_BIG}文件有 {size_text(status.st_size)}，"
                f"超过上限 {size_text(limits.file_size)}"
            )
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            content = stream.read(limits.file_size + 1)
    finally:
        os.close(descriptor)
    if len(content) > limits.file_size:
        raise CannotContinue(f"{TOO_BIG}文件超过上限 {size_text(limits.file_size)}")
    return content


def digest_of(path: Path, limits: Limits) -> tuple[str, int]:
    """SHA-256 and size of a regular file, streamed (a file too big to read is still named by
    its content); ("", 0) when it cannot be read at all."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return "", 0
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            return "", 0
        try:
            return hashlib.file_digest(stream, "sha256").hexdigest(), status.st_size
        except OSError:
            return "", status.st_size


def open_path(path: Path, limits: Limits | None = None) -> Opened:
    limits = limits or Limits()
    try:
        content = read_untrusted(path, limits)
    except CannotContinue as exc:
        return Opened(None, None, exc)
    except (OSError, MemoryError) as exc:
        return Opened(None, None, exc)
    try:
        return Opened(content, open_spreadsheet(path, content, limits), None)
    except Exception as exc:  # handed to the reader, which turns it into a finding
        return Opened(content, None, exc)


class Readahead:
    """Opens big files in order in one background thread, `window` files ahead of the reader.

    calamine parses a sheet without holding the GIL: a 375,000-row workbook takes about 2 s,
    and `validate.py check` starts this before it imports pandas and loads the catalog, so the
    two overlap. Small files are opened when they are taken: for them the thread only adds
    GIL hand-overs (a batch of 1,000 district files read 15% slower through it).
    A daemon thread, so an early exit (a bad flag) does not wait for a parse to finish.
    """

    BIG = 1024 * 1024  # bytes

    def __init__(
        self, paths: Sequence[Path | str], window: int = 1, limits: Limits | None = None
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.limits = limits or Limits()
        self._opened: list[Opened | None] = [None] * len(self.paths)
        self._ready = [threading.Event() for _ in self.paths]
        self._ahead = [position for position, path in enumerate(self.paths) if _big(path)]
        self._in_thread = set(self._ahead)
        self.parsing = bool(self._ahead)
        self._room = threading.Semaphore(window)
        if self._ahead:
            threading.Thread(target=self._run, name="readahead", daemon=True).start()

    def _run(self) -> None:
        for position in self._ahead:
            self._room.acquire()
            try:
                self._opened[position] = open_path(self.paths[position], self.limits)
            except BaseException as exc:  # the reader must never wait for a dead thread
                self._opened[position] = Opened(None, None, exc)
            finally:
                self._ready[position].set()

    def take(self, position: int) -> Opened:
        """The file at `position`, opened here or by the thread."""
        if position not in self._in_thread:
            return open_path(self.paths[position], self.limits)
        self._ready[position].wait()
        opened, self._opened[position] = self._opened[position], None
        self._room.release()
        assert opened is not None  # set before _ready[position] was
        if (
            opened.error is not None
            and opened.content is None
            and not isinstance(opened.error, OSError | MemoryError | CannotContinue)
        ):
            raise opened.error  # a bug, not a bad file: surfaces as it would without the thread
        return opened


def _big(path: Path) -> bool:
    try:
        return path.stat().st_size >= Readahead.BIG
    except OSError:
        return False  # opened (and reported) when taken


def open_spreadsheet(path: Path, content: bytes, limits: Limits | None = None) -> OpenedFile:
    """Open by content, never by name; raise CannotContinue with a Chinese reason."""
    limits = limits or Limits()
    if not content:
        raise CannotContinue("文件为空（0 字节）")
    head = content[:8]
    if head.startswith(ZIP_MAGIC):
        return _open_calamine(content, "xlsx", limits)
    if head.startswith(OLE_MAGIC):
        content = unlock(content)  # Excel's default password taken off; a real one refused
        if content.startswith(ZIP_MAGIC):  # an .xlsx package that was encrypted
            return _open_calamine(content, "xlsx", limits)
        return _open_calamine(content, "xls", limits)
    if head.startswith(b"%PDF"):
        raise CannotContinue("这是 PDF 文件，不是电子表格；请上传 Excel（.xlsx/.xls）或 CSV 文件")
    bom = next((encoding for mark, encoding in TEXT_BOMS if content.startswith(mark)), None)
    lowered = content[:512].lstrip().lower()
    if bom is None and lowered.startswith((b"<!doctype html", b"<html", b"<table")):
        raise CannotContinue(
            "这是网页（HTML）文件，不是电子表格；请在 Excel 中“另存为”.xlsx 后再上传"
        )
    if bom is None and b"\x00" in content[:4096]:
        raise CannotContinue("不是电子表格：文件内容是无法识别的二进制数据")
    return _open_csv(path, content)


def decode_text(content: bytes) -> tuple[str, str]:
    """The text of a CSV/TSV file and the encoding it was in (Excel's "Unicode 文本" export is
    UTF-16 with a byte-order mark)."""
    for mark, encoding in TEXT_BOMS:
        if content.startswith(mark):
            try:
                return content.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise CannotContinue(
                    f"文件标明是 {encoding.upper()} 编码，但内容无法按此解码"
                ) from exc
    for encoding in CSV_ENCODINGS:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CannotContinue("无法识别文件编码：既不是 UTF-8/UTF-16 也不是 GB18030（GBK）")


def _open_calamine(content: bytes, kind: str, limits: Limits) -> OpenedFile:
    facts = screen_zip(content, limits) if kind == "xlsx" else None
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except python_calamine.PasswordError as exc:
        raise CannotContinue(ENCRYPTED) from exc
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise cannot_read(exc, NOT_XLS if kind == "xls" else NOT_XLSX) from exc
    sheets = []
    for meta in workbook.sheets_metadata:
        if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet"):
            continue
        if facts is not None and _vast(content, facts, meta.name, limits):
            sheets.append(_sparse_sheet(content, facts, meta.name, limits))
            continue
        try:
            sheet = workbook.get_sheet_by_name(meta.name)
        except python_calamine.PasswordError as exc:
            raise CannotContinue(ENCRYPTED) from exc
        except Exception as exc:
            raise cannot_read(exc, DAMAGED_INSIDE, f"工作表“{meta.name}”无法读取：") from exc
        start = sheet.start or (0, 0)
        sheets.append(
            Sheet(
                name=meta.name,
                # calamine has parsed the sheet by now: iterating cannot fail, so no guard is
                # wrapped around it (a generator per row cost 0.65 s on 375,000 rows).
                rows=sheet.iter_rows(),
                everything=partial(sheet.to_python, skip_empty_area=False),
                first_row=start[0],
                first_col=start[1],
                merged=list(sheet.merged_cell_ranges or []),
            )
        )
    if not sheets:
        raise CannotContinue("工作簿里没有工作表")
    if kind == "xlsx" and "ods" in str(type(workbook)).lower():
        kind = "ods"
    return OpenedFile(kind=kind, sheets=sheets, content=content, facts=facts)


# A sheet that declares no used range is measured before calamine sees it when its XML is big.
UNDECLARED_COUNTED = 16 * 1024 * 1024


def _vast(content: bytes, facts: ZipFacts, name: str, limits: Limits) -> bool:
    """Whether calamine would have to allocate more than the limits allow for this sheet."""
    declared = facts.ranges.get(name)
    if declared is not None:
        return declared.cells > limits.dense_cells or declared.rows > limits.dense_rows
    size = facts.sizes.get(name, 0)
    if name in facts.parts and size > UNDECLARED_COUNTED:
        rows, cells = estimated_extent(content, facts.parts[name], size)
        return rows > limits.dense_rows or cells > limits.dense_cells
    return False


def _sparse_sheet(content: bytes, facts: ZipFacts, name: str, limits: Limits) -> Sheet:
    """A sheet whose used range is vast (one value far below or to the right of the table):
    read cell by cell, holding only the cells there are — if there are few."""
    if extent_beyond(content, facts.parts[name], sys.maxsize, limits.sparse_cells):
        declared = facts.ranges.get(name)
        extent = (
            f"的范围是 {declared.ref}（{declared.rows:,} 行 × {declared.cols:,} 列）"
            if declared
            else f"的单元格超过 {limits.dense_cells:,} 个"
        )
        raise CannotContinue(
            f"{TOO_BIG}工作表“{name}”{extent}，超过上限（{limits.dense_rows:,} 行或 "
            f"{limits.dense_cells:,} 个单元格），其中有内容的单元格也超过 "
            f"{limits.sparse_cells:,} 个；请删除表格以外的内容，或把数据分成几个文件报送"
        )
    rows, first_row, first_col = sparse_rows(
        content, facts.parts[name], facts.strings, name, limits.sparse_cells
    )

    def dense() -> Iterator[list]:
        expected = first_row
        for row, cells in rows:
            while expected < row:  # rows in between hold nothing
                yield EMPTY_ROW
                expected += 1
            yield cells
            expected += 1

    return Sheet(name=name, rows=dense(), first_row=first_row, first_col=first_col)


EMPTY_ROW: list = []


def _xls_error_cells(
    content: bytes, sheet: str, wanted: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Error values in an .xls sheet (calamine reads them as blank), through xlrd."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=content, on_demand=True)
        found = book.sheet_by_name(sheet)
    except Exception:  # the values were read already; this only refines blanks
        return {}
    errors = {}
    for row, col in wanted:
        if row < found.nrows and col < found.ncols:
            if found.cell_type(row, col) == xlrd.XL_CELL_ERROR:
                code = found.cell_value(row, col)
                errors[(row, col)] = xlrd.error_text_from_code.get(code, "#N/A")
    return errors


def csv_delimiter(text: str) -> str:
    """Comma, tab (Excel's text exports), semicolon or a full-width comma."""
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;，").delimiter
    except csv.Error:
        return "\t" if sample.count("\t") > sample.count(",") else ","


def _open_csv(path: Path, content: bytes) -> OpenedFile:
    text, encoding = decode_text(content)
    sample = text[:8192]
    delimiter = csv_delimiter(text)
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    delimited = sum(1 for line in lines if delimiter in line)
    if delimited < 2 or delimited < 0.3 * len(lines):
        raise CannotContinue("不是电子表格：这是一个文本文件，里面没有用逗号或制表符分隔的表格")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    name = path.stem or "CSV"
    return OpenedFile(
        kind="csv", sheets=[Sheet(name=name, rows=_csv_rows(reader, name))], encoding=encoding
    )


def _csv_rows(reader, name: str) -> Iterator[list]:
    try:
        yield from reader
    except csv.Error as exc:
        raise CannotContinue(BAD_CSV, detail=library_detail(exc)) from exc
