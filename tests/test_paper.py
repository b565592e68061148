"""Templates, annotated copies and reports on A4 paper: page setup, LibreOffice and Chromium."""

import io
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from reports.annotate import FINDINGS_SHEET, write_annotated
from reports.html import write_html
from submissions.paper import ONE_PAGE_ROWS, PrintedTable, set_up_printing
from submissions.template import SHEET, columns_for, ordered_indicators, write_template
from tests.conftest import run, to_pdf
from tests.samples import plausible_values

YEAR = 2024


def _assert_prints_one_page_wide(sheet, header_rows: str, orientation: str) -> None:
    """header_rows as openpyxl reads them back, e.g. "$4:$4"."""
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.page_setup.orientation == orientation
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide; one page tall too when the table is short (a district's 40-odd rows)
    rows = int(str(sheet.print_area).rsplit("$", 1)[-1])
    tall = 1 if rows <= ONE_PAGE_ROWS else 0
    assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == tall
    assert sheet.print_title_rows == header_rows
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text


def _print_area_rows(sheet) -> int:
    area = str(sheet.print_area).split("!")[-1].replace("$", "")
    return int("".join(ch for ch in area.split(":")[1] if ch.isdigit()))


def _last_value_row(sheet) -> int:
    return max(c.row for row in sheet.iter_rows() for c in row if c.value not in (None, ""))


@pytest.fixture
def template(tmp_path, yantai) -> Path:
    path = tmp_path / "template.xlsx"
    values = plausible_values(yantai.catalog, YEAR)
    return write_template(path, yantai.catalog, "芝罘区", YEAR, values)


def test_template_prints_on_a4_one_page_wide(template):
    sheet = openpyxl.load_workbook(template)[SHEET]
    _assert_prints_one_page_wide(sheet, "$4:$4", "landscape")
    # the print area ends with the signature lines: no empty bordered area below them
    assert _print_area_rows(sheet) == _last_value_row(sheet)
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "单位（盖章）：" in texts and "填报人：" in texts


def test_filled_template_with_signature_lines_checks_clean(template, yantai):
    outcome = run([template], yantai)
    assert [(f.cell, f.category) for f in outcome.results[0].findings] == []


def _district_made_workbook(path: Path, yantai) -> Path:
    """A table as a clerk makes it, with no page setup of its own."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(["烟台市“一老一小”指标填报表（芝罘区）"])
    sheet.append(["填报单位：芝罘区", None, None, f"填报年度：{YEAR}"])
    sheet.append(["序号", "指标", "单位", f"{YEAR}年", "2025年目标", "指标属性", "备注"])
    required, _optional = ordered_indicators(yantai.catalog)
    values = plausible_values(yantai.catalog, YEAR)
    for number, indicator in enumerate(required, 1):
        sheet.append(
            [number, indicator.name, indicator.unit, values[indicator.code][YEAR], None, None]
        )
    for row in range(60, 80):  # borders far below the table, as copied-down formats leave them
        sheet.cell(row, 2).border = openpyxl.styles.Border(left=openpyxl.styles.Side("thin"))
    workbook.save(path)
    return path


def test_annotated_copy_gets_a_page_setup_where_it_had_none(tmp_path, yantai):
    source = _district_made_workbook(tmp_path / "zhifu.xlsx", yantai)
    outcome = run([source], yantai)
    [copy] = write_annotated(outcome, tmp_path / "annotated", {str(source): source})
    workbook = openpyxl.load_workbook(copy)
    sheet = workbook["Sheet1"]
    _assert_prints_one_page_wide(sheet, "$3:$3", "portrait")
    assert _print_area_rows(sheet) == _last_value_row(sheet) < 60
    _assert_prints_one_page_wide(workbook[FINDINGS_SHEET], "$1:$1", "landscape")


def test_annotated_copy_keeps_the_districts_own_page_setup(tmp_path, yantai):
    source = _district_made_workbook(tmp_path / "zhifu.xlsx", yantai)
    workbook = openpyxl.load_workbook(source)
    workbook["Sheet1"].print_area = "A1:D20"
    workbook["Sheet1"].page_setup.orientation = "landscape"
    workbook.save(source)
    outcome = run([source], yantai)
    [copy] = write_annotated(outcome, tmp_path / "annotated", {str(source): source})
    sheet = openpyxl.load_workbook(copy)["Sheet1"]
    assert str(sheet.print_area).endswith("$A$1:$D$20")
    assert sheet.page_setup.orientation == "landscape"
    assert not sheet.print_title_rows


# --- as printed -------------------------------------------------------------------------------


def _pdf_pages(path: Path, tmp_path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(to_pdf(path, tmp_path)).pages]


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _assert_names_beside_values(pages: list[str], catalog, values: dict, year: int) -> None:
    """Each indicator's name and its value for `year` are printed on the same page."""
    for indicator in catalog.indicators:
        value = values.get(indicator.code, {}).get(year)
        if value is None:
            continue
        name = indicator.name[:6]
        with_name = [i for i, text in enumerate(pages) if name in text]
        assert with_name, indicator.name
        assert any(_shown(value) in pages[i] for i in with_name), (indicator.name, value)


def test_template_as_printed_by_libreoffice(tmp_path, template, yantai):
    pages = _pdf_pages(template, tmp_path)
    # the table's pages: the title on the first, the header row repeated on every one
    table_pages = [text for text in pages if "序号 指标" in text]
    assert "填报单位：" in table_pages[0]
    assert 1 <= len(table_pages) <= 2  # was 5 pages, names on one and values on another
    _assert_names_beside_values(
        table_pages, yantai.catalog, plausible_values(yantai.catalog, YEAR), YEAR
    )
    assert "单位（盖章）" in table_pages[-1]
    assert "第 1 页" in pages[0]


def test_annotated_copy_as_printed_by_libreoffice(tmp_path, yantai):
    source = _district_made_workbook(tmp_path / "zhifu.xlsx", yantai)
    outcome = run([source], yantai)
    [copy] = write_annotated(outcome, tmp_path / "annotated", {str(source): source})
    pages = _pdf_pages(copy, tmp_path)
    table_pages = [text for text in pages if "填报单位：" in text]
    assert 1 <= len(table_pages) <= 2
    values = plausible_values(yantai.catalog, YEAR)
    required = {i.code for i in yantai.catalog.indicators if i.required}
    values = {code: v for code, v in values.items() if code in required}
    _assert_names_beside_values(table_pages, yantai.catalog, values, YEAR)


def _printed(browser, page_path: Path) -> list:
    from pypdf import PdfReader

    page = browser.new_page()
    page.goto(page_path.as_uri())
    pdf = page.pdf(prefer_css_page_size=True)
    page.close()
    return PdfReader(io.BytesIO(pdf)).pages


def test_submission_page_and_dashboard_print(tmp_path, yantai, chromium):
    # every value cell unreadable: enough findings for the table to run over a page
    catalog = yantai.catalog
    years = [year for year, _role in columns_for(catalog, YEAR).years]
    wrong = {i.code: dict.fromkeys(years, "abc") for i in catalog.indicators}
    path = write_template(tmp_path / "wrong.xlsx", catalog, "芝罘区", YEAR, wrong)
    dashboard = write_html(run([path], yantai), tmp_path / "html")
    [submission] = sorted((tmp_path / "html" / "submissions").glob("*.html"))

    pages = _printed(chromium, submission)
    # NFKC: Chromium's PDF text names some characters by their Kangxi radical forms
    texts = ["".join(unicodedata.normalize("NFKC", p.extract_text()).split()) for p in pages]
    assert len(pages) >= 2
    width, height = pages[0].mediabox.width, pages[0].mediabox.height
    assert abs(float(width) - 595) < 2 and abs(float(height) - 842) < 2  # A4 portrait
    assert all("全部严重程度" not in text and "返回汇总" not in text for text in texts)
    findings_pages = [text for text in texts if "不是数字" in text]
    assert len(findings_pages) >= 2
    assert all("严重程度类别指标" in text for text in findings_pages)  # the header repeated

    wide = _printed(chromium, dashboard)[0]
    assert float(wide.mediabox.width) > float(wide.mediabox.height)  # the matrix across A4


def test_annotated_copy_prints_its_reasons_on_a4(tmp_path, yantai):
    """Comments do not print: the copy says on paper which row has which problem (a number
    beside it, the 校验问题 sheet on A4 across with every reason), 备注 wraps, and a 填报说明
    sheet from an older template (one column wider than a page) is not cut at its edges."""
    source = _district_made_workbook(tmp_path / "zhifu.xlsx", yantai)
    workbook = openpyxl.load_workbook(source)
    sheet = workbook["Sheet1"]
    sheet["D5"] = 0.62  # a percent typed as a fraction: an error in row 5
    sheet["D6"] = "待统计"
    sheet["G7"] = (
        "本年度统计口径调整，数值与上年不可比，已报市统计局备案，详见随表报送的情况说明第三条"
    )
    instructions = workbook.create_sheet("填报说明")
    long_line = (
        "一、只在“指标填报”表的数值格中填写数字；不要改动指标名称、单位、指标属性和表头，" * 2
    )
    for row, text in enumerate(["填报说明", long_line, "二、百分比填百分数。"], 1):
        instructions.cell(row, 1, text)
    instructions.column_dimensions["A"].width = 110
    set_up_printing(instructions, PrintedTable(3, 1))
    workbook.save(source)
    outcome = run([source], yantai)
    [copy] = write_annotated(outcome, tmp_path / "annotated", {str(source): source})
    annotated = openpyxl.load_workbook(copy)
    data = annotated["Sheet1"]
    header = [c.value for c in data[3]]
    assert header[-1] == "校验问题编号"
    references = {row: data.cell(row, len(header)).value for row in (5, 6)}
    assert all(text and text.startswith("见 ") for text in references.values()), references
    assert data["G7"].alignment.wrap_text and data.row_dimensions[7].height > 15
    listed = annotated["校验问题"]
    assert listed.page_setup.orientation == "landscape" and listed.print_title_rows == "$1:$1"
    assert "文件" not in [c.value for c in listed[1]] and listed["A1"].value == "编号"
    number = int(references[5].removeprefix("见 ").split("、")[0])
    assert listed.cell(number + 1, 9).value == "D5"  # the number leads to that cell's row
    pages = _pdf_pages(copy, tmp_path)
    data_pages = [text for text in pages if "填报单位：" in text]
    assert "校验问题编号" in data_pages[0] and references[5] in "".join(data_pages)
    reason_pages = [text for text in pages if "备注中的解释" in text]
    assert reason_pages, pages
    title = listed.cell(number + 1, 5).value  # 规则: the rule's title, printed
    assert title and title in "".join(reason_pages).replace("\n", "")
    assert all(text.count("编号") >= 1 for text in reason_pages)  # header on every page
    told = "".join(text for text in pages if "填报说明" in text).replace("\n", "")
    assert long_line.replace("\n", "") in told  # whole: neither edge cut off
