"""The end-of-period evaluation: JSON, page, workbook; the dashboard and broken files."""

import json
import sys
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from expectations.evaluation import evaluate
from reports.evaluation_report import evaluation_document
from reports.html import write_html
from tests.conftest import cell_of, district_file, run, to_pdf
from tests.test_cli import cli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "submissions" / "examples"))
import make_examples  # noqa: E402


@pytest.fixture(scope="module")
def final_reports(tmp_path_factory) -> Path:
    """The bundled 2025 end-of-period reports, rebuilt here; 栖霞市's file arrives broken."""
    folder = tmp_path_factory.mktemp("yantai-2025")
    make_examples.yantai_final(folder)
    (folder / "栖霞市-2025.xlsx").write_bytes(b"PK\x03\x04 cut off in transit")
    return folder


@pytest.fixture(scope="module")
def evaluated(final_reports, tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluation")
    result = cli("evaluate", final_reports, "--catalog", "yantai", "--json", out / "e.json",
                 "--html", out, "--xlsx", out / "e.xlsx")  # fmt: skip
    assert result.returncode == 1, result.stderr  # 栖霞市's file could not be read
    return out, result.stdout


def _indicator(document, code):
    return next(i for i in document["indicators"] if i["code"] == code)


def _district(indicator, name):
    return next(d for d in indicator["districts"] if d["district"] == name)


def test_evaluation_json(evaluated):
    out, _stdout = evaluated
    document = json.loads((out / "e.json").read_text(encoding="utf-8"))
    assert {"catalog", "year", "indicators", "missing_districts"} <= set(document)
    assert (document["catalog"], document["year"]) == ("yantai", 2025)
    first = document["indicators"][0]
    assert {"code", "name", "binding", "city", "districts"} <= set(first)
    assert {"value", "target", "comparator", "met"} <= set(first["city"])
    assert {"district", "value", "target", "met", "progress"} <= set(first["districts"][0])
    binding = [i["binding"] for i in document["indicators"]]
    assert binding == sorted(binding, reverse=True)  # binding (约束性) first
    nursing = _indicator(document, "nursing_bed_share")  # binding rate ≥ 70
    assert _district(nursing, "福山区")["met"] is False
    assert _district(nursing, "芝罘区")["met"] is True
    assert nursing["city"]["met"] is False  # a district short of a binding rate target
    visits = _indicator(document, "newborn_visit_rate")  # 莱州市 wrote 125%
    assert (_district(visits, "莱州市")["status"], _district(visits, "莱州市")["met"]) == (
        "wrong",
        None,
    )
    assert _district(visits, "莱州市")["progress"] is None
    pension = _indicator(document, "pension_insurance_coverage")  # 莱阳市 wrote 待统计
    assert _district(pension, "莱阳市")["status"] == "wrong"
    beds = _indicator(document, "institution_beds")  # additive: the sum against the city target
    values = [d["value"] for d in beds["districts"] if d["value"] is not None]
    assert beds["city"]["value"] == pytest.approx(sum(values))
    assert beds["city"]["met"] is None  # 海阳市 has not reported: the sum is not complete
    assert document["missing_districts"] == ["海阳市"]
    assert document["unreadable_districts"] == ["栖霞市"]  # received, not "not submitted"


def test_evaluation_summary_for_a_leader(evaluated):
    _out, stdout = evaluated
    assert "约束性指标 8 项" in stdout
    assert "福山区 未达到的约束性指标：护理型床位占比、预防接种率" in stdout
    assert "应报未报：海阳市" in stdout and "已报送但文件无法读取：栖霞市" in stdout


def test_evaluation_page(evaluated):
    out, _stdout = evaluated
    soup = BeautifulSoup((out / "evaluation.html").read_text(encoding="utf-8"), "html.parser")
    assert "未达标 3 项" in soup.select_one("#summary").get_text()
    highlights = soup.select_one("#highlights").get_text()
    assert "福山区" in highlights and "海阳市" in highlights and "栖霞市" in highlights
    rows = soup.select("#city tbody tr")
    assert rows[0].select_one(".binding") is not None
    assert len(soup.select("svg.evaluation-chart")) >= 1
    assert not soup.find_all(src=True) and not soup.select("link")  # nothing external


def test_evaluation_workbook(evaluated, tmp_path):
    out, _stdout = evaluated
    workbook = openpyxl.load_workbook(out / "e.xlsx")
    assert workbook.sheetnames[0] == "汇总" and {"养老", "托育"} <= set(workbook.sheetnames)
    sheet = workbook["养老"]
    assert sheet.freeze_panes == "A2"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    fills = {
        row[7].value: row[7].fill.fgColor.rgb[-6:]
        for row in sheet.iter_rows(min_row=2)
        if row[7].value
    }
    assert fills["达标"] == "C6EFCE" and fills["未达标"] == "FFC7CE"
    to_pdf(out / "e.xlsx", tmp_path)  # LibreOffice opens and prints it


def test_evaluation_page_in_chromium(evaluated, chromium):
    out, _stdout = evaluated
    requests = []
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "evaluation.html").as_uri())
    shot = page.screenshot(full_page=True)
    assert page.locator("#city tbody tr").count() >= 25
    page.close()
    assert len(shot) > 20_000
    assert [u for u in requests if not u.startswith("file:")] == []


def test_a_district_whose_file_is_broken_is_received_not_missing(tmp_path, yantai):
    broken = tmp_path / "栖霞市-2023.xlsx"
    broken.write_bytes(b"PK\x03\x04 cut off")
    outcome = run([district_file(tmp_path, yantai), broken], yantai)
    assert outcome.results[1].submission.district == "栖霞市"
    soup = BeautifulSoup(write_html(outcome, tmp_path / "html").read_text("utf-8"), "html.parser")
    assert "栖霞市" in soup.select_one("#unreadable-units").get_text()
    not_submitted = soup.select_one("#missing-units").get_text().split("应报未报")[-1]
    assert "栖霞市" not in not_submitted and "蓬莱区" in not_submitted


def test_progress_is_not_drawn_through_a_wrong_value(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={cell: 125})], yantai)
    page = write_html(outcome, tmp_path / "html")
    [submission] = (tmp_path / "html" / "submissions").glob("*.html")
    soup = BeautifulSoup(submission.read_text("utf-8"), "html.parser")
    row = soup.select_one('#indicators tr[data-code="nursing_bed_share"]')
    assert "数据有误" in row.get_text()
    assert "%" not in row.select("td")[6].get_text()
    assert page.exists()


def test_evaluation_in_process_matches_the_cli(final_reports):
    from indicators import load

    loaded = load("yantai")
    outcome = run(sorted(final_reports.iterdir()), loaded)
    document = evaluation_document(evaluate(outcome))
    assert _district(_indicator(document, "places_per_1000_people"), "牟平区")["met"] is False
