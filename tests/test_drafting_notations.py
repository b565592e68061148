"""Drafting plans nobody wrote the rules on: each notation real plans use, on a passage written
for it; years from paragraphs and headings; increments and milestones in the drafted catalog;
drafts that pass their own lint but for what a person must decide; the collected passages."""

import sys

import pytest
import yaml
from bs4 import BeautifulSoup

from indicators.catalog import lint
from indicators.drafting import catalog_document, draft
from tests.conftest import ROOT
from tests.test_drafting import TITLE, cli


def drafted(text: str) -> list[tuple]:  # (unit, year, comparator, value, high, scope)
    return [(t.unit, t.year, t.comparator, t.value, t.high, t.scope) for t in draft(text).targets]


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        # comparators as symbols, in a list
        ("到2030年，人均预期寿命≥80岁、家庭病床占比≥2%。",
         [("岁", 2030, "≥", 80.0, None, "city"), ("%", 2030, "≥", 2.0, None, "city")]),
        ("到2030年，学前教育毛入园率大于90%，城镇登记失业率小于5%。",
         [("%", 2030, ">", 90.0, None, "city"), ("%", 2030, "<", 5.0, None, "city")]),
        # ranges: another dash, a unit at both ends
        ("到2030年，每千名老年人养老床位达到30—35张。",
         [("张", 2030, "range", 30.0, 35.0, "city")]),
        ("到2030年，每千名老年人养老床位30张~35张。",
         [("张", 2030, "range", 30.0, 35.0, "city")]),
        # 达 / 为 / no verb at all
        ("到2030年，平均受教育年限达11.5年。", [("年", 2030, "≥", 11.5, None, "city")]),
        ("到2030年，人均体育场地面积2.8平方米。", [("平方米", 2030, "≥", 2.8, None, "city")]),
        ("到2030年，每百户居民拥有社区综合服务设施面积大于20平方米。",
         [("平方米", 2030, ">", 20.0, None, "city")]),
        ("到2030年，人均期望寿命将实现为83岁。", [("岁", 2030, "≥", 83.0, None, "city")]),
        # Chinese numerals that are quantities
        ("到2030年，建成区域养老服务中心五个以上。", [("个", 2030, "≥", 5.0, None, "city")]),
        ("到2030年，每个县至少有一所县级特困人员供养服务设施。",
         [("所", 2030, "≥", 1.0, None, "each_district")]),
        ("到2030年，建成两个市级示范性托育服务中心。", [("个", 2030, "≥", 2.0, None, "city")]),
        # the target is the second number; the first is where it starts
        ("到2030年，每千人口托位数由1.5个提高到4个。", [("个", 2030, "≥", 4.0, None, "city")]),
        # two shares in one sentence, the verb said once
        ("到2030年，80%以上的乡镇和50%以上的村建有综合养老服务设施。",
         [("%", 2030, "≥", 80.0, None, "city"), ("%", 2030, "≥", 50.0, None, "city")]),
        # 共 is a total across districts, 每个 asks it of each
        ("到2030年，各县区共建成普惠托育机构不少于6个，每个县区建成1个婴幼儿照护服务指导中心。",
         [("个", 2030, "≥", 6.0, None, "city"), ("个", 2030, "≥", 1.0, None, "each_district")]),
        # two years, one value each, in order
        ("到2028年和2030年，居民健康素养水平分别不低于30%和35%。",
         [("%", 2028, "≥", 30.0, None, "city"), ("%", 2030, "≥", 35.0, None, "city")]),
        # lower is better; per 100,000 written two ways
        ("到2030年，婴儿死亡率4.5‰，孕产妇死亡率降至12/10万，肺结核发病率降至10万分之50。",
         [("‰", 2030, "≤", 4.5, None, "city"), ("/10万", 2030, "≤", 12.0, None, "city"),
          ("/10万", 2030, "≤", 50.0, None, "city")]),
        # 亿 without a unit, and 万亿
        ("到2030年，经常参加体育锻炼的人数达5亿，体育产业总规模达到3万亿元。",
         [("人", 2030, "≥", 5e8, None, "city"), ("元", 2030, "≥", 3e12, None, "city")]),
        # a remark in brackets is where things stand, not a target
        ("到2030年，个人卫生支出占卫生总费用的比重降至25%左右(目前29.3%)。",
         [("%", 2030, "≈", 25.0, None, "city")]),
    ],
)  # fmt: skip
def test_each_notation_on_a_passage_written_for_it(passage, expected):
    assert drafted(TITLE + passage) == expected


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("到2030年，新增护理型床位1.2万张。", ("张", 12000.0)),
        ("到2030年，继续增加10万个普惠托位。", ("个", 100000.0)),
        ("到2030年，改扩建敬老院12所。", ("所", 12.0)),
    ],
)
def test_increments_are_drafted_as_what_is_added(passage, expected):
    [target] = draft(TITLE + passage).targets
    assert (target.unit, target.value, target.increment) == (*expected, True)
    [entry] = catalog_document(
        draft(TITLE + passage), catalog_id="x", seed="p.txt", seed_sha256="0" * 64
    )["indicators"]
    assert entry["increment"] == {"reported": "yearly", "since": 2025}
    assert any("新增类指标" in note for note in entry["review"])


