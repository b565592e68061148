"""The end-of-period evaluation: JSON, page, workbook; the dashboard and broken files."""

import io
import json
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from bs4 import BeautifulSoup

from expectations.evaluation import evaluate
from reports.evaluation_report import evaluation_document
from reports.html import write_html
from tests.conftest import cell_of, district_file, needs_program, run, to_pdf
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
                 "--html", out, "--xlsx", out / "e.xlsx", "--docx", out / "e.docx")  # fmt: skip
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
    # the city's rate from its declared composition (护理型床位 ÷ 机构床位), 海阳市 and 栖霞市
    # missing: a provisional 未完成, naming both
    assert (nursing["class"], nursing["provisional"], nursing["city"]["met"]) == (
        "missed",
        True,
        False,
    )
    assert "海阳市未报" in nursing["reason"] and "栖霞市文件无法读取" in nursing["reason"]
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
    assert beds["class"] == "unknown" and "只是全市合计的下限" in beds["reason"]
    assert "海阳市未报" in beds["reason"]
    assert document["headline"].startswith("约束性指标8项：")
    assert "海阳市未报" in document["headline"]
    assert document["method"]["on_track_tolerance"] == 0.1
    assert document["warnings"] == []  # at the target year nothing is projected
    assert document["missing_districts"] == ["海阳市"]
    assert document["unreadable_districts"] == ["栖霞市"]  # received, not "not submitted"


def test_evaluation_summary_for_a_leader(evaluated):
    _out, stdout = evaluated
    assert "约束性指标8项：已完成" in stdout
    assert "福山区 滞后或未完成的约束性指标：护理型床位占比、预防接种率" in stdout
    assert "应报未报：海阳市" in stdout and "已报送但文件无法读取：栖霞市" in stdout


def test_evaluation_page(evaluated):
    out, _stdout = evaluated
    soup = BeautifulSoup((out / "evaluation.html").read_text(encoding="utf-8"), "html.parser")
    assert "约束性指标8项：" in soup.select_one("#summary").get_text()
    nursing = soup.select_one('#city tr[data-code="nursing_bed_share"]')
    assert nursing["data-class"] == "missed" and "未完成（暂定）" in nursing.get_text()
    assert "时序进度" in soup.select_one("#method").get_text()
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
    assert fills["已完成"] == "C6EFCE" and fills["未完成"] == "FFC7CE"
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


WRITER = "/usr/lib/libreoffice/program/libswlo.so"  # LibreOffice Writer, for .docx


def test_evaluation_word_draft(evaluated, tmp_path):
    from docx import Document

    out, _stdout = evaluated
    document = Document(str(out / "e.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "烟台市“一老一小”规划2025年目标完成情况评估报告（初稿）" in text
    for heading in ("一、总体情况", "二、各项指标完成情况", "三、滞后和未完成的指标", "四、预警"):
        assert heading in text
    assert "约束性指标8项：" in text and "海阳市" in text and "栖霞市" in text
    assert "福山区滞后或未完成的约束性指标：护理型床位占比、预防接种率。" in text
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == [
        "指标",
        "属性",
        "规划目标",
        "全市",
        "评判",
        "理由",
    ]
    assert len(table.rows) == 1 + 38
    nursing = next(r for r in table.rows if r.cells[0].text == "护理型床位占比")
    assert nursing.cells[4].text == "未完成（暂定）" and "海阳市未报" in nursing.cells[5].text
    needs_program(WRITER)
    pdf = to_pdf(out / "e.docx", tmp_path)  # LibreOffice opens and prints it
    from pypdf import PdfReader

    printed = PdfReader(str(pdf))
    assert 1 <= len(printed.pages) <= 6
    assert "护理型床位占比" in "".join(page.extract_text() for page in printed.pages)


def test_evaluation_page_prints_on_at_most_six_a4_pages(evaluated, chromium):
    from pypdf import PdfReader

    out, _stdout = evaluated
    page = chromium.new_page()
    page.goto((out / "evaluation.html").as_uri())
    pdf = page.pdf(prefer_css_page_size=True)
    svg = page.locator("svg.evaluation-chart").first
    labels = svg.locator("text").all_text_contents()
    page.close()
    printed = PdfReader(io.BytesIO(pdf))
    assert len(printed.pages) <= 6
    width, height = (float(v) for v in printed.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)  # A4 across
    # bars carry their values, the target line its label, absent districts are drawn as such
    assert "目标 70%" in labels and "64" in labels and "70" in labels
    assert "未报" in labels  # 海阳市
    assert "无" in labels or "未报" in labels


def shifted_catalog(folder: Path, years: int) -> Path:
    """Yantai's indicators as a 2026–2030 plan: every baseline and target `years` later."""
    from indicators import load

    data = load("yantai").catalog.model_dump(mode="json")
    data["id"], data["name"] = "yantai_2030", "烟台市“一老一小”整体解决方案（2026—2030年）"
    for indicator in data["indicators"]:
        for part in ("baseline", "target"):
            if indicator.get(part):
                indicator[part]["year"] += years
    path = folder / "yantai_2030.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_a_2026_2030_plan_evaluated_mid_term_in_2028(tmp_path):
    """No year is assumed: a plan from 2026 to 2030, judged in 2028 at half time."""
    from indicators import load
    from submissions.template import template_cell, write_template
    from tests.samples import plausible_values

    path = shifted_catalog(tmp_path, 5)
    catalog = load(str(path)).catalog
    folder = tmp_path / "reports"
    folder.mkdir()
    for district in ("芝罘区", "福山区", "牟平区"):
        values = plausible_values(catalog, 2028)
        if district == "福山区":  # stuck near its 2026 baseline on a binding share
            values["nursing_bed_share"] = {2026: 54.0, 2027: 55.0, 2028: 55.0}
        write_template(folder / f"{district}-2028.xlsx", catalog, district, 2028, values)
    assert template_cell(catalog, 2028, "nursing_bed_share", 2028)  # a column for 2028
    out = tmp_path / "out"
    result = cli("evaluate", folder, "--catalog", path, "--year", "2028",
                 "--json", out / "e.json", "--docx", out / "e.docx")  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads((out / "e.json").read_text("utf-8"))
    assert document["year"] == 2028
    nursing = _indicator(document, "nursing_bed_share")
    assert _district(nursing, "芝罘区")["class"] == "on_track"
    assert "时序进度 50%" in _district(nursing, "芝罘区")["reason"]  # (2028−2026)/(2030−2026)
    fushan = _district(nursing, "福山区")
    assert fushan["class"] == "behind" and "基期2026年 54%" in fushan["reason"]
    assert fushan["projection"]["year"] == 2030 and fushan["projection"]["met"] is False
    warned = {(w["code"], w["who"]) for w in document["warnings"]}
    assert ("nursing_bed_share", "福山区") in warned
    assert ("nursing_bed_share", "芝罘区") not in warned
    assert document["headline"].startswith("约束性指标8项：")
    assert "海阳市未报" in document["headline"]
    words = json.dumps(
        [document["headline"], [i["reason"] for i in document["indicators"]]], ensure_ascii=False
    )
    assert "2025" not in words and "2021" not in words
