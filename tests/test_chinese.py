"""Every word a user reads is Chinese: command help, messages for broken files, CSV headers and
rule names. English stays only in file names, flags, codes and the names of formats and
products (Excel, WPS, CSV, JSON …)."""

import io
import json
import re
import zipfile

import pytest

from expectations import validate
from indicators import catalog_ids
from submissions import read_submissions
from tests.conftest import district_file
from tests.hostile import (
    DISTRICT,
    YEAR,
    district_workbook,
    minimal_xlsx,
    xls_biff,
    xls_document,
    xls_rows,
)
from tests.test_cli import cli

# names of formats and products a Chinese clerk reads as they are
NAMES = {
    "Excel", "WPS", "CSV", "JSON", "HTML", "YAML", "XML", "PDF", "Word", "Python", "API",
    "FastAPI", "GX", "Great", "Expectations", "Data", "Docs", "pandera", "SHA", "Unicode",
    "DOCTYPE", "UTF", "GB", "GBK", "xlsx", "xls", "csv", "docx", "yaml", "html", "txt", "pdf",
}  # fmt: skip
WORD = re.compile(r"[A-Za-z][A-Za-z]+")


def english_words(text: str, also: set[str] = frozenset()) -> list[str]:
    """ASCII words that are not a format's or product's name, a flag, a path or a code."""
    text = re.sub(r"(?<![\w])--?[a-z][a-z-]*", " ", text)  # flags
    text = re.sub(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", " ", text)  # settings (VALIDATE_…)
    text = re.sub(r"\{[^}]*\}", " ", text)  # argparse's lists of choices
    text = re.sub(r"[\w./-]*[/.][\w./-]+", " ", text)  # paths, files, dotted codes
    return [w for w in WORD.findall(text) if w not in NAMES and w not in also]


def test_the_detector_finds_english():
    assert english_words("文件已损坏（File is not a zip file）") == [
        "File",
        "is",
        "not",
        "zip",
        "file",
    ]
    assert english_words("请用 Excel 或 WPS 打开后另存为 .xlsx：--catalog yantai.yaml") == []


COMMANDS = [
    [], ["check"], ["batch"], ["evaluate"], ["template"], ["export"], ["recheck"],
    ["review"], ["review", "list"], ["review", "approve"], ["review", "return"],
    ["review", "reopen"], ["serve"], ["users"], ["users", "add"], ["users", "token"],
    ["users", "passwd"], ["catalog"], ["catalog", "list"], ["catalog", "show"],
    ["catalog", "lint"], ["catalog", "draft"],
]  # fmt: skip
# the commands' own names, and the codes their choices take
CODES = {
    "check", "batch", "evaluate", "template", "export", "recheck", "review", "serve", "users",
    "catalog", "list", "approve", "return", "reopen", "add", "token", "revoke", "disable",
    "enable", "passwd", "show", "lint", "draft", "uploaded", "submitted", "returned", "approved",
    "district", "reviewer", "gx", "summary", "VALIDATE_SEEDS_DIR", *catalog_ids(),
}  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "validate.py" for c in COMMANDS])
def test_help_is_chinese(command):
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "用法：" in result.stdout and "usage" not in result.stdout
    assert english_words(result.stdout, CODES) == [], result.stdout


def test_template_help_lists_districts_and_the_default_year_it_uses(tmp_path):
    result = cli("template", "--help")
    assert "yantai（烟台市）：芝罘区、福山区" in result.stdout
    assert "缺省为上一年度，但不晚于规划的最后目标年" in result.stdout
    made = cli("template", "--catalog", "yantai", "--district", "芝罘区", "-o", tmp_path / "t.xlsx")
    assert made.returncode == 0, made.stderr
    assert "芝罘区 2025年填报模板" in made.stderr  # late 2026: last year, the plan's final year


@pytest.mark.parametrize(
    "arguments",
    [["check"], ["check", "x.xlsx", "--catalog", "yantai", "--year", "二〇二五"],
     ["export", "--catalog", "yantai", "--format", "csv"], ["bogus"],
     ["check", "x.xlsx", "--catalog", "yantai", "--nonsense"]],
)  # fmt: skip
def test_usage_errors_are_one_chinese_line(arguments):
    result = cli(*arguments)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("用法错误：")
    assert english_words(line, CODES | {"nonsense", "bogus", "x"}) == [], line


def _zip_with(sheet: bytes, extra=None) -> bytes:
    return minimal_xlsx(sheet, extra)


SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def broken_files(folder, loaded) -> dict[str, bytes]:
    """What arrives broken: cut off in transit, damaged inside, renamed, empty of sense."""
    whole = district_workbook(folder, loaded, "whole.xlsx").read_bytes()
    old = xls_document(xls_biff(xls_rows(folder, loaded)))
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("说明.txt", "not a workbook")
    return {
        "cut-10.xlsx": whole[: len(whole) // 10],
        "cut-50.xlsx": whole[: len(whole) // 2],
        "cut-95.xlsx": whole[: len(whole) * 95 // 100],
        "cut-50.xls": old[: len(old) // 2],
        "ole-garbage.xls": old[:512] + bytes(range(256)) * 40,
        "zip-of-text.xlsx": plain_zip.getvalue(),
        "string-index.xlsx": _zip_with(
            SHEET + b'<sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData>'
            b"</worksheet>"
        ),
        "cell-without-row.xlsx": _zip_with(
            SHEET + b'<dimension ref="A:B"/><sheetData><row r="1"><c r="A"><v>1</v></c></row>'
            b"</sheetData></worksheet>"
        ),
        "unclosed-xml.xlsx": _zip_with(SHEET + b"<sheetData><row><c><v>1</v>"),
        "long-field.csv": (
            '区县,年份,指标,数值\n芝罘区,2023,"' + "很长" * 80_000 + '",1\n'
        ).encode(),
        "quote-garbage.csv": b'\xef\xbb\xbf"a,b\n"c"d"e,f\n' * 3,
    }


def test_broken_files_are_told_in_chinese_with_the_library_words_kept_apart(tmp_path, yantai):
    paths = []
    for name, content in broken_files(tmp_path, yantai).items():
        path = tmp_path / f"{DISTRICT}-{YEAR}-{name}"
        path.write_bytes(content)
        paths.append(path)
    results = validate(read_submissions(paths, yantai.catalog), yantai).results
    details = 0
    for path, result in zip(paths, results, strict=True):
        for finding in result.findings:
            assert english_words(finding.message) == [], (path.name, finding.message)
            assert english_words(finding.expected or "") == [], (path.name, finding.expected)
        if result.submission.unreadable:
            [finding] = result.findings
            details += finding.detail is not None
    assert details >= 6  # the library's own words are kept where a library failed


def test_the_json_keeps_the_library_detail(tmp_path, yantai):
    path = tmp_path / f"{DISTRICT}-{YEAR}.xlsx"
    path.write_bytes(district_workbook(tmp_path, yantai, "w.xlsx").read_bytes()[:3000])
    result = cli("check", path, "--catalog", "yantai", "--json", tmp_path / "r.json")
    assert result.returncode == 1
    [submission] = json.loads((tmp_path / "r.json").read_text("utf-8"))["submissions"]
    [finding] = submission["findings"]
    assert finding["message"].startswith("无法读取文件：文件不是有效的 .xlsx")
    assert "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传" in finding["message"]
    assert finding["detail"] and english_words(finding["detail"])  # the library's own words


def test_csv_and_terminal_name_rules_in_chinese(tmp_path, yantai):
    from tests.conftest import cell_of

    changes = {
        cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023): 0.62,
        cell_of(yantai.catalog, 2023, "institution_beds", 2023): "待统计",
        cell_of(yantai.catalog, 2023, "newborn_visit_rate", 2023): 125,
    }
    path = district_file(tmp_path, yantai, changes=changes)
    result = cli("check", path, "--catalog", "yantai", "--csv", tmp_path / "f.csv")
    assert result.returncode == 1
    rows = (tmp_path / "f.csv").read_text("utf-8-sig").splitlines()
    header, *lines = rows
    assert english_words(header) == []
    for line in lines:
        fields = line.split(",")
        # file (a path), sheet and cell are names; every other column is read by people
        readable = ",".join(fields[1:7] + fields[10:])
        assert english_words(readable) == [], line
    assert "百分比不能填成小数" in "\n".join(lines) and "percent.fraction" not in "\n".join(lines)
    assert english_words(result.stdout, {"x"}) == [], result.stdout


def test_the_instructions_name_every_rule_a_clerk_can_break_in_the_rule_tables_order():
    from expectations.rules import NOT_IN_INSTRUCTIONS, RULES
    from submissions.instructions import CLERK_WORDS

    assert list(CLERK_WORDS) == [code for code in RULES if code not in NOT_IN_INSTRUCTIONS]
    for code, words in CLERK_WORDS.items():
        assert english_words(words) == [], code


def test_the_templates_instructions_are_the_rule_tables(tmp_path, yantai):
    import openpyxl

    from submissions.instructions import CLERK_WORDS
    from submissions.template import write_template

    path = write_template(tmp_path / "t.xlsx", yantai.catalog, "芝罘区", 2025)
    sheet = openpyxl.load_workbook(path)["填报说明"]
    text = "\n".join(str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0])
    for words in CLERK_WORDS.values():
        assert words in text
    assert "本区县的目标不能低于本区县自己的基期值" in text  # the clerk who copies 不低于95%
    assert "普惠托位 ≤ 托位总数" in text  # the catalog's own relations
    assert "十、" in text and "芝罘区、福山区" in text


def visible_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "title"]):
        hidden.decompose()
    return soup.get_text(" ")


def test_pages_are_chinese(tmp_path, yantai):
    """The dashboard and a result page as a person reads them: codes only in data attributes."""
    from reports.html import write_html
    from tests.conftest import cell_of, run

    changes = {
        cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023): 0.62,
        cell_of(yantai.catalog, 2023, "places_per_1000_people", 2023): 310,
        cell_of(yantai.catalog, 2023, "institution_beds", 2023): "待统计",
    }
    paths = [district_file(tmp_path, yantai, changes=changes)]
    dashboard = write_html(run(paths, yantai), tmp_path / "html")
    pages = [dashboard, *sorted((tmp_path / "html" / "submissions").glob("*.html"))]
    for page in pages:
        text = visible_text(page.read_text("utf-8"))
        text = re.sub(r"\b[0-9a-f]{12,}\b", " ", text)  # content hashes
        text = re.sub(r"\b[A-Z]{1,3}[0-9]+\b", " ", text)  # cell addresses
        # the catalog's code is what --catalog takes: shown as 代码 yantai
        assert english_words(text, set(catalog_ids())) == [], page.name
    result = visible_text(pages[1].read_text("utf-8"))
    assert "疑似多乘了100" in result and "百分比不能填成小数" in result
    assert re.search(r"\d{4,}%|-\d+%", result) is None  # no "265600%", no "-167%"
    assert "已超过目标" in result
    assert "percent.fraction" in pages[1].read_text("utf-8")  # for tools, in data-rule
