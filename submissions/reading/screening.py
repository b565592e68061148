"""Cheap checks before any reader sees a file: zip sizes and ratios, sheet ranges, encryption."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

import defusedxml
import olefile
from defusedxml import ElementTree as SafeTree

from submissions.finding import CannotContinue
from submissions.reading.failures import DAMAGED_INSIDE, NOT_XLSX, cannot_read, library_detail
from submissions.reading.limits import Limits, MiB, size_text

TOO_BIG = "文件过大或结构异常，超出处理能力："
ENCRYPTED = "文件已加密，请取消密码后重新上传"
# A workbook's own description (workbook.xml, its relationships) is a few KB.
WORKBOOK_XML_LIMIT = 16 * MiB
RATIO_FLOOR = 1 * MiB  # small parts compress as they like
CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


@dataclass
class SheetRange:
    """A worksheet's used range as the file declares it (<dimension ref="A1:XFD1048576"/>)."""

    ref: str
    rows: int
    cols: int

    @property
    def cells(self) -> int:
        return self.rows * self.cols


@dataclass
class ZipFacts:
    """What the checks learnt of an .xlsx: each sheet's XML part and declared range."""

    parts: dict[str, str] = field(default_factory=dict)  # sheet name → part in the zip
    strings: str | None = None  # the shared strings part
    styles: str | None = None  # the styles part (number formats)
    sizes: dict[str, int] = field(default_factory=dict)  # sheet name → its XML, uncompressed
    ranges: dict[str, SheetRange | None] = field(default_factory=dict)


def screen_zip(content: bytes, limits: Limits) -> ZipFacts:
    """Reject what would blow the limits, each with its own message; learn each sheet's range."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise CannotContinue(NOT_XLSX, detail=library_detail(exc)) from exc
    if len(entries) > limits.zip_entries:
        raise CannotContinue(
            f"{TOO_BIG}文件内含 {len(entries):,} 个部件，超过上限 {limits.zip_entries:,} 个"
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.zip_total:
        raise CannotContinue(
            f"{TOO_BIG}解压后共 {size_text(total)}，超过上限 {size_text(limits.zip_total)}"
        )
    for entry in entries:
        if entry.file_size > RATIO_FLOOR:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if ratio > limits.zip_ratio:
                raise CannotContinue(
                    f"{TOO_BIG}部件 {entry.filename[:80]} 压缩了 {ratio:,.0f} 倍"
                    f"（{size_text(entry.compress_size)} 解压后 {size_text(entry.file_size)}），"
                    f"超过上限 {limits.zip_ratio} 倍，疑似压缩炸弹"
                )
    names = {entry.filename for entry in entries}
    if "content.xml" in names and "xl/workbook.xml" not in names:
        return ZipFacts()  # OpenDocument: one content.xml, bounded by the checks above
    parts, strings, styles = _sheet_parts(archive, names)
    facts = ZipFacts(parts=parts, strings=strings, styles=styles)
    for sheet, part in facts.parts.items():
        size = archive.getinfo(part).file_size
        if size > limits.sheet_xml:
            raise CannotContinue(
                f"{TOO_BIG}工作表“{sheet}”解压后 {size_text(size)}，"
                f"超过上限 {size_text(limits.sheet_xml)}"
            )
        facts.sizes[sheet] = size
        facts.ranges[sheet] = declared_range(archive, part)
    for name in names:
        if name.endswith((".xml", ".rels")) and name not in facts.parts.values():
            _refuse_doctype(archive, name)
    return facts


def _sheet_parts(
    archive: zipfile.ZipFile, names: set[str]
) -> tuple[dict[str, str], str | None, str | None]:
    """Sheet name → its XML part, the shared strings part and the styles part, from
    workbook.xml and its relationships."""
    book = _small_xml(archive, "xl/workbook.xml", names)
    rels = _small_xml(archive, "xl/_rels/workbook.xml.rels", names)
    if book is None or rels is None:
        return {}, None, None
    targets, strings, styles = {}, None, None
    for relation in rels.iter():
        target = relation.get("Target")
        if _local(relation.tag) == "Relationship" and target:
            targets[relation.get("Id")] = target
            if (relation.get("Type") or "").endswith("/sharedStrings"):
                strings = _part_name(target, names)
            elif (relation.get("Type") or "").endswith("/styles"):
                styles = _part_name(target, names)
    parts = {}
    for sheet in book.iter():
        if _local(sheet.tag) != "sheet":
            continue
        relation = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        target = targets.get(relation)
        if not target or not sheet.get("name"):
            continue
        part = _part_name(target, names)
        if part is not None and "worksheets/" in part:
            parts[sheet.get("name")] = part
    return parts, strings, styles


def _part_name(target: str, names: set[str]) -> str | None:
    """A relationship target as a name in the zip (targets are relative to xl/)."""
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    part = posixpath.normpath(part)
    return part if part in names else None


def _small_xml(archive: zipfile.ZipFile, name: str, names: set[str]):
    if name not in names:
        return None
    if archive.getinfo(name).file_size > WORKBOOK_XML_LIMIT:
        raise CannotContinue(f"{TOO_BIG}{name} 解压后超过 {size_text(WORKBOOK_XML_LIMIT)}")
    try:
        return SafeTree.fromstring(archive.read(name), forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise CannotContinue(_doctype_message()) from exc
    except (SafeTree.ParseError, zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise cannot_read(exc, DAMAGED_INSIDE) from exc


PEEK = 64 * 1024  # a sheet's <dimension> and any part's DOCTYPE are in its first bytes
DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
SHEET_DATA_RE = re.compile(rb"<(?:\w+:)?sheetData\b")


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    """The first bytes of a part, decompressing no more than that."""
    try:
        with archive.open(name) as stream:
            return stream.read(PEEK)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise cannot_read(exc, DAMAGED_INSIDE) from exc


def declared_range(archive: zipfile.ZipFile, part: str) -> SheetRange | None:
    """The <dimension> near the top of a sheet's XML (before its cell data), if it has one."""
    head = _head(archive, part)
    if _has_doctype(head):
        raise CannotContinue(_doctype_message())
    data = SHEET_DATA_RE.search(head)
    found = DIMENSION_RE.search(head, 0, data.start() if data else len(head))
    return parse_range(found.group(1).decode("ascii", "replace")) if found else None


