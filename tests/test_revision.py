"""Revisions: a later report that changes a value the district already reported for a past year."""

import json

from conftest import bearer, cell_of, district_file, pairs, post_file, rules_hit, run
from fastapi.testclient import TestClient
from test_cli import cli


def revisions(outcome):
    return [pair for pair in pairs(outcome) if pair[1] == "revision"]


def test_unchanged_past_values_are_no_revision(tmp_path, yantai):
    outcome = run([district_file(tmp_path, yantai, year=2023),
                   district_file(tmp_path, yantai, year=2024)], yantai)  # fmt: skip
    assert revisions(outcome) == []


def test_a_changed_past_value_is_a_warning_naming_both_cells(tmp_path, yantai):
    earlier = district_file(tmp_path, yantai, year=2023)
    cell = cell_of(yantai.catalog, 2024, "institution_beds", 2022)
    later = district_file(tmp_path, yantai, year=2024, changes={cell: 3800})
    outcome = run([earlier, later], yantai)
    assert revisions(outcome) == [(cell, "revision")]
    finding = next(f for f in outcome.results[1].findings if f.category == "revision")
    assert finding.severity == "warning" and finding.rule == "value.revised"
    assert finding.file == str(later) and finding.year == 2022 and finding.value == "3800"
    earlier_cell = cell_of(yantai.catalog, 2023, "institution_beds", 2022)
    assert earlier.name in finding.message and earlier_cell in finding.message
    assert outcome.results[0].findings == []  # the earlier report is not the one that changed


def test_a_note_explaining_the_change_silences_it(tmp_path, yantai):
    earlier = district_file(tmp_path, yantai, year=2023)
    cell = cell_of(yantai.catalog, 2024, "institution_beds", 2022)
    later = district_file(
        tmp_path, yantai, year=2024, changes={cell: 3800},
        notes={"institution_beds": "2022年数据经统计部门核定后更正"},
    )  # fmt: skip
    assert revisions(run([earlier, later], yantai)) == []


def test_compared_with_the_latest_earlier_report_only(tmp_path, yantai):
    """2023 corrected a 2022 figure (a warning there); 2024 keeping the correction is no news."""
    first = district_file(tmp_path, yantai, year=2022)
    corrected = {cell_of(yantai.catalog, 2023, "institution_beds", 2022): 3800}
    second = district_file(tmp_path, yantai, year=2023, changes=corrected)
    kept = {cell_of(yantai.catalog, 2024, "institution_beds", 2022): 3800}
    third = district_file(tmp_path, yantai, year=2024, changes=kept)
    outcome = run([first, second, third], yantai)
    assert [len(revisions_of(r)) for r in outcome.results] == [0, 1, 0]


def revisions_of(result):
    return [f for f in result.findings if f.category == "revision"]


def test_two_files_of_one_period_and_other_districts_are_no_revision(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "institution_beds", 2022)
    first = district_file(tmp_path, yantai, year=2023)
    again = district_file(tmp_path, yantai, year=2023, changes={cell: 3800}, name="重报-2023.xlsx")
    other = district_file(tmp_path, yantai, district="福山区", year=2024)
    assert revisions(run([first, again, other], yantai)) == []


def test_a_wrong_value_is_reported_as_wrong_not_as_a_revision(tmp_path, yantai):
    earlier = district_file(tmp_path, yantai, year=2023)
    cell = cell_of(yantai.catalog, 2024, "institution_beds", 2022)
    later = district_file(tmp_path, yantai, year=2024, changes={cell: "待统计"})
    outcome = run([earlier, later], yantai)
    assert (cell, "value.number") in rules_hit(outcome)
    assert revisions(outcome) == []


def test_batch_json_carries_revisions(tmp_path, yantai):
    folder = tmp_path / "inbox"
    folder.mkdir()
    district_file(folder, yantai, year=2023)
    cell = cell_of(yantai.catalog, 2024, "institution_beds", 2022)
    district_file(folder, yantai, year=2024, changes={cell: 3800})
    report = tmp_path / "report.json"
    result = cli("batch", folder, "--catalog", "yantai", "--json", report, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr  # a warning is not an error
    document = json.loads(report.read_text(encoding="utf-8"))
    found = [
        (f["cell"], f["category"], s["year"])
        for s in document["submissions"]
        for f in s["findings"]
        if f["category"] == "revision"
    ]
    assert found == [(cell, "revision", 2024)]


def test_service_compares_an_upload_with_the_districts_earlier_period(tmp_path, yantai, service):
    app, _store, _names, tokens = service
    client = TestClient(app)
    earlier = district_file(tmp_path, yantai, year=2023, district="芝罘区").read_bytes()
    cell = cell_of(yantai.catalog, 2024, "institution_beds", 2022)
    changed = district_file(
        tmp_path, yantai, year=2024, district="芝罘区", changes={cell: 3800}, name="b.xlsx"
    ).read_bytes()
    explained = district_file(
        tmp_path, yantai, year=2024, district="芝罘区", changes={cell: 3800}, name="c.xlsx",
        notes={"institution_beds": "按民政统计年报更正"},
    ).read_bytes()  # fmt: skip
    assert (
        post_file(client, "/api/submissions", tokens["zf"], earlier, "芝罘区-2023.xlsx").status_code
        == 201
    )
    document = post_file(
        client, "/api/submissions", tokens["zf"], changed, "芝罘区-2024.xlsx"
    ).json()
    found = [
        (f["cell"], f["category"]) for f in document["findings"] if f["category"] == "revision"
    ]
    assert found == [(cell, "revision")]
    message = next(f["message"] for f in document["findings"] if f["category"] == "revision")
    assert "芝罘区-2023.xlsx" in message
    document = post_file(
        client, "/api/submissions", tokens["zf"], explained, "芝罘区-2024.xlsx"
    ).json()
    assert [f for f in document["findings"] if f["category"] == "revision"] == []
    # another district's earlier report is no reference for this one
    other = district_file(
        tmp_path, yantai, year=2024, district="福山区", changes={cell: 3800}, name="d.xlsx"
    ).read_bytes()
    document = post_file(client, "/api/submissions", tokens["fs"], other, "福山区-2024.xlsx").json()
    assert [f for f in document["findings"] if f["category"] == "revision"] == []
    assert client.get("/api/submissions", headers=bearer(tokens["zf"])).status_code == 200
