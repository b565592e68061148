"""Reviewers in the service: the evaluation of stored uploads and a district across periods."""

import io
from urllib.parse import quote

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.conftest import cell_of, district_file, post_file, signed_in


def _upload_periods(tmp_path, service, yantai):
    app, _store, _names, tokens = service
    client = TestClient(app)
    for year, changes in (
        (2023, {}),
        (2025, {cell_of(yantai.catalog, 2025, "nursing_bed_share", 2025): 64}),
    ):
        path = district_file(tmp_path, yantai, year=year, changes=changes, name=f"zf{year}.xlsx")
        response = post_file(client, "/api/submissions", tokens["zf"], path.read_bytes())
        assert response.status_code == 201, response.text
    fushan = district_file(tmp_path, yantai, district="福山区", year=2025, name="fs2025.xlsx")
    assert post_file(client, "/api/submissions", tokens["fs"], fushan.read_bytes()).is_success


def test_reviewer_reads_the_evaluation_of_stored_uploads(tmp_path, service, yantai):
    _upload_periods(tmp_path, service, yantai)
    app, _store, names, _tokens = service
    reviewer, _ = signed_in(app, names["rev"])
    page = reviewer.get("/evaluation")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    highlights = soup.select_one("#highlights").get_text()
    assert "芝罘区 滞后或未完成的约束性指标：护理型床位占比" in highlights
    assert "莱山区" in highlights  # not submitted
    nursing = soup.select_one('#city tr[data-code="nursing_bed_share"]')
    # 芝罘区 64%, 福山区 70%, the parts of the city's rate not sent: no city figure to judge
    assert nursing["data-class"] == "unknown" and "莱山区未报" in nursing.get_text()
    assert "“护理型床位数”汇总" in nursing.get_text()
    assert "约束性指标8项：" in soup.select_one("#summary").get_text()
    mid_term = BeautifulSoup(reviewer.get("/evaluation?year=2023").text, "html.parser")
    assert "2023年" in mid_term.select_one("h1").get_text()
    assert "基本符合预期（暂定）" in mid_term.select_one("#city").get_text()
    assert "时序进度 50%" in mid_term.select_one("#details").get_text()
    wrong = reviewer.get("/evaluation?year=abc")
    assert wrong.status_code == 400 and "四位年份" in wrong.text
    word = reviewer.get(soup.select_one("#docx-link")["href"])
    assert word.status_code == 200 and word.content[:2] == b"PK"
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "一、总体情况" in text and "莱山区" in text
    district, _ = signed_in(app, names["zf"])
    assert district.get("/evaluation").status_code == 403
    assert district.get("/evaluation.docx").status_code == 403


def test_district_history_page(tmp_path, service, yantai):
    _upload_periods(tmp_path, service, yantai)
    app, _store, names, _tokens = service
    own, _ = signed_in(app, names["zf"])
    page = own.get(f"/districts/{quote('芝罘区')}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    headers = [th.get_text() for th in soup.select("#district-history thead th")]
    assert any(h.startswith("2023年") for h in headers) and any(
        h.startswith("2025年") for h in headers
    )
    links = {a["href"] for a in soup.select("#district-history thead a")}
    assert len(links) == 2  # each period's latest upload
    row = next(
        tr for tr in soup.select("#district-history tbody tr") if "护理型床位占比" in tr.get_text()
    )
    assert "64" in row.get_text() and row.select_one("svg") is not None
    # a district sees only its own; a reviewer sees every district of the catalog
    assert own.get(f"/districts/{quote('福山区')}").status_code == 404
    reviewer, _ = signed_in(app, names["rev"])
    assert reviewer.get(f"/districts/{quote('福山区')}").status_code == 200
    other, _ = signed_in(app, names["lz"])
    assert other.get(f"/districts/{quote('芝罘区')}").status_code == 404
