"""Reports people read: HTML pages parsed as HTML, annotated workbooks reopened and converted."""

import re

import openpyxl
import pytest
from bs4 import BeautifulSoup

from reports.annotate import write_annotated
from reports.html import write_html
from tests.conftest import ROOT, cell_of, district_file, run, to_pdf

Y = 2023
EXTERNAL = re.compile(r"^(https?:|//|ftp:)", re.IGNORECASE)


@pytest.fixture
def outcome_and_paths(tmp_path, yantai):
    bad = cell_of(yantai.catalog, Y, "nursing_bed_share", Y)
    text = cell_of(yantai.catalog, Y, "childcare_places", Y)
    paths = [
        district_file(tmp_path, yantai),
        district_file(
            tmp_path,
            yantai,
            district="福山区",
            changes={bad: 125, text: "<script>alert(1)</script>"},
            notes={"nursing_bed_share": "<b>口径</b>调整"},
        ),
    ]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    paths.append(broken)
    return run(paths, yantai), paths, {"bad": bad, "text": text}


def _soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_submission_page(tmp_path, outcome_and_paths):
    outcome, _paths, cells = outcome_and_paths
    write_html(outcome, tmp_path / "html")
    pages = sorted((tmp_path / "html" / "submissions").glob("*.html"))
    assert len(pages) == 3
    clean, bad, broken = (_soup(p) for p in pages)
    assert clean.find(id="status").get_text().startswith("通过")
    assert bad.find(id="status").get_text().startswith("有错误")
    assert broken.find(id="status").get_text().startswith("无法读取")
    rows = bad.find(id="findings").find("tbody").find_all("tr")
    result = outcome.results[1]
    assert len(rows) == len(result.findings)
    positions = [row.find_all("td")[4].get_text() for row in rows]
    assert f"指标填报!{cells['bad']}" in positions and f"指标填报!{cells['text']}" in positions
    facts = bad.find(id="facts").get_text()
    assert result.submission.sha256 in facts and "福山区" in facts and "yantai" in facts
    indicators = bad.find(id="indicators").find("tbody").find_all("tr")
    assert len(indicators) == 25
    binding = [r for r in indicators if r.find(class_="binding")]
    assert len(binding) == sum(
        1 for i in outcome.loaded.catalog.indicators if i.required and i.binding
    )
    assert all(r.find("svg") for r in indicators if r.find_all("td")[3].get_text().strip())
    assert "口径" in bad.find(id="findings").get_text()  # the 备注 explanation is shown


def test_pages_written_by_worker_processes_are_the_same(tmp_path, outcome_and_paths, monkeypatch):
    import reports.html

    outcome, _paths, _cells = outcome_and_paths
    write_html(outcome, tmp_path / "one", validated_at="2026-11-23 10:00")
    monkeypatch.setattr(reports.html, "PARALLEL_PAGES", 2)
    write_html(outcome, tmp_path / "two", validated_at="2026-11-23 10:00", workers=2)
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.html"))
    two = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*.html"))
    assert one == two and len(one) == 4  # three pages and the dashboard
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_spreadsheet_text_is_escaped_and_nothing_is_external(tmp_path, outcome_and_paths):
    outcome, _paths, _cells = outcome_and_paths
    dashboard = write_html(outcome, tmp_path / "html")
    for page in [dashboard, *(tmp_path / "html" / "submissions").glob("*.html")]:
        text = page.read_text(encoding="utf-8")
        soup = BeautifulSoup(text, "html.parser")
        assert len(soup.find_all("script")) == 1 and not soup.find("script").get("src")
        assert not soup.find_all("b")  # the <b> from a 备注 cell stays text
        for tag in soup.find_all(True):
            for attribute in ("src", "href", "action", "data"):
                value = tag.get(attribute)
                assert not (value and EXTERNAL.match(value)), (page, tag)
        assert "@import" not in text and "url(" not in text
    bad = (tmp_path / "html" / "submissions").glob("0002-*.html")
    text = next(bad).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_dashboard(tmp_path, outcome_and_paths, yantai):
    outcome, _paths, _cells = outcome_and_paths
    dashboard = write_html(outcome, tmp_path / "html")
    soup = _soup(dashboard)
    rows = soup.find(id="matrix").find("tbody").find_all("tr")
    assert [r["data-status"] for r in rows] == ["ok", "error", "unreadable"]
    for row in rows:
        link = row.find("a")["href"]
        assert (dashboard.parent / link).is_file()
        assert len(row.find_all("td")) == 5 + 25
    bad_row = rows[1].find_all("td")
    assert "sev-error" in bad_row[5 + 2]["class"]  # 护理型床位占比 is the third indicator
    missing = [s.get_text() for s in soup.find(id="missing-units").find_all(class_="missing-unit")]
    assert missing == [
        u for u in yantai.catalog.reporting_units.required if u not in ("芝罘区", "福山区")
    ]