def test_a_paragraphs_year_governs_its_later_sentences_and_is_quoted():
    text = TITLE + (
        "到2028年，逐步健全婴幼儿照护服务体系。有条件的县区建设达标机构，每千人口拥有托位数4.1个。\n"
        "到2030年，每千人口托位数达到4.5个以上。\n"
        "——到2027年底前要实现的目标\n"
        "农村社区综合服务设施覆盖率达到50%\n"
        "志愿服务参与率达到20%\n"
    )
    result = draft(text)
    assert [(t.year, t.value) for t in result.targets] == [
        (2028, 4.1), (2030, 4.5), (2027, 50.0), (2027, 20.0)
    ]  # fmt: skip
    assert result.targets[0].quote == "到2028年……有条件的县区建设达标机构，每千人口拥有托位数4.1个"
    document = catalog_document(result, catalog_id="x", seed="p.txt", seed_sha256="0" * 64)
    places = next(i for i in document["indicators"] if i["target"]["value"] == 4.5)
    # one indicator, a target for each year, no "year not written" note: the paragraph says it
    assert [m["year"] for m in places["milestones"]] == [2028]
    assert not any("年份" in note for note in places.get("review", []))


def test_traditional_characters_are_read_and_quoted_as_written():
    [target] = draft(TITLE + "到2030年，養老機構床位將達到6萬張。").targets
    assert (target.name, target.value, target.unit) == ("养老机构床位数", 60000.0, "张")
    assert target.quote == "到2030年，養老機構床位將達到6萬張"  # word for word, not converted


def test_looking_back_and_past_years_give_no_targets_but_are_listed_to_read():
    text = TITLE + (
        "一、发展基础\n"
        "“十四五”期间，全市新增养老床位5000张，护理型床位占比达到55%。\n"
        "2024年全市托育机构有120家。\n"
        "二、主要目标\n"
        "到2030年，护理型床位占比达到65%以上。\n"
    )
    result = draft(text)
    assert [(t.year, t.value) for t in result.targets] == [(2030, 65.0)]
    unread = [result.text[a:b] for a, b in result.unread]
    assert "2024年全市托育机构有120家" in unread
    assert any("5000张" in sentence for sentence in unread)


def test_tables_without_a_number_column_and_tables_printed_from_a_pdf():
    numbered = TITLE + (
        "“十五五”教育事业发展主要指标\n指  标\n2025年\n2030年\n属性\n一、发展水平\n"
        "1.学前教育毛入园率(%)\n95%\n98%以上\n约束性\n"
        "2.义务教育标准班额比例(%)\n其中:小学\n初中\n80%\n85%\n95%以上\n98%以上\n预期性\n"
    )
    assert [(t.value, t.attribute) for t in draft(numbered).targets] == [
        (98.0, "binding"), (95.0, "expected"), (98.0, "expected")
    ]  # fmt: skip
    spaced = TITLE + (
        "     指 标                          2030 年       属 性\n"
        "1.残疾人职业技能培训人数(万人)         >4            预期性\n"
        "2.困难残疾人生活补贴覆盖率(%)          100           约束性\n"
    )
    assert [(t.comparator, t.value, t.unit) for t in draft(spaced).targets] == [
        (">", 40000.0, "人"), ("≥", 100.0, "%")
    ]  # fmt: skip


