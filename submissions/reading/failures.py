"""What a reading library's failure means for the clerk, in Chinese with what to do; the
library's own words are kept as the finding's `detail` (log and JSON), never in the message."""

from __future__ import annotations

from submissions.finding import CannotContinue

RESAVE = "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
NOT_XLSX = f"文件不是有效的 .xlsx（可能改过扩展名或未下载完整）：{RESAVE}"
NOT_XLS = f"文件不是有效的 .xls（Excel 97–2003 格式已损坏或不完整）：{RESAVE}"
DAMAGED_INSIDE = f"工作簿内部的数据已损坏（单元格地址或共享文字表有误）：{RESAVE}"
UNKNOWN_FORMAT = f"无法识别的文件格式（不是 .xlsx、.xls 或 CSV，或文件已损坏）：{RESAVE}"
BAD_CSV = (
    "CSV 文件的格式有误（某一格过长、引号不成对或含有空字符）：请用 Excel 打开后另存为 .xlsx 再上传"
)

# (words a library writes, lower case) → the sentence for the clerk; the first that matches
LIBRARY_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    # zipfile, and calamine on a zip
    (
        (
            "not a zip file",
            "bad magic number",
            "truncated file header",
            "bad crc-32",
            "zip",
            "error -3 while decompressing",
            "unexpected end of data",
            "invalid stored block",
            "end of central directory",
        ),
        NOT_XLSX,
    ),
    # olefile, xlrd and calamine on an .xls
    (
        (
            "ole2",
            "ole file",
            "ole sector",
            "incorrect ole",
            "cfb",
            "unsupported format, or corrupt file",
            "bof",
            "biff",
            "xls error",
        ),
        NOT_XLS,
    ),
    # calamine and openpyxl on a damaged sheet or shared strings
    (
        (
            "range is missing",
            "shared strings",
            "string index",
            "cell reference",
            "invalid dimension",
            "xml",
            "mismatched tag",
            "not well-formed",
            "unclosed token",
            "syntax error",
        ),
        DAMAGED_INSIDE,
    ),
    (("cannot detect file format", "unsupported file", "unknown format"), UNKNOWN_FORMAT),
)


def in_chinese(exc: BaseException, fallback: str = UNKNOWN_FORMAT) -> str:
    """The sentence a clerk reads for a library's exception; `fallback` also stands for "format
    not recognised" when the file's first bytes already said what it claims to be."""
    said = f"{type(exc).__name__} {exc}".lower()
    for words, sentence in LIBRARY_WORDS:
        if any(word in said for word in words):
            return fallback if sentence == UNKNOWN_FORMAT else sentence
    return fallback


def library_detail(exc: BaseException) -> str:
    """What the library said, on one line, for the log and the JSON's `detail`."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


def cannot_read(
    exc: BaseException, fallback: str = UNKNOWN_FORMAT, where: str = ""
) -> CannotContinue:
    """The one exception, with the Chinese sentence (after `where`, e.g. 工作表“指标填报”) and
    the library's words as detail."""
    return CannotContinue(where + in_chinese(exc, fallback), detail=library_detail(exc))
