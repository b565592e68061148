"""Reading an .xlsx sheet's XML cell by cell: sparse sheets, formulas without results, errors."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import defusedxml
from defusedxml import ElementTree as SafeTree

from submissions.finding import CannotContinue, a1
from submissions.reading.failures import DAMAGED_INSIDE, cannot_read
from submissions.reading.screening import CELL_RE, TOO_BIG

CELL_TAGS = (b"<c ", b"<c>", b":c ")  # with or without a namespace prefix
# A sheet without these bytes has no formula and no error value.
FORMULA_MARKS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ")
ERROR_MARKS = (b't="e"', b"t='e'")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _position(reference: str | None) -> tuple[int, int] | None:
    """ "B5" → (4, 1), 0-based."""
    match = CELL_RE.match(reference or "")
    if not match:
        return None
    col = 0
    for ch in match.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _cells(stream, strings: list[str] | None) -> Iterator[tuple[int, int, object]]:
    """(row, col, value) of every cell that holds something, in file order.

    A formula without a stored result comes back as its text ("=SUM(C5:C9)"), an error value
    as Excel writes it ("#DIV/0!"); with `strings` None, shared strings are not looked up and
    only formulas and errors are of interest (values come back as None)."""
    row = col = -1
    events = SafeTree.iterparse(stream, events=("start", "end"), forbid_dtd=True)
    for event, element in events:
        tag = _local(element.tag)
        if tag == "row":
            if event == "start":  # positions may be implied by order
                number = element.get("r")
                row = int(number) - 1 if number and number.isdigit() else row + 1
                col = -1
            else:
                element.clear()
            continue
        if tag != "c" or event != "end":
            continue
        place = _position(element.get("r"))
        if place is None:
            col += 1
        else:
            row, col = place
        kind = element.get("t") or "n"
        formula = stored = inline = None
        for child in element:
            name = _local(child.tag)
            if name == "v":
                stored = child.text
            elif name == "f":
                formula = child.text or ""
            elif name == "is":
                inline = "".join(
                    t.text or "" for t in child.iter() if _local(t.tag) == "t" and t.text
                )
        element.clear()
        if formula is not None and (stored is None or stored == "") and kind != "inlineStr":
            yield row, col, "=" + (formula or "（公式）")
        elif kind == "e":
            yield row, col, (stored or "#N/A").strip()
        elif strings is None:
            continue
        elif kind == "inlineStr":
            yield row, col, inline or ""
        elif stored is None:
            continue
        elif kind == "s":
            try:
                yield row, col, strings[int(stored)]
            except (ValueError, IndexError):
                yield row, col, ""
        elif kind == "b":
            yield row, col, stored.strip() == "1"
        elif kind in ("str", "d"):
            yield row, col, stored
        else:
            try:
                yield row, col, float(stored)
            except ValueError:
                yield row, col, stored


def shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None:
        return []
    strings = []
    with archive.open(part) as stream:
        for _event, element in SafeTree.iterparse(stream, events=("end",), forbid_dtd=True):
            if _local(element.tag) != "si":
                continue
            pieces = []
            for child in element:
                name = _local(child.tag)
                if name == "t":
                    pieces.append(child.text or "")
                elif name == "r":
                    pieces.extend(t.text or "" for t in child if _local(t.tag) == "t")
            strings.append("".join(pieces))
            element.clear()
    return strings


def estimated_extent(content: bytes, part: str, size: int) -> tuple[float, float]:
    """Rows and cells of a sheet that does not declare them, extrapolated from its first
    megabyte of XML: a guess, good for exports of even density, that costs 10 ms where a
    count of 100 MB costs a second. Whatever it misses is still bounded by the reading
    child's memory and time limits."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    with archive.open(part) as stream:
        head = stream.read(1 << 20)
    cut = head.rfind(b"<")
    head = head[: cut if cut > 0 else len(head)]
    if not head:
        return 0.0, 0.0
    scale = size / len(head)
    rows = head.count(b"<row") + head.count(b":row ")
    cells = sum(head.count(tag) for tag in CELL_TAGS)
    return rows * scale, cells * scale


