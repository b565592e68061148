"""Drafting a catalog from a plan's text: notations, tables, formats, the review page, use."""

import os
import subprocess
import sys

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators import load
from indicators.catalog import CatalogError, lint
from indicators.drafting import catalog_document, draft
from indicators.model import Catalog
from indicators.plans import read_plan
from tests.conftest import ROOT, cell_of, district_file, needs_program, pairs, run, to_pdf

TITLE = "某市“一老一小”整体解决方案（2026-2030年）\n"


def drafted(text: str) -> list[tuple]:
    """(name, unit, year, comparator, value, scope) of every drafted target."""
    return [(t.name, t.unit, t.year, t.comparator, t.value, t.scope) for t in draft(text).targets]


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("到2030年，全市养老床位总数达到2.6万张。",
         ("养老床位总数", "张", 2030, "≥", 26000.0, "city")),
        ("到2030年，养老机构护理型床位占比不低于60%。",
         ("养老机构护理型床位占比", "%", 2030, "≥", 60.0, "city")),
        ("到2028年，普惠托位占比达到60%以上。", ("普惠托位占比", "%", 2028, "≥", 60.0, "city")),
        ("到2030年，二级以上综合医院设置老年医学科的比例超过80%。",
         ("二级以上综合医院设置老年医学科的比例", "%", 2030, ">", 80.0, "city")),
        ("到2030年，普惠托育服务价格不高于当地同类服务市场价格的70%。",
         ("普惠托育服务价格占当地同类服务市场价格的比例", "%", 2030, "≤", 70.0, "city")),
        ("到2030年，人均预期寿命达到82岁左右。", ("人均预期寿命", "岁", 2030, "≈", 82.0, "city")),
        ("到2030年，力争全市每千人口拥有3岁以下婴幼儿托位数达到5.5个。",
         ("每千人口拥有3岁以下婴幼儿托位数", "个", 2030, "≥", 5.5, "city")),
        ("到2030年，每千名老年人配备1名社会工作者。",
         ("每千名老年人配备社会工作者数", "名", 2030, "≥", 1.0, "city")),
        ("到2027年，各县区至少建有1所老年大学。",
         ("老年大学数", "所", 2027, "≥", 1.0, "each_district")),
        ("到2028年，每个街道建设1个综合养老服务中心。",
         ("综合养老服务中心数", "个", 2028, "≥", 1.0, "each_sub_unit")),
        ("到2030年，95%以上的社区建有多功能日间照料机构。",
         ("建有多功能日间照料机构的社区占比", "%", 2030, "≥", 95.0, "city")),
        ("新建住宅小区配套托育服务设施覆盖率达到100%。",  # no year: the plan's last
         ("新建住宅小区配套托育服务设施覆盖率", "%", 2030, "≥", 100.0, "city")),
        ("到2030年，养老机构护理型床位占比提高到55%以上。",
         ("养老机构护理型床位占比", "%", 2030, "≥", 55.0, "city")),
        ("到2030年，婴儿死亡率降低到3‰。", ("婴儿死亡率", "‰", 2030, "≤", 3.0, "city")),
        ("到2030年，全市建成社区嵌入式托育点不少于100个。",
         ("社区嵌入式托育点数", "个", 2030, "≥", 100.0, "city")),
        ("2027年市级建成l个示范性托育服务中心。",  # a letter l typed for the digit 1
         ("示范性托育服务中心数", "个", 2027, "≥", 1.0, "city")),
    ],
)  # fmt: skip
def test_one_target_in_running_text(passage, expected):
    assert drafted(TITLE + passage) == [expected]


def test_a_range_is_read_with_both_ends():
    [target] = draft(TITLE + "到2028年，培育2~3个养老实训基地。").targets
    assert (target.comparator, target.value, target.high, target.year) == ("range", 2, 3, 2028)


def test_milestones_lists_and_shared_names():
    assert drafted(TITLE + "到2027年，特殊困难老年人月探访率达到90%，到2030年达到100%。") == [
        ("特殊困难老年人月探访率", "%", 2027, "≥", 90.0, "city"),
        ("特殊困难老年人月探访率", "%", 2030, "≥", 100.0, "city"),
    ]
    assert drafted(TITLE + "到2030年，全市培养培训100名养老院院长、800名养老护理员。") == [
        ("养老院院长数", "名", 2030, "≥", 100.0, "city"),
        ("养老护理员数", "名", 2030, "≥", 800.0, "city"),
    ]
    names = [t[0] for t in drafted(TITLE + "到2030年，养老、托育服务设施配建率分别达到100%、60%。")]
    assert names == ["养老服务设施配建率", "托育服务设施配建率"]


