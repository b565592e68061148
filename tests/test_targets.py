"""Targets as the plan means them: which target cells are required, milestone years, targets
every district meets, reports after the plan period, and long files' reporting year."""

import csv

import openpyxl
import pytest
import xlwt

from expectations.evaluation import evaluate
from indicators import load
from indicators.catalog import lint_catalog
from submissions.template import NOT_ASKED_COLOR, SHEET, columns_for, write_template
from tests.conftest import pairs, rules_hit, run
from tests.samples import plausible_values

CATALOGS = ["yantai", "liuzhou", "lanzhou", "qinghai", "panzhihua"]
ATTRIBUTES = {"binding": "约束性", "expected": "预期性"}


def _reporting_year(catalog) -> int:
    """2023, or the plan's last target year when the plan ends before it (攀枝花: 2022)."""
    return min(2023, catalog.last_target_year)


def _clerk_rows(catalog, district: str, year: int, changes: dict | None = None) -> list[list]:
    """A table as a clerk lays it out (not the template): 序号 | 指标名称 | 计量单位 |
    2022年完成 … | 2025年目标 | 指标属性 | 备注, target cells blank where the plan sets none."""
    columns = columns_for(catalog, year)
    values = plausible_values(catalog, year)
    for (code, value_year), value in (changes or {}).items():
        values[code][value_year] = value
    heads = []
    for value_year, role in columns.years:
        heads.append(f"{value_year}年{'目标' if role == 'target' else '完成'}")
    rows = [
        [f"{catalog.jurisdiction}“一老一小”重点指标完成情况统计表"],
        [f"填报单位：{district}", None, None, f"填报年度：{year}年"],
        ["序号", "指标名称", "计量单位", *heads, "指标属性", "备注"],
    ]
    required = [i for i in catalog.indicators if i.required]
    for number, indicator in enumerate(required, 1):
        cells = [values[indicator.code].get(value_year) for value_year, _ in columns.years]
        rows.append(
            [number, indicator.name, indicator.unit or "", *cells,
             ATTRIBUTES[indicator.attribute], None]
        )  # fmt: skip
    rows.append(["填报人：张三", None, None, "联系电话：0931-0000000"])
    return rows


