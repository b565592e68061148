"""Each rule: a passing and a failing example, asserted on (cell, category) pairs."""

import pytest

from expectations import validate
from expectations.rules import ROW_RULES, RULES
from indicators import load
from submissions import read_submission
from tests.conftest import cell_of, district_file, pairs, rules_hit, run

Y = 2023  # reporting year of the example workbooks


def test_a_clean_submission_has_no_findings(tmp_path, yantai):
    outcome = run([district_file(tmp_path, yantai)], yantai)
    assert pairs(outcome) == []
    assert outcome.results[0].status == "ok"


def _only(outcome, rule):
    return [(cell, code) for cell, code in rules_hit(outcome) if code == rule]


def _cell(loaded, code, year=Y):
    return cell_of(loaded.catalog, Y, code, year)


@pytest.mark.parametrize(
    ("rule", "code", "year", "bad", "category"),
    [
        ("value.required", "nursing_bed_share", 2022, None, "missing"),
        ("value.required", "nursing_bed_share", 2022, "—", "missing"),
        ("value.number", "nursing_bed_share", 2023, "待统计", "type"),
        ("count.integer", "institution_beds", 2023, 3600.5, "integer"),
        ("value.negative", "institution_beds", 2023, -5, "range"),
        ("value.max", "nursing_bed_share", 2023, 125, "range"),
        ("value.max", "nursing_bed_share", 2025, "120%以上", "range"),
        ("percent.fraction", "nursing_bed_share", 2023, 0.62, "scale"),
        ("unit.mismatch", "nursing_bed_share", 2023, "62个", "scale"),
        ("target.direction", "institution_beds", 2025, 3000, "direction"),
        ("trend.decline", "nursing_bed_share", 2023, 55, "direction"),
        ("path.outlier", "institution_beds", 2023, 39000, "outlier"),
        ("path.outlier", "institution_beds", 2025, 420000, "outlier"),
        ("target.below_city", "nursing_bed_share", 2025, 65, "target"),
    ],
)
def test_cell_rules_fail_and_pass(tmp_path, yantai, rule, code, year, bad, category):
    cell = _cell(yantai, code, year)
    outcome = run([district_file(tmp_path, yantai, changes={cell: bad})], yantai)
    assert (cell, category) in pairs(outcome)
    assert (cell, rule) in _only(outcome, rule)
    clean = run([district_file(tmp_path, yantai, name="clean.xlsx")], yantai)
    assert _only(clean, rule) == []


def test_percent_written_with_sign_is_not_a_fraction(tmp_path, yantai):
    cell = _cell(yantai, "nursing_bed_share", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={cell: "62%"})], yantai)
    assert pairs(outcome) == []


def test_unit_column_mismatch_points_at_the_unit_cell(tmp_path, yantai):
    row = cell_of(yantai.catalog, Y, "nursing_bed_share")[1:]
    outcome = run([district_file(tmp_path, yantai, changes={f"C{row}": "‰"})], yantai)
    assert (f"C{row}", "scale") in pairs(outcome)


def test_unit_with_multiplier_is_converted_not_flagged(tmp_path, yantai):
    row = cell_of(yantai.catalog, Y, "institution_beds")[1:]
    changes = {
        f"C{row}": "万个",
        f"D{row}": 0.35,
        f"E{row}": 0.37,
        f"F{row}": 0.38,
        f"G{row}": 0.43,
    }
    outcome = run([district_file(tmp_path, yantai, changes=changes)], yantai)
    assert pairs(outcome) == []
    values = outcome.table[outcome.table["cell"] == f"F{row}"]["value"].tolist()
    assert values == [3800.0]


def test_unknown_indicator(tmp_path, yantai):
    cell = cell_of(yantai.catalog, Y, "public_beds")
    outcome = run([district_file(tmp_path, yantai, changes={cell: "公立养老床位"})], yantai)
    assert (cell, "unknown") in pairs(outcome)
    assert (None, "missing") in pairs(outcome)  # and 公办养老床位数 is now missing
    message = next(f.message for f in outcome.results[0].findings if f.category == "unknown")
    assert "公办养老床位数" in message  # the closest catalog name is suggested


def test_alias_and_unit_suffix_are_matched(tmp_path, yantai):
    cell = cell_of(yantai.catalog, Y, "public_beds")
    outcome = run(
        [district_file(tmp_path, yantai, changes={cell: " 公办养老床位数 (个) "})], yantai
    )
    assert pairs(outcome) == []
    cell = cell_of(yantai.catalog, Y, "childcare_places")
    outcome = run([district_file(tmp_path, yantai, changes={cell: "托位数（个）"})], yantai)
    assert pairs(outcome) == []


def test_duplicate_indicator(tmp_path, yantai):
    first = cell_of(yantai.catalog, Y, "public_beds")
    second = cell_of(yantai.catalog, Y, "inclusive_beds")
    outcome = run([district_file(tmp_path, yantai, changes={second: "公办养老床位数"})], yantai)
    assert (second, "duplicate") in pairs(outcome)
    assert (first, "duplicate") not in pairs(outcome)