def test_baselines_from_the_sentence_or_a_past_figure():
    [raised] = draft(TITLE + "到2030年，老年人健康管理率由2025年的65%提高到75%。").targets
    assert (raised.name, raised.value, raised.baseline) == ("老年人健康管理率", 75, (2025, 65))
    text = TITLE + "截至2025年底，全市养老床位总数2.1万张。到2030年，全市养老床位总数达到2.6万张。"
    [target] = draft(text).targets
    assert (target.year, target.value, target.baseline) == (2030, 26000, (2025, 21000))


def test_relative_and_unquantified_goals_are_listed_not_numbers():
    result = draft(
        TITLE + "到2030年，托育服务覆盖率提高5个百分点，养老服务消费规模翻一番，"
        "社区养老服务设施全覆盖，普惠托位数量增长10%，普遍建立家庭养老支持政策。"
    )
    assert result.targets == []
    assert [g.words for g in result.goals] == [
        "提高5个百分点",
        "翻一番",
        "全覆盖",
        "增长10%",
        "普遍建立",
    ]


def test_past_figures_and_long_term_aims_are_not_targets():
    text = TITLE + (
        "据统计，2016年至2020年，全市60岁以上老年人口从59.7万人增加到71.48万人。"
        "全市已建成养老机构128家。中长期实现普惠价格不高于市场价格的70%。"
    )
    assert drafted(text) == []


CELL_TABLE = """养老服务发展指标表
序号
指  标
2025年
2030年
指标属性
1
机构养老床位数(个)
39000
47000
预期性
2
护理型床位占比(%)
54
70
约束性
3
人均预期寿命(岁)
80.5
81.5左右
预期性
"""


def test_a_table_with_one_cell_per_line_as_web_pages_give_it():
    result = draft(TITLE + CELL_TABLE)
    rows = [(t.name, t.unit, t.year, t.comparator, t.value, t.baseline, t.attribute, t.domain)
            for t in result.targets]  # fmt: skip
    assert rows == [
        ("机构养老床位数", "个", 2030, "≥", 47000, (2025, 39000), "expected", "养老"),
        ("护理型床位占比", "%", 2030, "≥", 70, (2025, 54), "binding", "养老"),
        ("人均预期寿命", "岁", 2030, "≈", 81.5, (2025, 80.5), "expected", "养老"),
    ]
    assert result.targets[1].quote == "养老服务发展指标表 2 护理型床位占比(%) 54 70 约束性"


def test_a_table_with_a_row_per_line_as_word_gives_it():
    text = TITLE + "托育服务发展指标表\n序号\t指标名称\t单位\t2025年\t2030年\t指标属性\n"
    text += "1\t托位总数\t个\t11500\t33000\t预期性\n2\t婴幼儿入托率\t%\t2.3\t13.3\t约束性\n"
    assert [(t.name, t.unit, t.value, t.attribute, t.domain) for t in draft(text).targets] == [
        ("托位总数", "个", 33000, "expected", "托育"),
        ("婴幼儿入托率", "%", 13.3, "binding", "托育"),
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("到年2025,，。；%个张以上不低于达到每个街道各县区的由提高\n\t序号指标1")
        )
        | st.characters(),
        max_size=300,
    )
)
def test_arbitrary_text_never_raises_and_always_makes_a_catalog(text):
    result = draft(text)
    document = catalog_document(result, catalog_id="x", seed="plan.txt", seed_sha256="0" * 64)
    Catalog.model_validate(document)


# --- formats ----------------------------------------------------------------------------------

PLAN = TITLE + "到2030年，全市养老床位总数达到2.6万张，养老机构护理型床位占比不低于60%。\n"


