"""Hostile and awkward files, built here: the tests assert on them, bench/hostile.py times them."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from submissions.template import template_cell, write_template
from tests.samples import plausible_values

DISTRICT, YEAR = "芝罘区", 2023
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Case:
    name: str  # the file as it arrives
    build: Callable[[Path, object], Path]  # (folder, loaded catalog) → the file written
    status: str  # what `check` must say of it
    categories: frozenset[str]  # the categories of its findings
    what: str


def district_workbook(folder: Path, loaded, name: str = f"{DISTRICT}-{YEAR}.xlsx") -> Path:
    path = folder / name
    catalog = loaded.catalog
    write_template(path, catalog, DISTRICT, YEAR, plausible_values(catalog, YEAR))
    return path


def minimal_xlsx(sheet_xml: bytes | Callable, extra: dict[str, bytes] | None = None) -> bytes:
    """An .xlsx with one sheet; `sheet_xml` may be a function writing to a stream (for sheets
    too big to hold in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{SHEET_NS}" '
            f'xmlns:r="{REL_NS}"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        if callable(sheet_xml):
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
                sheet_xml(stream)
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def entity_bomb(folder: Path, loaded) -> Path:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{lol}]><worksheet xmlns="{SHEET_NS}">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return _write(folder, f"{DISTRICT}-{YEAR}-实体.xlsx", minimal_xlsx(sheet.encode()))


def zip_bomb(folder: Path, loaded, gibibytes: float = 0.3) -> Path:
    """Sheet XML that inflates to `gibibytes` (whitespace inside <sheetData>)."""
    chunk = b" " * (1 << 20)

    def sheet(stream) -> None:
        stream.write(f'<worksheet xmlns="{SHEET_NS}"><sheetData>'.encode())
        for _ in range(int(gibibytes * 1024)):
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")

    return _write(folder, f"{DISTRICT}-{YEAR}-压缩.xlsx", minimal_xlsx(sheet))


