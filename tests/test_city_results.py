"""The city's provisional result from what was reported: sums as lower bounds, rates between
the districts or composed from their parts, each-district targets, early warnings; every
affected row names the district that is missing or wrong."""

import pandas as pd
import pytest

from expectations.evaluation import Reported, judge
from indicators import load
from indicators.model import ReportingUnits

DISTRICTS = ("甲区", "乙区", "丙区")


def small(catalog_id: str = "yantai"):
    """A catalog's indicators with three districts, so sums can be worked by hand."""
    catalog = load(catalog_id).catalog
    return catalog.model_copy(update={"reporting_units": ReportingUnits(required=DISTRICTS)})


def reported(rows, wrong=(), received=None) -> Reported:
    """rows: (district, indicator, role, year, value); `wrong` names (district, indicator,
    year) whose cell has a data error."""
    records = []
    for number, (district, code, role, year, value) in enumerate(rows):
        records.append(
            {
                "file": f"{district}.xlsx",
                "district": district,
                "indicator": code,
                "role": role,
                "year": float(year),
                "value": value,
                "cell": f"F{number + 5}",
                "sheet": "指标填报",
                "rank": (year, number),
            }
        )
    values = pd.DataFrame(records, columns=list(Reported.COLUMNS))
    wrong_cells = {
        (r["file"], r["sheet"], r["cell"])
        for r in records
        if (r["district"], r["indicator"], int(r["year"])) in set(wrong)
    }
    districts = {r[0] for r in rows} if received is None else set(received)
    return Reported(values=values, wrong_cells=wrong_cells, received=districts, readable=districts)


def item(evaluation, code):
    return next(i for i in evaluation.indicators if i.indicator.code == code)


def test_a_sum_already_over_the_target_is_met_whoever_is_missing():
    rows = [("甲区", "institution_beds", "actual", 2025, 20000.0),
            ("乙区", "institution_beds", "actual", 2025, 30000.0)]  # fmt: skip
    beds = item(judge(reported(rows), small(), 2025), "institution_beds")
    assert (beds.klass, beds.provisional, beds.city_value) == ("completed", False, 50000.0)
    assert "已报2个区县合计 50000个，已达到目标 ≥47000个" in beds.judgement.reason
    assert "丙区未报" in beds.judgement.reason


def test_a_sum_short_of_the_target_with_a_district_missing_cannot_be_judged():
    rows = [("甲区", "institution_beds", "actual", 2025, 20000.0),
            ("乙区", "institution_beds", "actual", 2025, 20000.0)]  # fmt: skip
    beds = item(judge(reported(rows), small(), 2025), "institution_beds")
    assert beds.klass == "unknown" and "只是全市合计的下限" in beds.judgement.reason
    assert "丙区未报" in beds.judgement.reason
    rows.append(("丙区", "institution_beds", "actual", 2025, 5000.0))
    complete = item(judge(reported(rows), small(), 2025), "institution_beds")
    assert complete.klass == "missed" and "差 2000个" in complete.judgement.reason


def test_a_rate_every_reporting_district_meets_is_a_provisional_met():
    rows = [("甲区", "vaccination_rate", "actual", 2025, 96.0),
            ("乙区", "vaccination_rate", "actual", 2025, 95.5)]  # fmt: skip
    rate = item(judge(reported(rows), small(), 2025), "vaccination_rate")
    assert (rate.klass, rate.provisional) == ("completed", True)
    assert "已报2个区县全部达到目标" in rate.judgement.reason
    assert "丙区未报" in rate.judgement.reason
    rows.append(("丙区", "vaccination_rate", "actual", 2025, 97.0))
    settled = item(judge(reported(rows), small(), 2025), "vaccination_rate")
    assert (settled.klass, settled.provisional) == ("completed", False)


def test_a_rate_every_district_misses_is_missed_and_a_mixed_one_says_why_not():
    rows = [(d, "vaccination_rate", "actual", 2025, 90.0) for d in DISTRICTS]
    assert item(judge(reported(rows), small(), 2025), "vaccination_rate").klass == "missed"
    rows[0] = ("甲区", "vaccination_rate", "actual", 2025, 99.0)
    mixed = item(judge(reported(rows), small(), 2025), "vaccination_rate")
    assert mixed.klass == "unknown"
    assert "1/3 个达到" in mixed.judgement.reason and "分子、分母" in mixed.judgement.reason


