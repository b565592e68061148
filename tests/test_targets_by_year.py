"""Targets by year and increments: an indicator with a 2023 milestone and a 2025 target is held
to the milestone in 2023 and to the target in 2025 by the checks, lint and the evaluation; an
increment ("新增…") is compared as the sum of the years' additions or the level less the base."""

import pytest
import yaml
from pydantic import ValidationError

from expectations.evaluation import judge
from indicators import load
from indicators.catalog import CATALOG_DIR, catalog_document, lint
from indicators.model import Indicator, ReportingUnits
from submissions.template import template_cell
from tests.conftest import district_file, pairs, rules_hit, run
from tests.test_city_results import item, reported, small

MILESTONE = {"year": 2023, "value": 62, "comparator": "≥", "text": "62%以上"}


def _yantai_with(tmp_path, change) -> object:
    """yantai.yaml with `change(document)` applied, loaded from a file of its own."""
    document = yaml.safe_load((CATALOG_DIR / "yantai.yaml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "yantai_by_year.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _indicator(document, code):
    return next(i for i in document["indicators"] if i["code"] == code)


def _with_milestone(document):
    _indicator(document, "nursing_bed_share")["milestones"] = [MILESTONE]


def test_targets_are_ordered_by_year_and_the_governing_one_is_the_next_ahead():
    base = load("yantai").catalog.indicator("nursing_bed_share")
    milestone = base.target.model_copy(update={"year": 2023, "value": 62, "text": "62%以上"})
    indicator = base.model_copy(update={"milestones": (milestone,)})
    assert [t.year for t in indicator.targets] == [2023, 2025]
    assert indicator.governing(2022).year == 2023 and indicator.governing(2023).year == 2023
    assert indicator.governing(2024).year == 2025 and indicator.governing(2027).year == 2025
    assert indicator.at(2023).target.value == 62 and indicator.at(2024) is indicator
    assert indicator.sets_target_for(2023) and not indicator.sets_target_for(2024)
    assert indicator.target_summary == f"2023年 62%以上；2025年 {base.target.text}"
    late = milestone.model_copy(update={"year": 2026})
    with pytest.raises(ValidationError, match="阶段目标的年份"):
        Indicator.model_validate({**base.model_dump(), "milestones": [late.model_dump()]})


def test_a_catalog_with_a_milestone_loads_lints_and_shows_every_target(tmp_path):
    path = _yantai_with(tmp_path, _with_milestone)
    assert [p for p in lint(str(path)) if "review" not in p.path] == []
    shown = catalog_document(load(str(path)))
    share = next(i for i in shown["indicators"] if i["code"] == "nursing_bed_share")
    assert [t["year"] for t in share["targets"]] == [2023, 2025]
    assert share["target"]["year"] == 2025

    def over_100(document):
        _indicator(document, "nursing_bed_share")["milestones"] = [{**MILESTONE, "value": 120}]

    where = {p.path for p in lint(str(_yantai_with(tmp_path, over_100)))}
    position = [i.code for i in load("yantai").catalog.indicators].index("nursing_bed_share")
    assert f"indicators[{position}].milestones[0].value" in where


@pytest.mark.parametrize(("value_2023", "unmet"), [(60, True), (65, False)])
def test_a_2023_value_is_held_to_the_2023_milestone_not_the_2025_target(
    tmp_path, value_2023, unmet
):
    loaded = load(str(_yantai_with(tmp_path, _with_milestone)))
    catalog = loaded.catalog
    address = template_cell(catalog, 2023, "nursing_bed_share", 2023)
    path = district_file(tmp_path, loaded, year=2023, changes={address: value_2023})
    outcome = run([path], loaded)
    hit = (address, "target.unmet") in rules_hit(outcome)
    assert hit is unmet, rules_hit(outcome)
    if unmet:
        [message] = [
            f.message for r in outcome.results for f in r.findings if f.rule == "target.unmet"
        ]
        assert "62" in message and "70" not in message
    # the same value in a 2025 report is held to the 2025 target
    address_2025 = template_cell(catalog, 2025, "nursing_bed_share", 2025)
    later = district_file(tmp_path, loaded, year=2025, changes={address_2025: 65}, name="25.xlsx")
    assert (address_2025, "target") in pairs(run([later], loaded))


def test_the_evaluation_at_the_milestone_year_judges_the_milestone(tmp_path):
    catalog = load(str(_yantai_with(tmp_path, _with_milestone))).catalog
    catalog = catalog.model_copy(update={"reporting_units": ReportingUnits(required=("甲区",))})
    rows = [("甲区", "nursing_bed_share", "actual", 2023, 63.0)]
    at_2023 = item(judge(reported(rows), catalog, 2023), "nursing_bed_share")
    assert at_2023.year == 2023 and at_2023.indicator.plan_target.value == 62
    assert at_2023.klass == "completed"
    rows.append(("甲区", "nursing_bed_share", "actual", 2025, 66.0))
    at_2025 = item(judge(reported(rows), catalog, 2025), "nursing_bed_share")
    assert at_2025.indicator.plan_target.value == 70 and at_2025.klass == "missed"


# --- increments ---------------------------------------------------------------------------------


def test_yearly_additions_are_summed_over_the_period_for_the_evaluation():
    """新建家庭养老床位5000张: each district reports the year's new beds; the city's figure is
    the sum over 2022–2025 of every district's additions."""
    additions = {
        "甲区": (400, 500, 500, 600),
        "乙区": (300, 300, 400, 400),
        "丙区": (200, 300, 300, 300),
    }
    rows = [
        (district, "family_care_beds", "actual", year, float(value))
        for district, values in additions.items()
        for year, value in zip((2022, 2023, 2024, 2025), values, strict=True)
    ]
    beds = item(judge(reported(rows), small(), 2025), "family_care_beds")
    assert beds.city_value == 4500 and beds.klass == "missed"  # not 1300, the last year's sum
    jia = next(s for s in beds.districts if s.district == "甲区")
    assert jia.value == 2000
    rows.append(("丙区", "family_care_beds", "actual", 2025, 800.0))  # a later, bigger figure
    more = item(judge(reported(rows), small(), 2025), "family_care_beds")
    assert more.city_value == 5000 and more.klass == "completed"


def test_yearly_additions_are_summed_before_a_district_is_held_to_its_target(tmp_path):
    """每个区县新建家庭养老床位不少于1000张: a district's 2025 report is held to 1000 by its
    2022–2025 additions together, not by 2025's alone."""

    def each_district(document):
        beds = _indicator(document, "family_care_beds")
        beds["target"] = {"year": 2025, "value": 1000, "comparator": "≥", "text": "1000张",
                          "scope": "each_district"}  # fmt: skip
        beds["additive"] = False

    loaded = load(str(_yantai_with(tmp_path, each_district)))

    def cells(value):
        years = (2022, 2023, 2024, 2025)
        return {template_cell(loaded.catalog, 2025, "family_care_beds", y): value for y in years}

    last = template_cell(loaded.catalog, 2025, "family_care_beds", 2025)
    met = district_file(tmp_path, loaded, year=2025, changes=cells(300))  # 1200 in all
    assert (last, "target.unmet") not in rules_hit(run([met], loaded))
    short = district_file(tmp_path, loaded, year=2025, changes=cells(200), name="short.xlsx")
    assert (last, "target.unmet") in rules_hit(run([short], loaded))  # 800 in all


def test_a_level_increment_is_the_level_less_the_base_year_level():
    catalog = small()
    beds = catalog.indicator("family_care_beds")
    level = beds.model_copy(
        update={"increment": beds.increment.model_copy(update={"reported": "level"})}
    )
    indicators = tuple(level if i.code == beds.code else i for i in catalog.indicators)
    catalog = catalog.model_copy(update={"indicators": indicators})
    rows = [
        ("甲区", "family_care_beds", "baseline", 2021, 1000.0),
        ("甲区", "family_care_beds", "actual", 2025, 3100.0),
        ("乙区", "family_care_beds", "baseline", 2021, 500.0),
        ("乙区", "family_care_beds", "actual", 2025, 2000.0),
        ("丙区", "family_care_beds", "baseline", 2021, 800.0),
        ("丙区", "family_care_beds", "actual", 2025, 2100.0),
    ]
    judged = item(judge(reported(rows), catalog, 2025), "family_care_beds")
    assert judged.city_value == 2100 + 1500 + 1300  # 4900: short of 5000
    assert judged.klass == "missed"


def test_lint_refuses_an_increment_of_a_percent(tmp_path):
    def percent_increment(document):
        _indicator(document, "nursing_bed_share")["increment"] = {"reported": "yearly",
                                                                  "since": 2021}  # fmt: skip

    problems = lint(str(_yantai_with(tmp_path, percent_increment)))
    assert any(p.path.endswith(".increment") for p in problems)