CITY_PLAN = (
    "某市“一老一小”整体解决方案（2023-2025年）\n"
    "到2023年,全市养老服务床位数达到1.35万张。引导养老机构开展失能老年人长期照护,"
    "养老机构中护理型床位占比不低于50%。每个县至少有一所专业照护为主的县级特困供养服务设施。\n"
    "到2025年,全市养老服务床位数达到1.7万张,养老机构中护理型床位占比不低于55%。\n"
    "到2023年,积极开展普惠性托育机构创建工作,每千人口拥有托位数4.1个。\n"
    "到2025年,各县区共建成达标的婴幼儿照护机构不少于6个,建成至少一个市级示范性托育服务中心。"
    "每千人口托位数达到4.5个以上。\n"
)


def test_a_drafted_plan_passes_its_own_lint_but_for_what_a_person_must_decide(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    output = tmp_path / "catalogs" / "city.yaml"
    drafting = cli("catalog", "draft", plan, "--id", "city", "-o", output, cwd=tmp_path)
    assert drafting.returncode == 0, drafting.stderr
    assert (output.parent / "plan.txt").is_file()  # the plan beside its catalog
    document = yaml.safe_load(output.read_text(encoding="utf-8"))
    by_name = {i["name"]: i for i in document["indicators"]}
    beds = by_name["养老服务床位数"]
    assert [beds["target"]["year"], *(m["year"] for m in beds["milestones"])] == [2025, 2023]
    assert by_name["达标的婴幼儿照护机构数"]["target"].get("scope", "city") == "city"
    problems = lint(str(output))
    assert problems and all(p.pending for p in problems), problems
    assert any("reporting_units:" in p.message for p in problems)  # says how to add them
    linted = cli("catalog", "lint", output, cwd=tmp_path)
    assert "未核对规划原文" not in linted.stderr  # the plan beside the YAML was found
    # a quote that is not in the plan is found even while review notes remain
    written = output.read_text(encoding="utf-8")
    assert "失能老年人长期照护" in written
    changed = written.replace("失能老年人长期照护", "失能老人长期照护")
    output.write_text(changed, encoding="utf-8")
    tampered = cli("catalog", "lint", output, cwd=tmp_path)
    assert "原文中找不到" in tampered.stdout, tampered.stdout


def test_a_catalog_without_reporting_units_says_how_to_add_them(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    output = tmp_path / "city.yaml"
    assert cli("catalog", "draft", plan, "--id", "city", "-o", output, cwd=tmp_path).returncode == 0
    for command in (
        ["template", "--catalog", output, "--district", "甲区", "-o", tmp_path / "t.xlsx"],
        ["template", "--catalog", output, "--layout", "summary", "-o", tmp_path / "s.xlsx"],
        ["check", plan, "--catalog", output],
        ["batch", tmp_path, "--catalog", output],
        ["evaluate", tmp_path, "--catalog", output],
    ):
        done = cli(*command, cwd=tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        assert "reporting_units: {required: [" in done.stderr, (command, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_review_page_lists_every_sentence_with_a_number_that_gave_no_target(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(
        CITY_PLAN + "全市现有托育机构120家。\n这份方案由21个部门共同制定。\n", encoding="utf-8"
    )
    review = tmp_path / "review.html"
    done = cli("catalog", "draft", plan, "--id", "city", "-o", tmp_path / "c.yaml",
               "--review", review, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    soup = BeautifulSoup(review.read_text(encoding="utf-8"), "html.parser")
    unread = [li.text for li in soup.select("#unread li")]
    assert unread == ["全市现有托育机构120家", "这份方案由21个部门共同制定"]


def test_collected_plan_passages_are_drafted_right():
    """bench/drafting.py on the passages collected from published plans (none of the seeds):
    the set the rules were written on, and two sets labelled afterwards."""
    sys.path.insert(0, str(ROOT / "bench"))
    from drafting import FINAL, FRESH, HELD_OUT, PASSAGES, UNSEEN, passage_rows, totals

    # (least share right, most share extra): each set's present level, so that a change that
    # makes any of them worse fails; drafting_final.yaml was never tuned on (README, 质量)
    levels = {
        PASSAGES: (0.95, 0.05),
        HELD_OUT: (0.85, 0.15),
        FRESH: (0.80, 0.15),
        UNSEEN: (0.90, 0.15),
        FINAL: (0.85, 0.50),
    }
    for path, (right_share, extra_share) in levels.items():
        hand, right, drafted_entries, extra = totals(passage_rows(path))
        assert right / hand >= right_share, (path.name, right, hand)
        assert extra / drafted_entries <= extra_share, (path.name, extra, drafted_entries)