def far_cells(folder: Path, loaded) -> Path:
    """The 14 KB workbook that aborted calamine: a filled table, one value in XFD1 and one in
    A1048576 (a stray keystroke far from the table)."""
    path = district_workbook(folder, loaded, f"{DISTRICT}-{YEAR}-远处.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["指标填报"]
    sheet["XFD1"] = "x"
    sheet["A1048576"] = 1
    workbook.save(path)
    return path


def far_cells_unprinted(folder: Path, loaded) -> Path:
    """The same stray values in a district's own workbook, which has no page setup of its
    own: the annotated copy sets one up from the cells that hold values."""
    scratch = folder / ".far-cells"
    scratch.mkdir(exist_ok=True)
    workbook = openpyxl.load_workbook(far_cells(scratch, loaded))
    for sheet in workbook.worksheets:
        sheet.print_area = None
        sheet._print_rows = None  # openpyxl's setter ignores None
        sheet.sheet_properties.pageSetUpPr.fitToPage = False
    target = folder / f"{DISTRICT}-{YEAR}-远处无打印设置.xlsx"
    workbook.save(target)
    return target


def many_entries(folder: Path, loaded, count: int = 10_000) -> Path:
    extra = {f"xl/media/pad{i}.bin": b"" for i in range(count)}
    sheet = f'<worksheet xmlns="{SHEET_NS}"><sheetData/></worksheet>'.encode()
    return _write(folder, f"{DISTRICT}-{YEAR}-部件.xlsx", minimal_xlsx(sheet, extra))


def truncated(folder: Path, loaded) -> Path:
    content = district_workbook(folder, loaded, "whole.xlsx").read_bytes()
    (folder / "whole.xlsx").unlink()
    return _write(folder, f"{DISTRICT}-{YEAR}-截断.xlsx", content[: len(content) // 2])


def empty(folder: Path, loaded) -> Path:
    return _write(folder, f"{DISTRICT}-{YEAR}-空.xlsx", b"")


def random_bytes(folder: Path, loaded) -> Path:
    noise = random.Random(7).randbytes(64 * 1024)
    return _write(folder, f"{DISTRICT}-{YEAR}-乱码.xlsx", noise)


def pdf_named_xlsx(folder: Path, loaded) -> Path:
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return _write(folder, f"{DISTRICT}-{YEAR}-PDF.xlsx", pdf)


def html_named_xls(folder: Path, loaded) -> Path:
    page = "<html><body><table><tr><td>指标</td><td>2023年</td></tr></table></body></html>"
    return _write(folder, f"{DISTRICT}-{YEAR}-网页.xls", page.encode())


def _encrypted_xlsx(folder: Path, loaded, password: str, name: str) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = district_workbook(folder, loaded, "plain.xlsx")
    out = io.BytesIO()
    with plain.open("rb") as source:
        OOXMLFile(source).encrypt(password, out)
    plain.unlink()
    return _write(folder, f"{DISTRICT}-{YEAR}-{name}.xlsx", out.getvalue())


def encrypted(folder: Path, loaded) -> Path:
    return _encrypted_xlsx(folder, loaded, "打开密码123", "加密")


def encrypted_with_default_password(folder: Path, loaded) -> Path:
    """An .xlsx encrypted with Excel's built-in password: Excel and WPS open it unasked."""
    return _encrypted_xlsx(folder, loaded, "VelvetSweatshop", "默认密码")


def xls_rows(folder: Path, loaded) -> list:
    """The district template's first sheet as calamine reads it: rows to write elsewhere."""
    import python_calamine

    plain = district_workbook(folder, loaded, "plain.xlsx")
    rows = python_calamine.CalamineWorkbook.from_path(plain).get_sheet_by_index(0).to_python()
    plain.unlink()
    return rows


def xls_biff(rows: list) -> bytes:
    """The district's sheet as BIFF8 records (the Workbook stream of an .xls), by xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("指标填报")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value)
    return book.get_biff_data()


def rc4_encrypted_biff(biff: bytes, password: str) -> bytes:
    """BIFF8 encrypted as Excel 97–2003 does with "password to open" (RC4, MS-OFFCRYPTO
    2.3.6): a FILEPASS record after the first BOF, every record's data encrypted with the RC4
    stream of its absolute position (rekeyed each 1024 bytes) except the records and fields the
    format leaves plain. Written here because no library encrypts .xls."""
    import hashlib
    import os
    import struct

    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    from cryptography.hazmat.primitives.ciphers import Cipher
    from msoffcrypto.method.rc4 import _makekey

    salt, verifier = os.urandom(16), os.urandom(16)
    first = Cipher(ARC4(_makekey(password, salt, 0)), mode=None).encryptor()
    header = first.update(verifier) + first.update(hashlib.md5(verifier).digest())
    filepass = struct.pack("<HHHH", 0x002F, 54, 1, 1) + struct.pack("<H", 1) + salt + header
    records, position = [], 0
    while position + 4 <= len(biff):
        number, size = struct.unpack_from("<HH", biff, position)
        records.append((number, bytearray(biff[position + 4 : position + 4 + size])))
        position += 4 + size
    shift = len(filepass)
    for number, data in records:
        if number == 0x0085:  # BoundSheet8: lbPlyPos, the sheet's stream offset, moves
            struct.pack_into("<I", data, 0, struct.unpack_from("<I", data, 0)[0] + shift)
    stream = bytearray()
    encrypted: list[tuple[int, int]] = []  # (start, end) of the bytes to encrypt
    for index, (number, data) in enumerate(records):
        stream += struct.pack("<HH", number, len(data))
        start = len(stream)
        stream += data
        if number in (0x0809, 0x002F, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138):
            pass  # BOF, FILEPASS, UsrExcl, FileLock, InterfaceHdr, RRDInfo, RRDHead: plain
        elif number == 0x0085:
            encrypted.append((start + 4, start + len(data)))
        else:
            encrypted.append((start, start + len(data)))
        if index == 0:
            stream += filepass
    keystream = bytearray()
    for block in range((len(stream) + 1023) // 1024):
        cipher = Cipher(ARC4(_makekey(password, salt, block)), mode=None).encryptor()
        keystream += cipher.update(bytes(1024))
    for start, end in encrypted:
        for at in range(start, end):
            stream[at] ^= keystream[at]
    return bytes(stream)


def xls_document(biff: bytes) -> bytes:
    from xlwt.CompoundDoc import XlsDoc

    out = io.BytesIO()
    XlsDoc().save(out, biff)
    return out.getvalue()


def xls_with_default_password(folder: Path, loaded) -> Path:
    """An .xls Excel "protected" with its built-in password (50833.xls in Apache POI's tests)."""
    biff = rc4_encrypted_biff(xls_biff(xls_rows(folder, loaded)), "VelvetSweatshop")
    return _write(folder, f"{DISTRICT}-{YEAR}-默认密码.xls", xls_document(biff))


def xls_with_password(folder: Path, loaded) -> Path:
    """An .xls with a real "password to open" (POI's password.xls)."""
    biff = rc4_encrypted_biff(xls_biff(xls_rows(folder, loaded)), "打开密码123")
    return _write(folder, f"{DISTRICT}-{YEAR}-加密.xls", xls_document(biff))


def unicode_text(folder: Path, loaded) -> Path:
    """Excel's and WPS's "Unicode 文本" export: UTF-16 LE with BOM, tab-separated, CRLF."""
    rows = xls_rows(folder, loaded)

    def text(value) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    lines = ["\t".join(text(v) for v in row) for row in rows]
    content = "\r\n".join(lines).encode("utf-16")  # the codec writes the BOM
    return _write(folder, f"{DISTRICT}-{YEAR}-Unicode文本.txt", content)


def value_cells(loaded, count: int = 2) -> list[str]:
    codes = [i.code for i in loaded.catalog.indicators if i.required][:count]
    return [template_cell(loaded.catalog, YEAR, code, YEAR) for code in codes]


def formulas_without_values(folder: Path, loaded) -> Path:
    """Formulas written by a program, never calculated: no cached value in the file."""
    path = district_workbook(folder, loaded, f"{DISTRICT}-{YEAR}-公式.xlsx")
    workbook = openpyxl.load_workbook(path)
    for cell in value_cells(loaded):
        workbook["指标填报"][cell] = "=SUM(100,20)"
    workbook.save(path)
    return path


def error_values(folder: Path, loaded) -> Path:
    path = district_workbook(folder, loaded, f"{DISTRICT}-{YEAR}-错误值.xlsx")
    workbook = openpyxl.load_workbook(path)
    for cell, error in zip(value_cells(loaded), ("#DIV/0!", "#REF!"), strict=True):
        workbook["指标填报"][cell] = error  # openpyxl stores these as error cells (t="e")
    workbook.save(path)
    return path


def error_values_xls(folder: Path, loaded) -> Path:
    """The same in an .xls (BIFF error records: calamine reads them as blank)."""
    import xlwt

    rows = xls_rows(folder, loaded)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("指标填报")
    errors = dict(zip(value_cells(loaded), (7, 42), strict=True))  # #DIV/0!, #N/A
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            address = f"{openpyxl.utils.get_column_letter(c + 1)}{r + 1}"
            if address in errors:
                sheet.row(r).set_cell_error(c, errors[address])
            elif value != "":
                sheet.write(r, c, value)
    path = folder / f"{DISTRICT}-{YEAR}-错误值.xls"
    book.save(str(path))
    return path


def million_rows(folder: Path, loaded, rows: int = 1_000_000, declared: bool = True) -> Path:
    """A long-layout sheet of a million rows: more than a reader takes in. `declared`: whether
    the sheet says so in its <dimension> (not every program writes one)."""
    names = [i.name for i in loaded.catalog.indicators]

    def sheet(stream) -> None:
        dimension = f'<dimension ref="A1:D{rows + 1}"/>' if declared else ""
        stream.write(f'<worksheet xmlns="{SHEET_NS}">{dimension}<sheetData>'.encode())
        stream.write(
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\x8c\xba\xe5\x8e\xbf</t></is></c>'
            b'<c r="B1" t="inlineStr"><is><t>\xe5\xb9\xb4\xe4\xbb\xbd</t></is></c>'
            b'<c r="C1" t="inlineStr"><is><t>\xe6\x8c\x87\xe6\xa0\x87</t></is></c>'
            b'<c r="D1" t="inlineStr"><is><t>\xe6\x95\xb0\xe5\x80\xbc</t></is></c></row>'
        )
        batch = []
        for r in range(2, rows + 2):
            name = names[r % len(names)]
            batch.append(
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{DISTRICT}</t></is></c>'
                f'<c r="B{r}"><v>{YEAR}</v></c><c r="C{r}" t="inlineStr"><is><t>{name}</t></is>'
                f'</c><c r="D{r}"><v>{r % 97}</v></c></row>'
            )
            if len(batch) == 10_000:
                stream.write("".join(batch).encode())
                batch = []
        stream.write("".join(batch).encode())
        stream.write(b"</sheetData></worksheet>")

    name = f"{DISTRICT}-{YEAR}-百万行{'' if declared else '-无范围'}.xlsx"
    return _write(folder, name, minimal_xlsx(sheet))


def million_rows_undeclared(folder: Path, loaded) -> Path:
    return million_rows(folder, loaded, declared=False)


UNREADABLE = frozenset({"file"})
CASES = [
    Case("entity-bomb", entity_bomb, "unreadable", UNREADABLE, "XML 实体炸弹（DOCTYPE）"),
    Case("zip-bomb", zip_bomb, "unreadable", UNREADABLE, "解压后巨大的工作表 XML"),
    Case("far-cells", far_cells, "ok", frozenset(), "XFD1 与 A1048576 各有一个值"),
    Case(
        "far-cells-unprinted",
        far_cells_unprinted,
        "ok",
        frozenset(),
        "同上，工作簿没有自己的打印设置",
    ),
    Case("many-entries", many_entries, "unreadable", UNREADABLE, "一万个 zip 部件"),
    Case("truncated", truncated, "unreadable", UNREADABLE, "只有一半的 xlsx"),
    Case("empty", empty, "unreadable", UNREADABLE, "0 字节"),
    Case("random-bytes", random_bytes, "unreadable", UNREADABLE, "随机字节"),
    Case("pdf-as-xlsx", pdf_named_xlsx, "unreadable", UNREADABLE, "改名为 .xlsx 的 PDF"),
    Case("html-as-xls", html_named_xls, "unreadable", UNREADABLE, "改名为 .xls 的网页"),
    Case("encrypted", encrypted, "unreadable", UNREADABLE, "设了打开密码的 xlsx（OLE）"),
    Case("encrypted-xls", xls_with_password, "unreadable", UNREADABLE, "设了打开密码的 xls（RC4）"),
    Case(
        "default-password-xls",
        xls_with_default_password,
        "ok",
        frozenset(),
        "Excel 默认密码加密的 xls",
    ),
    Case(
        "default-password-xlsx",
        encrypted_with_default_password,
        "ok",
        frozenset(),
        "Excel 默认密码加密的 xlsx",
    ),
    Case("unicode-text", unicode_text, "ok", frozenset(), "Excel“Unicode 文本”（UTF-16）"),
    Case("formulas", formulas_without_values, "error", frozenset({"type"}), "没有计算结果的公式"),
    Case("error-values", error_values, "error", frozenset({"type"}), "#DIV/0!、#REF!"),
    Case("error-values-xls", error_values_xls, "error", frozenset({"type"}), ".xls 里的错误值"),
    Case("million-rows", million_rows, "unreadable", UNREADABLE, "一百万行的工作表"),
    Case(
        "million-rows-undeclared",
        million_rows_undeclared,
        "unreadable",
        UNREADABLE,
        "一百万行，且没有写明范围",
    ),
]
