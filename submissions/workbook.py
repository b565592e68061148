"""Opening a submitted file by its content: xlsx/xls/ods through python-calamine, CSV as text."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import python_calamine

from submissions.finding import CannotContinue

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 decodes almost anything, so it comes last


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


@dataclass
class OpenedFile:
    kind: str  # xlsx / xls / ods / csv
    sheets: list[Sheet]
    encoding: str | None = None


@dataclass
class Opened:
    """One file as the reader receives it: its bytes and the opened workbook, or why not."""

    content: bytes | None
    workbook: OpenedFile | None
    error: Exception | None  # OSError (cannot read the file), CannotContinue, MemoryError …


def open_path(path: Path) -> Opened:
    try:
        content = path.read_bytes()
    except (OSError, MemoryError) as exc:
        return Opened(None, None, exc)
    try:
        return Opened(content, open_spreadsheet(path, content), None)
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

    def __init__(self, paths: Sequence[Path | str], window: int = 1) -> None:
        self.paths = [Path(p) for p in paths]
        self._opened: list[Opened | None] = [None] * len(self.paths)
        self._ready = [threading.Event() for _ in self.paths]
        self._ahead = [position for position, path in enumerate(self.paths) if _big(path)]
        self._in_thread = set(self._ahead)
        self._room = threading.Semaphore(window)
        if self._ahead:
            threading.Thread(target=self._run, name="readahead", daemon=True).start()

    def _run(self) -> None:
        for position in self._ahead:
            self._room.acquire()
            try:
                self._opened[position] = open_path(self.paths[position])
            except BaseException as exc:  # the reader must never wait for a dead thread
                self._opened[position] = Opened(None, None, exc)
            finally:
                self._ready[position].set()

    def take(self, position: int) -> Opened:
        """The file at `position`, opened here or by the thread."""
        if position not in self._in_thread:
            return open_path(self.paths[position])
        self._ready[position].wait()
        opened, self._opened[position] = self._opened[position], None
        self._room.release()
        if opened.content is None and not isinstance(opened.error, OSError | MemoryError):
            raise opened.error  # a bug, not a bad file: surfaces as it would without the thread
        return opened


def _big(path: Path) -> bool:
    try:
        return path.stat().st_size >= Readahead.BIG
    except OSError:
        return False  # opened (and reported) when taken


def open_spreadsheet(path: Path, content: bytes) -> OpenedFile:
    """Open by content, never by name; raise CannotContinue with a Chinese reason."""
    if not content:
        raise CannotContinue("文件为空（0 字节）")
    head = content[:8]
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        return _open_calamine(content, "xls" if head.startswith(OLE_MAGIC) else "xlsx")
    if head.startswith(b"%PDF"):
        raise CannotContinue("这是 PDF 文件，不是电子表格；请上传 Excel（.xlsx/.xls）或 CSV 文件")
    lowered = content[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table")):
        raise CannotContinue(
            "这是网页（HTML）文件，不是电子表格；请在 Excel 中“另存为”.xlsx 后再上传"
        )
    if b"\x00" in content[:4096]:
        raise CannotContinue("不是电子表格：文件内容是无法识别的二进制数据")
    return _open_csv(path, content)


def _open_calamine(content: bytes, kind: str) -> OpenedFile:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except python_calamine.PasswordError as exc:
        raise CannotContinue("文件设有打开密码，无法读取；请取消密码后重新上传") from exc
    except Exception as exc:  # calamine raises several unrelated types for broken files
        if kind == "xls":
            kind = "xls 或加密的 xlsx"
        raise CannotContinue(
            f"无法作为 Excel 文件读取（{kind}），文件可能已损坏：{_one_line(exc)}"
        ) from exc
    sheets = []
    for meta in workbook.sheets_metadata:
        if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet"):
            continue
        try:
            sheet = workbook.get_sheet_by_name(meta.name)
        except Exception as exc:
            raise CannotContinue(f"工作表“{meta.name}”无法读取：{_one_line(exc)}") from exc
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
    return OpenedFile(kind=kind, sheets=sheets)


def _open_csv(path: Path, content: bytes) -> OpenedFile:
    for encoding in CSV_ENCODINGS:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise CannotContinue("无法识别文件编码：既不是 UTF-8 也不是 GB18030（GBK）")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
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
        raise CannotContinue(f"CSV 文件格式有误：{_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