def extent_beyond(content: bytes, part: str, rows: int, cells: int) -> tuple[int, int] | None:
    """The (rows, cells) a sheet's XML holds if it is more than `rows` rows or `cells` cells,
    counted as far as that, else None. Tags are counted as the XML is inflated, a megabyte at a
    time (a tag cut at the end of a block is counted with the next one); a byte count, not a
    parse: at most a little over for text that looks like a tag, which only sends the sheet to
    the careful reader."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    row_count = cell_count = 0
    tail = b""
    with archive.open(part) as stream:
        while True:
            block = stream.read(1 << 20)
            data = tail + block
            cut = data.rfind(b"<") if block else len(data)
            cut = len(data) if cut < 0 else cut
            counted = data[:cut]
            row_count += counted.count(b"<row") + counted.count(b":row ")
            cell_count += sum(counted.count(tag) for tag in CELL_TAGS)
            tail = data[cut:]
            if row_count > rows or cell_count > cells:
                return row_count, cell_count
            if not block:
                return None


def sparse_rows(
    content: bytes, part: str, strings_part: str | None, sheet: str, limit: int
) -> tuple[list[tuple[int, list]], int, int]:
    """The rows of a sheet whose used range is too large to hold as a rectangle, as
    (row index, cells up to the row's last value); also the first row and column with a value.
    More than `limit` cells is reported rather than read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        strings = shared_strings(archive, strings_part)
        by_row: dict[int, dict[int, object]] = {}
        count = 0
        with archive.open(part) as stream:
            for row, col, value in _cells(stream, strings):
                if value == "" or value is None:
                    continue
                count += 1
                if count > limit:
                    raise CannotContinue(
                        f"{TOO_BIG}工作表“{sheet}”的内容分散在很大的范围里，"
                        f"超过 {limit:,} 个单元格（已读到 {a1(row, col)}）；"
                        "请删除表格以外的内容后重新上传"
                    )
                by_row.setdefault(row, {})[col] = value
    except defusedxml.DefusedXmlException as exc:
        raise CannotContinue("文件含有 XML 实体声明（DOCTYPE），出于安全考虑不予读取") from exc
    except (SafeTree.ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise cannot_read(exc, DAMAGED_INSIDE, f"工作表“{sheet}”无法读取：") from exc
    if not by_row:
        return [], 0, 0
    first_col = min(min(cells) for cells in by_row.values())
    rows = []
    for row in sorted(by_row):
        cells = by_row[row]
        dense: list[object] = [None] * (max(cells) - first_col + 1)
        for col, value in cells.items():
            dense[col - first_col] = value
        rows.append((row, dense))
    return rows, rows[0][0], first_col


def formula_and_error_cells(content: bytes, part: str) -> dict[tuple[int, int], str]:
    """(row, col) → "=FORMULA" for formulas without a stored result and "#DIV/0!" for error
    values: calamine reads both as blank. Most sheets have neither, which a byte search tells."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        data = archive.read(part)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        return {}
    if not any(mark in data for mark in (*FORMULA_MARKS, *ERROR_MARKS)):
        return {}
    found: dict[tuple[int, int], str] = {}
    try:
        for row, col, value in _cells(io.BytesIO(data), None):
            found[(row, col)] = str(value)
    except (defusedxml.DefusedXmlException, SafeTree.ParseError):
        return found
    return found


# Number formats that show a stored 0.62 as 62%: the built-in 0% and 0.00%, and any custom
# format with a % outside quoted text and escapes.
BUILTIN_PERCENT_FORMATS = frozenset({9, 10})
QUOTED_RE = re.compile(r'"[^"]*"|\\.')
STYLES_LIMIT = 16 * 1024 * 1024
CHUNK = 4 * 1024 * 1024
CELL_PREFIX_RE = re.compile(rb"<\w+:c\s")  # a cell tag with a namespace prefix
REFERENCE_RE = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3}\d{1,7})["']""")


def percent_styles(content: bytes, part: str | None) -> frozenset[int]:
    """The cell style indices (the `s` of a cell) whose number format shows a percent."""
    if part is None:
        return frozenset()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        if archive.getinfo(part).file_size > STYLES_LIMIT:
            return frozenset()
        root = SafeTree.fromstring(archive.read(part), forbid_dtd=True)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError):
        return frozenset()
    except (defusedxml.DefusedXmlException, SafeTree.ParseError):
        return frozenset()
    percent_formats = set(BUILTIN_PERCENT_FORMATS)
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            code = QUOTED_RE.sub("", element.get("formatCode") or "")
            if "%" in code and (element.get("numFmtId") or "").isdigit():
                percent_formats.add(int(element.get("numFmtId")))
    styles = set()
    for element in root.iter():
        if _local(element.tag) != "cellXfs":
            continue
        for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
            number_format = xf.get("numFmtId") or "0"
            if number_format.isdigit() and int(number_format) in percent_formats:
                styles.add(index)
    return frozenset(styles)