def test_text_in_gb18030_html_and_word(tmp_path):
    (tmp_path / "plan.txt").write_bytes(PLAN.encode("gb18030"))
    (tmp_path / "plan.html").write_text(
        "<html><head><script>var x = '到2030年，假目标达到99%';</script></head><body>"
        "<nav>首页 > 政务公开 到2030年导航达到1个</nav><div class='content'>"
        + "".join(f"<p>{line}</p>" for line in PLAN.splitlines())
        + "</div><footer>版权所有 2030年达到5个</footer></body></html>",
        encoding="utf-8",
    )
    import docx

    document = docx.Document()
    for line in PLAN.splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=2, cols=5)
    for cell, text in zip(table.rows[0].cells, ["序号", "指标", "2025年", "2030年", "指标属性"],
                          strict=True):  # fmt: skip
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["1", "托位总数(个)", "11500", "33000", "约束性"],
                          strict=True):  # fmt: skip
        cell.text = text
    document.save(tmp_path / "plan.docx")
    expected = [("养老床位总数", 26000.0), ("养老机构护理型床位占比", 60.0)]
    for name in ("plan.txt", "plan.html", "plan.docx"):
        plan = read_plan(tmp_path / name)
        found = [(t.name, t.value) for t in draft(plan.text).targets]
        if name == "plan.docx":
            assert found == [*expected, ("托位总数", 33000.0)], name
        else:
            assert found == expected, name


def test_pdf_with_text_and_scanned_pdf(tmp_path):
    needs_program("libreoffice")
    import openpyxl
    from pypdf import PdfWriter

    # Debian's LibreOffice here is Calc: the plan printed from a sheet is a PDF with text
    workbook = openpyxl.Workbook()
    for line in PLAN.splitlines():
        workbook.active.append([line])
    workbook.save(tmp_path / "plan.xlsx")
    plan = read_plan(to_pdf(tmp_path / "plan.xlsx", tmp_path))
    assert [(t.name, t.value) for t in draft(plan.text).targets] == [
        ("养老床位总数", 26000.0),
        ("养老机构护理型床位占比", 60.0),
    ]
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # a page with no text layer, as a scan has
    with open(tmp_path / "scan.pdf", "wb") as out:
        writer.write(out)
    with pytest.raises(CatalogError, match="没有文字层"):
        read_plan(tmp_path / "scan.pdf")