def _refuse_doctype(archive: zipfile.ZipFile, name: str) -> None:
    if _has_doctype(_head(archive, name)):
        raise CannotContinue(_doctype_message())


def _has_doctype(head: bytes) -> bool:
    """Whether the prolog (what comes before the first element) declares a DOCTYPE, where
    entities are defined. Declarations, processing instructions and comments are skipped."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 XML: look at every other byte
        text = text[2:].replace(b"\x00", b"")
    position = 0
    while True:
        start = text.find(b"<", position)
        if start < 0:
            return False
        if text.startswith(b"<?", start):
            position = text.find(b"?>", start)
        elif text.startswith(b"<!--", start):
            position = text.find(b"-->", start)
        else:
            return text[start : start + 9].upper() == b"<!DOCTYPE"
        if position < 0:
            return False


def parse_range(ref: str) -> SheetRange | None:
    """ "A1:XFD1048576" → 1,048,576 rows × 16,384 columns; a single cell "A1" is one cell."""
    corners = ref.strip().split(":")
    if not 1 <= len(corners) <= 2:
        return None
    points = []
    for corner in corners:
        match = CELL_RE.match(corner)
        if not match:
            return None
        points.append((int(match.group(2)), _column_number(match.group(1))))
    (top, left), (bottom, right) = points[0], points[-1]
    return SheetRange(ref=ref.strip(), rows=abs(bottom - top) + 1, cols=abs(right - left) + 1)


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


# Excel's built-in password: "protect workbook" in older Excel (and WPS) encrypts with it, and
# both open such a file without asking; so does this tool.
DEFAULT_PASSWORD = "VelvetSweatshop"
FILEPASS, BOF, EOF = 0x002F, 0x0809, 0x000A


def unlock(content: bytes) -> bytes:
    """An OLE file as a reader can take it: a workbook encrypted with Excel's default password
    decrypted (an .xls with a FILEPASS record, or an encrypted .xlsx package); one that needs
    a real password refused with ENCRYPTED; anything else as it came."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(content))
    except Exception:  # not a valid OLE file: calamine gives its own reason
        return content
    try:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            return _decrypted(content, "加密的 xlsx")
        for name in ("Workbook", "Book"):
            if ole.exists(name) and _has_filepass(ole.openstream(name).read(64 * 1024)):
                return _decrypted(content, "加密的 xls")
    finally:
        ole.close()
    return content


def _has_filepass(head: bytes) -> bool:
    """Whether the workbook globals (before their EOF) hold a FILEPASS record: the file is
    encrypted or obfuscated (MS-XLS 2.4.117)."""
    position = 0
    while position + 4 <= len(head):
        number = int.from_bytes(head[position : position + 2], "little")
        size = int.from_bytes(head[position + 2 : position + 4], "little")
        if number == FILEPASS:
            return True
        if number == EOF or (position == 0 and number != BOF):
            return False
        position += 4 + size
    return False


def _decrypted(content: bytes, kind: str) -> bytes:
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, InvalidKeyError

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(content))
        office.load_key(password=DEFAULT_PASSWORD)
        plain = io.BytesIO()
        office.decrypt(plain)
    except (InvalidKeyError, DecryptionError) as exc:
        raise CannotContinue(ENCRYPTED, detail=f"{kind}：{library_detail(exc)}") from exc
    except Exception as exc:  # a broken header: as encrypted, since it says it is
        raise CannotContinue(ENCRYPTED, detail=f"{kind}：{library_detail(exc)}") from exc
    return plain.getvalue()


def _doctype_message() -> str:
    return (
        "文件含有 XML 实体声明（DOCTYPE），出于安全考虑不予读取；请在 Excel 中另存为 .xlsx 后再上传"
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