def test_dashboard_lists_aggregate_findings(tmp_path, yantai):
    paths = [
        district_file(tmp_path, yantai, district=d, share=1 / 12)
        for d in yantai.catalog.reporting_units.required
    ]
    outcome = run(paths, yantai)
    soup = _soup(write_html(outcome, tmp_path / "html"))
    rows = soup.find(id="aggregate").find("tbody").find_all("tr")
    assert len(rows) == len(outcome.batch_findings) > 0
    missing = soup.find(id="missing-units")
    assert not missing.find_all(class_="missing-unit")  # every required unit has reported
    assert missing.get_text().strip().startswith("选报未报：烟台经济技术开发区")


def test_annotated_workbook(tmp_path, outcome_and_paths):
    outcome, paths, cells = outcome_and_paths
    written = write_annotated(outcome, tmp_path / "annotated", {str(p): p for p in paths})
    assert len(written) == 2  # the broken file has nothing to annotate
    workbook = openpyxl.load_workbook(written[1])
    sheet = workbook["指标填报"]
    assert sheet[cells["bad"]].fill.fgColor.rgb.endswith("FFC7CE")
    assert "125" in sheet[cells["bad"]].comment.text
    assert sheet[cells["text"]].comment is not None
    untouched = cell_of(outcome.loaded.catalog, Y, "institution_beds", Y)
    assert sheet[untouched].comment is None and sheet[untouched].fill.fgColor.rgb in (
        None,
        "00000000",
    )
    assert "A1:I1" in {str(r) for r in sheet.merged_cells.ranges}  # merged title kept
    assert workbook.sheetnames == ["指标填报", "填报说明", "校验问题"]
    findings = workbook["校验问题"]
    assert findings.max_row == 1 + len(outcome.results[1].findings)
    assert sheet.data_validations.dataValidation  # the template's validation survives