def _xlsx(path, rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def _xls(path, rows):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.save(str(path))
    return path


def _long_csv(path, catalog, district: str, year: int):
    """区县 | 年份 | 指标 | 数值, actual values only, GB18030, no reporting year anywhere."""
    values = plausible_values(catalog, year)
    with open(path, "w", encoding="gb18030", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["区县", "年份", "指标", "数值"])
        for value_year, role in columns_for(catalog, year).years:
            if role != "actual":
                continue
            for indicator in catalog.indicators:
                if indicator.required:
                    writer.writerow([district, value_year, indicator.name,
                                     values[indicator.code][value_year]])  # fmt: skip
    return path


@pytest.mark.parametrize("cid", CATALOGS)
def test_a_clerks_table_meeting_every_target_is_clean(tmp_path, cid):
    loaded = load(cid)
    catalog = loaded.catalog
    district, year = catalog.reporting_units.required[0], _reporting_year(catalog)
    rows = _clerk_rows(catalog, district, year)
    paths = [
        _xlsx(tmp_path / f"{cid}.xlsx", rows),
        _xls(tmp_path / f"{cid}.xls", rows),
        _long_csv(tmp_path / f"{cid}.csv", catalog, district, year),
    ]
    for path in paths:
        outcome = run([path], loaded)
        assert pairs(outcome) == [], path.name  # no error and no warning
        assert outcome.results[0].submission.year == year, path.name


def test_blank_or_dash_target_cells_without_a_plan_target_are_not_findings(tmp_path):
    loaded = load("lanzhou")
    catalog = loaded.catalog
    milestone = catalog.indicator("special_elderly_monthly_visit_rate")  # 到2022年 100%
    assert milestone.target.year == 2022
    rows = _clerk_rows(catalog, "城关区", 2023, {("special_elderly_monthly_visit_rate", 2025): "—"})
    assert pairs(run([_xlsx(tmp_path / "dash.xlsx", rows)], loaded)) == []
    # an indicator with a 2025 target: its 2025 target cell is required
    rows = _clerk_rows(catalog, "城关区", 2023, {("community_facility_rate", 2025): None})
    hit = rules_hit(run([_xlsx(tmp_path / "blank.xlsx", rows)], loaded))
    assert [rule for _cell, rule in hit] == ["value.required"]
    # a value written where no target is asked is still checked
    rows = _clerk_rows(catalog, "城关区", 2023, {("special_elderly_monthly_visit_rate", 2025): 130})
    over = run([_xlsx(tmp_path / "over.xlsx", rows)], loaded)
    assert (_cell_of(over, "special_elderly_monthly_visit_rate", 2025), "value.max") in rules_hit(
        over
    )


@pytest.mark.parametrize("cid", CATALOGS)
def test_template_asks_for_exactly_the_cells_the_checks_require(tmp_path, cid):
    loaded = load(cid)
    catalog = loaded.catalog
    year = _reporting_year(catalog)
    path = write_template(
        tmp_path / "blank.xlsx", catalog, catalog.reporting_units.required[0], year
    )
    sheet = openpyxl.load_workbook(path)[SHEET]
    value_columns = range(4, 4 + len(columns_for(catalog, year).years))
    required_names = {i.label for i in catalog.indicators if i.required}
    asked = {
        sheet.cell(row, col).coordinate
        for row in range(1, sheet.max_row + 1)
        if sheet.cell(row, 2).value in required_names
        for col in value_columns
        if sheet.cell(row, col).fill.fgColor.rgb[-6:] != NOT_ASKED_COLOR
    }
    outcome = run([path], loaded)
    demanded = {cell for cell, rule in rules_hit(outcome) if rule == "value.required"}
    assert demanded == asked


def _lanzhou_changed(tmp_path, name, changes):
    loaded = load("lanzhou")
    rows = _clerk_rows(loaded.catalog, "城关区", 2023, changes)
    return run([_xlsx(tmp_path / name, rows)], loaded)


def _cell_of(outcome, code, year):
    table = outcome.results[0].submission.table
    row = table[(table["indicator"] == code) & (table["year"] == year)]
    return row["cell"].iloc[0]


def test_a_per_district_count_is_whole_and_at_least_the_target(tmp_path):
    # 到2022年，各县区至少建有1所老年大学: the district's own count, a whole number, ≥ 1
    half = _lanzhou_changed(tmp_path, "half.xlsx", {("senior_universities_per_county", 2022): 1.5})
    assert (_cell_of(half, "senior_universities_per_county", 2022), "integer") in pairs(half)
    none = _lanzhou_changed(tmp_path, "none.xlsx", {("senior_universities_per_county", 2022): 0})
    cell = _cell_of(none, "senior_universities_per_county", 2022)
    assert (cell, "target") in pairs(none, "warning")  # an expected (预期性) indicator
    assert (cell, "target") not in pairs(none, "error")
    one = _lanzhou_changed(tmp_path, "one.xlsx", {("senior_universities_per_county", 2022): 1})
    assert pairs(one) == []


@pytest.mark.parametrize(
    ("cid", "code"),
    [("lanzhou", "street_elderly_centers"), ("panzhihua", "street_community_complexes")],
)
def test_a_per_street_target_is_judged_with_the_districts_number_of_streets(tmp_path, cid, code):
    # 到2022年，每个街道建设1个综合养老服务中心: a district of 8 streets needs at least 8
    loaded = load(cid)
    district, year = (
        loaded.catalog.reporting_units.required[0],
        2022 if cid == "panzhihua" else 2023,
    )

    def checked(name, changes, streets=8):
        years = [y for y, role in columns_for(loaded.catalog, year).years if role != "target"]
        changes = {**{("streets", y): streets for y in years}, **changes}
        rows = _clerk_rows(loaded.catalog, district, year, changes)
        return run([_xlsx(tmp_path / name, rows)], loaded)

    met = checked("met.xlsx", {(code, 2022): 8})
    assert pairs(met) == []
    short = checked("short.xlsx", {(code, 2022): 7})
    cell = _cell_of(short, code, 2022)
    assert pairs(short) == [(cell, "target")]
    finding = short.results[0].findings[0]
    assert finding.expected.startswith("≥ 8") and "街道数 8" in finding.expected
    # the same 8 centres in a district of 10 streets fall short; in one of 6 they are plenty
    assert pairs(checked("ten.xlsx", {(code, 2022): 8}, streets=10)) == [(cell, "target")]
    assert pairs(checked("six.xlsx", {(code, 2022): 8}, streets=6)) == []
    # a count of streets is a count: 7.5 streets is an integer error, and nothing is judged on it
    # the evaluation asks the same of the district: 1 × 8 streets
    judged = next(e for e in evaluate(short, 2022).indicators if e.indicator.code == code)
    standing = next(s for s in judged.districts if s.district == district)
    assert (standing.value, standing.target, standing.met) == (7, 8, False)
    half = checked("half.xlsx", {(code, 2022): 7}, streets=7.5)
    assert (_cell_of(half, "streets", 2022), "integer") in pairs(half)


def test_a_report_after_the_plan_period_is_warned_once_and_still_checked(tmp_path):
    loaded = load("panzhihua")  # last target year 2022
    catalog = loaded.catalog
    within = run([_xlsx(tmp_path / "2022.xlsx", _clerk_rows(catalog, "东区", 2022))], loaded)
    assert [rule for _c, rule in rules_hit(within)] == []
    rows = _clerk_rows(catalog, "东区", 2024, {("nursing_bed_share", 2024): 120})
    after = run([_xlsx(tmp_path / "2024.xlsx", rows)], loaded)
    hit = rules_hit(after)
    assert hit.count((None, "year.after_plan")) == 1
    assert (None, "target") in pairs(after, "warning")
    assert "value.max" in {rule for _c, rule in hit}  # and still checked


def test_lint_rejects_a_scope_that_does_not_fit():
    catalog = load("lanzhou").catalog
    position = [i.code for i in catalog.indicators].index("senior_universities_per_county")
    indicator = catalog.indicators[position]

    def with_target(**changes):
        target = indicator.target.model_copy(update=changes)
        changed = indicator.model_copy(update={"target": target})
        indicators = (*catalog.indicators[:position], changed, *catalog.indicators[position + 1 :])
        return {p.path for p in lint_catalog(catalog.model_copy(update={"indicators": indicators}))}

    here = f"indicators[{position}]"
    assert with_target() == set()
    assert f"{here}.target.scope" in with_target(scope="city")  # 每个县区… worded per district
    assert f"{here}.target.value" in with_target(value=1.5)  # a count each district has


def test_lint_and_loading_reject_a_per_street_target_that_does_not_fit():
    catalog = load("lanzhou").catalog
    position = [i.code for i in catalog.indicators].index("street_elderly_centers")
    indicator = catalog.indicators[position]
    here = f"indicators[{position}]"

    def problems(**changes):
        changed = indicator.model_copy(update=changes)
        indicators = (*catalog.indicators[:position], changed, *catalog.indicators[position + 1 :])
        return {p.path for p in lint_catalog(catalog.model_copy(update={"indicators": indicators}))}

    assert problems() == set()
    per_district = indicator.target.model_copy(update={"scope": "each_district", "units": None})
    assert f"{here}.target.scope" in problems(target=per_district)  # 每个街道… counted per district
    assert f"{here}.kind" in problems(kind="percent")
    # `units` must name a count without a target, and such a count must serve a target
    data = catalog.model_dump()
    data["indicators"][position]["target"]["units"] = "community_day_care_coverage"
    with pytest.raises(ValueError, match="units"):
        type(catalog).model_validate(data)
    data["indicators"][position]["target"].update(scope="each_district", units=None)
    with pytest.raises(ValueError, match="streets"):
        type(catalog).model_validate(data)