def test_missing_indicator_row(tmp_path, yantai):
    row = cell_of(yantai.catalog, Y, "vaccination_rate")[1:]
    changes = {f"{col}{row}": None for col in "ABCDEFGHI"}
    outcome = run([district_file(tmp_path, yantai, changes=changes)], yantai)
    missing = [f for f in outcome.results[0].findings if f.rule == "indicator.missing"]
    assert [(f.cell, f.indicator) for f in missing] == [(None, "vaccination_rate")]


def test_attribute_downgrade_is_an_error_upgrade_a_warning(tmp_path, yantai):
    binding_row = cell_of(yantai.catalog, Y, "nursing_bed_share")[1:]
    expected_row = cell_of(yantai.catalog, Y, "institution_beds")[1:]
    changes = {f"H{binding_row}": "预期性", f"H{expected_row}": "约束性"}
    outcome = run([district_file(tmp_path, yantai, changes=changes)], yantai)
    assert pairs(outcome, "error") == [(f"H{binding_row}", "attribute")]
    assert pairs(outcome, "warning") == [(f"H{expected_row}", "attribute")]


def test_relation_inclusive_places_within_total(tmp_path, yantai):
    cell = _cell(yantai, "inclusive_childcare_places", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={cell: 5000})], yantai)
    assert (cell, "relation") in pairs(outcome)


def test_binding_trend_is_error_expected_is_warning(tmp_path, yantai):
    binding = _cell(yantai, "nursing_bed_share", 2023)
    expected = _cell(yantai, "pension_insurance_coverage", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={binding: 50, expected: 95.0})], yantai)
    assert (binding, "direction") in pairs(outcome, "error")
    assert (expected, "direction") in pairs(outcome, "warning")


def test_explanation_in_notes_is_carried_and_stays_a_warning(tmp_path, yantai):
    cell = _cell(yantai, "pension_insurance_coverage", 2023)
    note = "2023年统计口径调整"
    path = district_file(
        tmp_path, yantai, changes={cell: 95.0}, notes={"pension_insurance_coverage": note}
    )
    outcome = run([path], yantai)
    finding = next(f for f in outcome.results[0].findings if f.cell == cell)
    assert (finding.severity, finding.explanation) == ("warning", note)


def test_target_year_actual_short_of_target(tmp_path, yantai):
    path = district_file(tmp_path, yantai, year=2025)
    cell = cell_of(yantai.catalog, 2025, "vaccination_rate", 2025)
    outcome = run(
        [district_file(tmp_path, yantai, year=2025, changes={cell: 93}, name="x.xlsx")], yantai
    )
    assert (cell, "target") in pairs(outcome, "error")
    assert pairs(run([path], yantai)) == []


def test_no_trend_noise_on_a_cell_with_a_cell_level_problem(tmp_path, yantai):
    cell = _cell(yantai, "nursing_bed_share", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={cell: 0.62})], yantai)
    assert [p for p in pairs(outcome) if p[0] == cell] == [(cell, "scale")]


def _districts(tmp_path, loaded, share, changes_by_district=None, year=2023):
    changes_by_district = changes_by_district or {}
    return [
        district_file(
            tmp_path, loaded, district=d, year=year, share=share, changes=changes_by_district.get(d)
        )
        for d in loaded.catalog.reporting_units.required
    ]


def test_district_targets_summing_below_the_city_target(tmp_path, yantai):
    low = _districts(tmp_path / "low", yantai, share=1 / 12)
    outcome = run(low, yantai)
    codes = {f.indicator for f in outcome.batch_findings if f.category == "aggregate"}
    assert "institution_beds" in codes
    assert all(f.cell is None for f in outcome.batch_findings)
    enough = _districts(tmp_path / "enough", yantai, share=1 / 10)
    assert [f for f in run(enough, yantai).batch_findings if f.category == "aggregate"] == []


def test_one_district_far_from_the_others(tmp_path, yantai):
    cell = _cell(yantai, "places_per_1000_people", 2023)
    far = yantai.catalog.reporting_units.required[3]
    outcome = run(
        _districts(tmp_path, yantai, share=1 / 11, changes_by_district={far: {cell: 30}}), yantai
    )
    hits = [
        (r.submission.district, f.cell, f.rule)
        for r in outcome.results
        for f in r.findings
        if f.rule == "districts.outlier"
    ]
    assert hits == [(far, cell, "districts.outlier")]
    clean = run(_districts(tmp_path / "clean", yantai, share=1 / 11), yantai)
    assert [f for r in clean.results for f in r.findings] == []


def test_every_rule_is_registered_once_and_has_a_title():
    assert len(RULES) == len(set(RULES))
    for code, rule in RULES.items():
        assert rule.code == code and rule.title and rule.level in (0, 1, 2, 3, 4)