def test_annotated_csv_submission_becomes_a_workbook(tmp_path, yantai):
    lines = ["区县,年份,指标,数值", "芝罘区,2023,护理型床位占比,130", "芝罘区,2023,=1+1,5"]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = run([path], yantai)
    (written,) = write_annotated(outcome, tmp_path / "annotated", {str(path): path})
    sheet = openpyxl.load_workbook(written)["long"]
    assert sheet["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["C3"].value == "=1+1" and sheet["C3"].data_type == "s"


def test_annotated_unicode_text_is_split_as_the_reader_split_it(tmp_path, yantai):
    # Excel's "Unicode 文本": UTF-16 with BOM, tab-separated, a comma inside a cell
    lines = ["区县\t年份\t指标\t数值\t备注", "芝罘区\t2023\t护理型床位占比\t130\t含新建,改建"]
    path = tmp_path / "unicode.txt"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    outcome = run([path], yantai)
    (written,) = write_annotated(outcome, tmp_path / "annotated", {str(path): path})
    sheet = openpyxl.load_workbook(written)["unicode"]
    assert sheet["D2"].value == "130" and sheet["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["E2"].value == "含新建,改建"


def test_annotated_workbook_opens_in_libreoffice(tmp_path, outcome_and_paths):
    outcome, paths, _cells = outcome_and_paths
    written = write_annotated(outcome, tmp_path / "annotated", {str(p): p for p in paths})
    assert to_pdf(written[1], tmp_path).stat().st_size > 0


def test_a_page_with_50000_findings_lists_the_first_of_each_rule(tmp_path, yantai):
    from dataclasses import replace

    from expectations import Result
    from reports.html import FIRST_PER_RULE, environment, submission_page
    from reports.terminal import summary
    from submissions import Finding

    outcome = run([district_file(tmp_path, yantai)], yantai)
    kinds = (("value.number", "type", 30_000), ("value.max", "range", 20_000))
    many = [
        Finding(rule=rule, category=category, severity="error", file="f.xlsx", sheet="数据",
                cell=f"D{row}", indicator_name="护理型床位占比", message=f"第 {row} 行有误")
        for rule, category, rows in kinds
        for row in range(2, rows + 2)
    ]  # fmt: skip
    result = Result(outcome.results[0].submission, many)
    page = submission_page(replace(outcome, results=[result]), result, {}, "2026-11-29")
    html = environment().get_template("submission.html").render(page=page)
    assert len(html.encode()) < 2_000_000
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("#findings tbody tr")) == 2 * FIRST_PER_RULE
    counts = {tr["data-rule"]: tr.select("td")[1].get_text()
              for tr in soup.select("#rule-counts tbody tr")}  # fmt: skip
    assert counts == {"value.number": "30000", "value.max": "20000"}
    titles = [tr.select("td")[0].get_text() for tr in soup.select("#rule-counts tbody tr")]
    assert titles == ["数值格必须是数字", "百分比不超过 100，其他指标不超过其上限"]
    assert "CSV" in soup.select_one("#capped").get_text()
    text = summary(replace(outcome, results=[result]))
    assert "数值格必须是数字 30000 条（数据!D2、数据!D3" in text and len(text.splitlines()) < 50


def test_findings_lists_share_one_layout(tmp_path, outcome_and_paths):
    import csv

    from reports.annotate import FINDINGS_SHEET
    from reports.csv_report import HEADER, write_csv
    from reports.service.views.submission import _csv

    outcome, paths, _cells = outcome_and_paths
    write_csv(outcome, tmp_path / "f.csv")
    with open(tmp_path / "f.csv", encoding="utf-8-sig", newline="") as source:
        from_batch = list(csv.reader(source))
    written = write_annotated(outcome, tmp_path / "annotated", {str(p): p for p in paths})
    sheet = openpyxl.load_workbook(written[1])[FINDINGS_SHEET]
    from_copy = [[c.value for c in row] for row in sheet.iter_rows()]
    result = outcome.results[1]
    stored = [f.as_dict() for f in result.findings]
    served = list(csv.reader(_csv(stored, "x.xlsx").decode("utf-8-sig").splitlines()))
    assert from_batch[0] == served[0] == HEADER
    # the annotated copy's list is that file's: numbered, without the file column
    assert from_copy[0] == ["编号", *HEADER[1:]]
    copied = [["" if v is None else str(v) for v in row[1:]] for row in from_copy[1:]]
    assert sorted(copied) == sorted(row[1:] for row in served[1:])
    severity = HEADER.index("严重程度")
    assert {row[severity] for row in served[1:]} <= {"错误", "警告", "提示"}
    assert len(served) - 1 == len(result.findings) == len(from_copy) - 1


def test_a_long_file_of_many_districts_lists_a_few_values_per_indicator(tmp_path, yantai):
    """One file holding 60 districts: each indicator's row lists VALUES_SHOWN values and says
    how many more there are, rather than all of them."""
    import sys

    from reports.html import VALUES_SHOWN, write_html

    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import long_workbook

    path = long_workbook(districts=60, path=tmp_path / "long.xlsx")
    outcome = run([path], yantai)
    dashboard = write_html(outcome, tmp_path / "html")
    page = next((dashboard.parent / "submissions").glob("*.html"))
    soup = _soup(page)
    beds = next(
        tr for tr in soup.select("#indicators tbody tr") if "机构养老床位数" in tr.get_text()
    )
    listed = beds.select("td")[3]
    assert len(listed.select("div.num")) == VALUES_SHOWN
    assert "另有" in listed.select_one("div.more").get_text()


def test_a_capped_page_from_the_findings_table_is_the_page_from_the_records(
    tmp_path, yantai, monkeypatch
):
    """Past PAGE_FINDINGS a page is made from the findings table, only the findings it lists
    made into records; it is the page the records give."""
    import sys

    import reports.html as html

    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import long_workbook

    monkeypatch.setattr(html, "PAGE_FINDINGS", 10)
    monkeypatch.setattr(html, "FIRST_PER_RULE", 3)
    path = long_workbook(districts=20, random_values=True, path=tmp_path / "random.xlsx")
    outcome = run([path], yantai)
    result = outcome.results[0]
    values = html.values_by_file(outcome).get(result.submission.file, {})
    from_table = html.submission_page(outcome, result, values, "2026-11-29")
    assert not result.materialised  # only the listed findings were made into records
    assert len(result) > 100 and from_table["capped"]["total"] == len(result)
    assert len({row["rule"] for row in from_table["findings"]}) > 3
    result.findings  # noqa: B018 - made into records: the page from them
    assert result.materialised
    assert html.submission_page(outcome, result, values, "2026-11-29") == from_table