def cli(*args, cwd=None):
    env = {**os.environ, "VALIDATE_DATA_DIR": str((cwd or ROOT) / "data")}
    return subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), *map(str, args)],
        capture_output=True, text=True, env=env, timeout=180, cwd=cwd,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", None, "没有文字层"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "损坏"),
        ("empty.txt", b"", "空的"),
        ("plan.xls", b"whatever", "只能读取"),
    ],
)
def test_unreadable_plans_are_one_line_and_exit_2(tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        from pypdf import PdfWriter

        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        with open(path, "wb") as out:
            writer.write(out)
    else:
        path.write_bytes(content)
    result = cli("catalog", "draft", path, "--id", "x", "-o", tmp_path / "x.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.yaml").exists()


# --- the drafted catalog in use ---------------------------------------------------------------

NEXT_PLAN = (
    "某市“一老一小”整体解决方案（2026-2030年）\n"
    "一、发展目标\n"
    + CELL_TABLE
    + "到2030年，全市新建家庭养老床位5000张以上。到2028年，各县区至少建有1所老年大学。\n"
)


def test_draft_resolve_and_use_a_2026_to_2030_catalog(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(NEXT_PLAN, encoding="utf-8")
    output, review = tmp_path / "next.yaml", tmp_path / "review.html"
    result = cli("catalog", "draft", plan, "--id", "next", "--districts", "甲区,乙区",
                 "-o", output, "--review", review, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    # what a person must still decide is listed, and the file is not clean until then
    listed = cli("catalog", "lint", output, cwd=tmp_path)
    assert listed.returncode == 1 and "review" in listed.stdout
    # the person confirms every entry: review notes removed
    document = yaml.safe_load(output.read_text(encoding="utf-8"))
    document.pop("review", None)
    for entry in document["indicators"]:
        entry.pop("review", None)
    output.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    clean = cli("catalog", "lint", output, cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout  # quotes checked against the plan beside it
    shown = cli("catalog", "show", output, cwd=tmp_path)
    assert shown.returncode == 0 and "机构养老床位数" in shown.stdout
    loaded = load(str(output))
    codes = {i.name: i.code for i in loaded.catalog.indicators}
    assert loaded.catalog.last_target_year == 2030
    # the template for 2027, filled as a district would: clean
    filled = district_file(tmp_path, loaded, district="甲区", year=2027)
    assert pairs(run([filled], loaded)) == []
    checked = cli("check", filled, "--catalog", output, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # a district target (1000) below its own 2025 baseline for an increasing indicator: found
    beds = codes["机构养老床位数"]
    cell = cell_of(loaded.catalog, 2027, beds, 2030)
    low = district_file(tmp_path, loaded, district="甲区", year=2027, changes={cell: 1000},
                        name="low.xlsx")  # fmt: skip
    assert (cell, "direction") in pairs(run([low], loaded))


def test_review_page_marks_every_target_and_escapes_the_plan(tmp_path):
    plan = tmp_path / "plan.txt"
    hostile = "<script>alert(1)</script>到2030年，普惠托位占比达到60%以上。"
    extra = "\n托育服务覆盖率提高5个百分点。\n2029年全市托育机构有120家。\n"
    plan.write_text(NEXT_PLAN + hostile + extra, encoding="utf-8")
    review = tmp_path / "review.html"
    result = cli("catalog", "draft", plan, "--id", "next", "-o", tmp_path / "n.yaml",
                 "--review", review, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    soup = BeautifulSoup(review.read_text(encoding="utf-8"), "html.parser")
    entries = soup.select("#entries tbody tr")
    marks = soup.select("#plan mark.target")
    assert len(entries) == len(marks) == 6
    assert [m.find("sup").text for m in marks] == [str(n) for n in range(1, 7)]
    assert soup.find("script") is None  # the plan's text is text, never markup
    assert "<script>alert(1)</script>" in soup.select_one("#plan").text
    assert [li.strong.text for li in soup.select("#goals li")] == ["提高5个百分点"]
    assert len(soup.select("#unread li")) == 1  # 2029年…120家: a year and a number, no target
    assert "每个区县" in entries[4].text  # 各县区至少建有1所 → the scope is shown


def test_review_page_as_a_person_sees_it(tmp_path, chromium):
    plan = tmp_path / "plan.txt"
    plan.write_text(NEXT_PLAN, encoding="utf-8")
    review = tmp_path / "review.html"
    assert cli("catalog", "draft", plan, "--id", "next", "-o", tmp_path / "n.yaml",
               "--review", review, cwd=tmp_path).returncode == 0  # fmt: skip
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    page.goto(review.as_uri())
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    assert (tmp_path / "review.png").stat().st_size > 10_000
    plan_box = page.locator("#plan").bounding_box()
    table_box = page.locator("#entries").bounding_box()
    assert plan_box["x"] + plan_box["width"] <= table_box["x"]  # side by side
    assert page.locator("mark.target").count() == 5
    page.close()


def test_drafted_seed_plans_recover_the_hand_written_catalogs(plan_texts):
    """bench/drafting.py's comparison: ≥ 95% of hand-written targets, ≤ 10% extra entries."""
    folder = plan_texts
    sys.path.insert(0, str(ROOT / "bench"))
    from drafting import compare

    from indicators import catalog_ids

    for cid in catalog_ids():
        row = compare(cid, folder)
        assert row["recovered"] / row["hand"] >= 0.95, (cid, [m.name for m in row["missed"]])
        assert len(row["extra"]) / row["drafted"] <= 0.10, (cid, [e.name for e in row["extra"]])


def test_drafted_seed_catalogs_lint_except_for_review(plan_texts):
    """Every seed plan drafts into a catalog that loads; its only problems are review notes."""
    folder = plan_texts
    for path in sorted(folder.glob("*.txt")):
        plan = read_plan(path)
        document = catalog_document(draft(plan.text), catalog_id="x", seed=plan.name,
                                    seed_sha256=plan.sha256, districts=("甲区",))  # fmt: skip
        problems = lint_document(document)
        assert all(p.path.endswith("review") for p in problems), (path.name, problems)


def lint_document(document):
    from indicators.catalog import lint_catalog

    return lint_catalog(Catalog.model_validate(document))


def test_lint_accepts_a_path(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text((ROOT / "indicators" / "catalogs" / "qinghai.yaml").read_text("utf-8"), "utf-8")
    assert lint(str(path)) == []


def test_a_catalog_drafted_from_word_lints_its_quotes_against_the_word_file(tmp_path):
    import docx

    document = docx.Document()
    for line in PLAN.splitlines():
        document.add_paragraph(line)
    document.save(tmp_path / "plan.docx")
    output = tmp_path / "w.yaml"
    result = cli("catalog", "draft", tmp_path / "plan.docx", "--id", "w", "--districts", "甲区",
                 "-o", output, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(output.read_text("utf-8"))
    data.pop("review", None)
    output.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    assert cli("catalog", "lint", output, cwd=tmp_path).returncode == 0
    data["indicators"][0]["source"]["quote"] = "原文里没有的一句话"
    output.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    changed = cli("catalog", "lint", output, cwd=tmp_path)
    assert changed.returncode == 1 and "原文中找不到" in changed.stdout