def styled_cells(
    content: bytes, part: str, styles: frozenset[int], wanted: set[tuple[int, int]] | None
) -> set[tuple[int, int]]:
    """Of the `wanted` cells (0-based; None: all), those whose style is one of `styles`. The
    sheet is streamed in chunks and only the cell tags carrying such a style are looked at."""
    marks = [f" s={quote}{index}{quote}".encode() for index in styles for quote in "\"'"]
    found: set[tuple[int, int]] = set()
    # Rows come in order (Excel requires it): past the last wanted row, the rest is not read.
    last_row = max((row for row, _col in wanted), default=None) if wanted is not None else None
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        stream = archive.open(part)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        return found
    carried = b""
    with stream:
        while True:
            try:
                chunk = stream.read(CHUNK)
            except (zipfile.BadZipFile, OSError, EOFError):
                break
            if not chunk:
                break
            data = carried + chunk
            # a tag cut by the chunk's end is looked at again with the next chunk
            cut = data.rfind(b"<")
            complete, carried = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            found |= _styled_in(complete, marks, wanted)
            if len(carried) > 64 * 1024:  # no tag is that long: not a sheet as Excel writes
                carried = b""
            if last_row is not None and _last_row_number(complete) > last_row + 1:
                return found
    if carried:
        found |= _styled_in(carried, marks, wanted)
    return found


ROW_TAG_RE = re.compile(rb"""<(?:\w+:)?row\s[^>]*?\br\s*=\s*["'](\d+)["']""")


def _last_row_number(data: bytes) -> int:
    """The number of the last row tag in `data` (1-based), 0 when there is none."""
    at = max(data.rfind(b"<row "), data.rfind(b":row "))
    if at < 0:
        return 0
    start = data.rfind(b"<", 0, at + 1)
    match = ROW_TAG_RE.match(data, start)
    return int(match.group(1)) if match else 0


def _styled_in(data: bytes, marks: list[bytes], wanted: set[tuple[int, int]] | None) -> set:
    """Each place a percent style is named, if it is a cell's own tag: its position."""
    found = set()
    for mark in marks:
        at = data.find(mark)
        while at >= 0:
            start, end = data.rfind(b"<", 0, at), data.find(b">", at)
            tag = data[start:end] if start >= 0 and end > 0 else b""
            if tag.startswith(b"<c ") or CELL_PREFIX_RE.match(tag):
                reference = REFERENCE_RE.search(tag)
                place = _position(reference.group(1).decode()) if reference else None
                if place is not None and (wanted is None or place in wanted):
                    found.add(place)
            at = data.find(mark, at + len(mark))
    return found