def test_a_slip_is_reported_once_not_again_as_next_years_decline(tmp_path, yantai):
    slip = _cell(yantai, "institution_beds", 2022)
    after = _cell(yantai, "institution_beds", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={slip: 37270})], yantai)
    assert pairs(outcome) == [(slip, "outlier")]
    assert (after, "direction") not in pairs(outcome)


def test_a_rule_that_cannot_run_stops_the_run_instead_of_passing(tmp_path, yantai, monkeypatch):
    # pandera records an exception inside a check as one failure case without a row; dropped,
    # that would read as "every row passed".
    import dataclasses

    from expectations.rules import ROW_RULES

    def broken(table, catalog):
        return table["no_such_column"] > 0

    rule = dataclasses.replace(ROW_RULES["relation"], passes=broken)
    monkeypatch.setitem(ROW_RULES, "relation", rule)
    with pytest.raises(KeyError):
        run([district_file(tmp_path, yantai)], yantai)


def test_missing_indicator_is_found_per_district_of_a_long_file(tmp_path, yantai):
    from tests.samples import plausible_values

    values = plausible_values(yantai.catalog, 2023)
    lines = ["区县,年份,指标,数值"]
    for district in ("芝罘区", "福山区"):
        for code, by_year in values.items():
            if district == "福山区" and code == "vaccination_rate":
                continue
            name = yantai.catalog.indicator(code).name
            lines += [f"{district},{year},{name},{value}" for year, value in by_year.items()]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = run([path], yantai)
    missing = [
        (f.district, f.indicator, f.cell)
        for f in outcome.results[0].findings
        if f.category == "missing"
    ]
    assert missing == [("福山区", "vaccination_rate", None)]


def test_an_impossible_baseline_is_not_the_reference_for_later_years(tmp_path, yantai):
    baseline = _cell(yantai, "life_expectancy", 2021)
    outcome = run([district_file(tmp_path, yantai, changes={baseline: -80.5})], yantai)
    assert pairs(outcome) == [(baseline, "range")]


def test_a_negative_total_is_not_compared_again_with_its_parts(tmp_path, yantai):
    total = _cell(yantai, "institution_beds", 2023)
    outcome = run([district_file(tmp_path, yantai, changes={total: -3909})], yantai)
    assert pairs(outcome) == [(total, "range")]


def test_a_target_ten_times_the_baseline_is_flagged_alone(tmp_path, yantai):
    target = _cell(yantai, "childcare_places", 2025)
    outcome = run([district_file(tmp_path, yantai, changes={target: 90000})], yantai)
    assert pairs(outcome) == [(target, "outlier")]


def test_fail_fast_stops_at_the_first_rule_that_fails(tmp_path, yantai):
    """--fail-fast: the row rules stop at the first (in table order) that fails."""
    changes = {
        _cell(yantai, "institution_beds", 2023): -5,  # value.negative
        _cell(yantai, "nursing_bed_share", 2023): 125,  # value.max
    }
    path = district_file(tmp_path, yantai, changes=changes)
    submissions = [read_submission(path, yantai.catalog)]
    every = {rule for _cell_, rule in rules_hit(validate(submissions, yantai))}
    first = {rule for _cell_, rule in rules_hit(validate(submissions, yantai, fail_fast=True))}
    assert {"value.negative", "value.max"} <= every
    assert len(first & {"value.negative", "value.max"}) == 1
    assert first < every


def test_declared_conditions_pick_the_rows_dataframe_eval_picks(tmp_path):
    """`selected` reads the rules' conditions itself (eval's set-up cost a quarter of a service
    pass): on the messy corpus, for every catalog, it picks exactly the rows DataFrame.eval
    does, blanks and categoricals included; a condition outside its grammar goes to eval."""
    import re

    from expectations.engine import checked_frame
    from expectations.rules.base import selected
    from submissions import read_submissions
    from tests.golden_corpus import golden_corpus

    corpus = golden_corpus(tmp_path)
    compared = 0
    for cid in ("yantai", "lanzhou", "panzhihua", "liuzhou", "qinghai"):
        loaded = load(cid)
        outcome = validate(read_submissions(corpus.get(cid, corpus["yantai"]), loaded.catalog),
                           loaded)  # fmt: skip
        table = checked_frame(outcome.table)
        for rule in ROW_RULES.values():
            for expect in rule.declared(loaded.catalog):
                if expect.where is None:
                    continue
                named = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expect.where))
                columns = [c for c in table.columns if c in named]
                wanted = table[columns].eval(expect.where, engine="python").astype(bool)
                assert selected(table, expect.where).equals(wanted), (cid, expect.where)
                compared += 1
    assert compared > 30
    odd = "value > 2 * high or label.str.len() > 3"  # arithmetic and .str: eval reads it
    assert selected(table, odd).equals(table.eval(odd, engine="python").astype(bool))
