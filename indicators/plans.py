"""Reading a plan as cities publish it (.txt, .html, .docx, .pdf) into its plain text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from indicators.catalog import CatalogError

PLAN_SUFFIXES = (".txt", ".html", ".htm", ".docx", ".pdf")
MAX_PLAN_BYTES = 50 * 1024 * 1024  # a plan is tens of kilobytes; a scanned one a few MB
# An HTML page's furniture: navigation, scripts, footers are not the plan.
HTML_NOISE = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe")


@dataclass(frozen=True)
class Plan:
    name: str  # the file's name, as quoted in `source.seed`
    sha256: str  # of the file as published
    text: str


def read_plan(path: Path, tick=None) -> Plan:
    """The plan's text; CatalogError (one Chinese line) for what cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLAN_SUFFIXES:
        raise CatalogError(f"{path.name}：只能读取 .txt、.html、.docx 或 .pdf 格式的规划文件")
    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise CatalogError(f"{path.name}：文件 {size // 1048576} MB，超过 50 MB 上限")
        content = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"{path.name}：无法读取（{exc.strerror or exc}）") from exc
    if not content.strip():
        raise CatalogError(f"{path.name}：文件是空的")
    try:
        if suffix == ".txt":
            text = _decoded(content)
        elif suffix in (".html", ".htm"):
            text = _html_text(content)
        elif suffix == ".docx":
            text = _docx_text(path)
        else:
            text = _pdf_text(path)
    except CatalogError:
        raise
    except Exception as exc:  # a damaged file: said in one line, whatever the library raised
        raise CatalogError(
            f"{path.name}：文件已损坏或格式不对，无法读取（{type(exc).__name__}）"
        ) from exc
    if not text.strip():
        raise CatalogError(f"{path.name}：没有读到文字")
    return Plan(path.name, hashlib.sha256(content).hexdigest(), text)


def _decoded(content: bytes) -> str:
    """UTF-8 (with or without BOM) as most sites save; else what charset-normalizer finds
    (GB18030 for files saved by older Chinese software)."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if content.startswith(bom):
            return content.decode(encoding, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content, cp_isolation=["gb18030", "big5", "utf_16"]).best()
    encoding = best.encoding if best is not None else "gb18030"
    return content.decode(encoding, errors="replace")


def _html_text(content: bytes) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(content, "html.parser")
    for tag in soup(HTML_NOISE):
        tag.decompose()
    for tag in soup.select("[class]"):
        classes = " ".join(tag.get("class") or [])
        if any(word in classes.lower() for word in ("nav", "footer", "menu", "breadcrumb")):
            tag.decompose()
    body = soup.body or soup
    # each cell of a table on its own line, as the plan texts saved from web pages have them
    return "\n".join(line.strip() for line in body.get_text("\n").splitlines() if line.strip())


def _docx_text(path: Path) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if not cells or cells[-1] != text:  # a merged cell repeats itself
                        cells.append(text)
                lines.append("\t".join(cells))
    return "\n".join(lines)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise CatalogError(f"{path.name}：PDF 已加密，请先去掉密码")
    pages = [page.extract_text() or "" for page in reader.pages[:500]]
    text = "\n".join(pages)
    if len(text.strip()) < 20:
        raise CatalogError(
            f"{path.name}：PDF 中没有文字层（可能是扫描件），"
            "请先做文字识别（OCR）或改用网页、Word 版本"
        )
    return text