def test_a_wrong_value_is_named_where_it_matters():
    rows = [("甲区", "vaccination_rate", "actual", 2025, 96.0),
            ("乙区", "vaccination_rate", "actual", 2025, 960.0),
            ("丙区", "vaccination_rate", "actual", 2025, 97.0)]  # fmt: skip
    evaluation = judge(reported(rows, wrong=[("乙区", "vaccination_rate", 2025)]), small(), 2025)
    rate = item(evaluation, "vaccination_rate")
    assert rate.provisional and "乙区数据有误（指标填报!F6）" in rate.judgement.reason
    standing = next(s for s in rate.districts if s.district == "乙区")
    assert (standing.klass, standing.judgement.reason) == ("unknown", "数据有误（指标填报!F6）")


def test_a_composed_city_rate_against_a_hand_worked_figure():
    # 护理型床位占比 = Σ护理型床位 ÷ Σ机构养老床位 × 100 = (700 + 1300 + 2400) ÷ 6000 × 100
    # = 73⅓ %, although 乙区 alone (65%) is short of the 70% target
    parts = {"甲区": (700, 1000, 70.0), "乙区": (1300, 2000, 65.0), "丙区": (2400, 3000, 80.0)}
    rows = []
    for district, (nursing, beds, share) in parts.items():
        rows += [(district, "nursing_beds", "actual", 2025, float(nursing)),
                 (district, "institution_beds", "actual", 2025, float(beds)),
                 (district, "nursing_bed_share", "actual", 2025, share)]  # fmt: skip
    share = item(judge(reported(rows), small(), 2025), "nursing_bed_share")
    assert share.city_value == pytest.approx(220 / 3)
    assert (share.klass, share.provisional) == ("completed", False)
    assert "“护理型床位数”之和 ÷ “机构养老床位数”之和 × 100" in share.judgement.reason
    # a part nobody sent: back to the spread, saying which figure is missing
    without = [r for r in rows if not (r[0] == "丙区" and r[1] == "nursing_beds")]
    spread = item(judge(reported(without), small(), 2025), "nursing_bed_share")
    assert spread.klass == "unknown"
    assert "“护理型床位数”汇总，丙区没有填报" in spread.judgement.reason


def test_each_district_targets_stand_where_the_worst_district_does():
    catalog = small("lanzhou")
    code = "disability_care_institutions_per_county"  # 每个县区 ≥ 1 所 by 2025
    rows = [("甲区", code, "actual", 2025, 1.0), ("乙区", code, "actual", 2025, 2.0)]
    provisional = item(judge(reported(rows), catalog, 2025), code)
    assert (provisional.klass, provisional.provisional) == ("completed", True)
    assert "丙区未报" in provisional.judgement.reason
    rows.append(("丙区", code, "actual", 2025, 0.0))
    missed = item(judge(reported(rows), catalog, 2025), code)
    assert (missed.klass, missed.provisional) == ("missed", False)
    assert "1个区县未完成：丙区" in missed.judgement.reason
    # already missed by one district: settled even with another one silent
    silent = [r for r in rows if r[0] != "乙区"]
    assert item(judge(reported(silent), catalog, 2025), code).provisional is False


def test_early_warning_projects_each_district_and_the_city():
    rows = []
    for district in DISTRICTS:
        rows += [(district, "nursing_bed_share", "baseline", 2021, 54.0),
                 (district, "nursing_bed_share", "actual", 2022, 58.0),
                 (district, "nursing_bed_share", "actual", 2023, 60.0),
                 (district, "institution_beds", "actual", 2022, 13000.0),
                 (district, "institution_beds", "actual", 2023, 13300.0)]  # fmt: skip
    evaluation = judge(reported(rows), small(), 2023)
    share = item(evaluation, "nursing_bed_share")
    standing = share.districts[0]
    assert standing.klass == "behind"  # 6 of 16 points (38%) at 50% of the time
    assert standing.projection.value == pytest.approx(66.0 + 1 / 3)
    warned = [(w.indicator.code, w.who) for w in evaluation.warnings]
    assert warned == [("nursing_bed_share", d) for d in DISTRICTS]  # binding ones only
    # the city's sum, with the plan's baseline (39000 in 2021): 39000, 39000, 39900 → a line
    # rising 450 a year through 39300 in 2022 → 40650 in 2025, short of 47000 by 6350
    asked = judge(reported(rows), small(), 2023, warn_expected=True)
    beds = item(asked, "institution_beds")
    assert beds.projection.value == pytest.approx(40650.0)
    assert beds.projection.gap == pytest.approx(6350.0)
    assert ("institution_beds", "全市") in [(w.indicator.code, w.who) for w in asked.warnings]


def test_the_headline_counts_classes_binding_first_and_names_who_is_missing():
    rows = [("甲区", "institution_beds", "actual", 2025, 50000.0)]
    headline = judge(reported(rows), small(), 2025).headline()
    assert headline.startswith("约束性指标8项：无法判定8项；预期性指标30项：已完成1项")
    assert headline.endswith("（乙区未报，丙区未报）")
