"""The command line: the JSON contract, exit codes, batch memory and templates."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, cell_of, district_file

FINDING_KEYS = {
    "severity", "category", "rule", "indicator", "indicator_name", "year", "sheet", "cell",
    "value", "expected", "message",
}  # fmt: skip
CATEGORIES = {
    "file", "structure", "missing", "type", "integer", "range", "scale", "duplicate", "unknown",
    "attribute", "relation", "direction", "target", "outlier", "aggregate",
    "revision",  # DESIGN §10: a past value changed by a later report
}  # fmt: skip


def cli(*args, data_dir=None):
    env = {**os.environ, "VALIDATE_DATA_DIR": str(data_dir or ROOT / "out" / "test-data")}
    return subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_check_writes_its_pages_from_a_fresh_process(tmp_path, yantai):
    """In a process that never started the service: every template compiles on its own."""
    path = district_file(tmp_path, yantai)
    result = cli("check", path, "--catalog", "yantai", "--html", tmp_path / "html")
    assert result.returncode == 0, result.stderr
    assert "内部错误" not in result.stderr + result.stdout
    assert (tmp_path / "html" / "index.html").exists()
    assert len(list((tmp_path / "html" / "submissions").glob("*.html"))) == 1


def test_json_contract_shape(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    bad = district_file(tmp_path, yantai, changes={cell: 125})
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook at all\x00")
    out = tmp_path / "report.json"
    result = cli("check", bad, broken, "--catalog", "yantai", "--json", out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert set(document) >= {"catalog", "submissions", "batch_findings"}
    assert document["catalog"] == "yantai" and isinstance(document["batch_findings"], list)
    first, second = document["submissions"]
    assert set(first) >= {"file", "district", "year", "status", "summary", "findings"}
    assert (first["district"], first["year"], first["status"]) == ("芝罘区", 2023, "error")
    assert set(first["summary"]) >= {"errors", "warnings", "indicators"}
    assert first["summary"]["indicators"] == 40 and first["summary"]["errors"] == 1
    (finding,) = first["findings"]
    assert set(finding) >= FINDING_KEYS
    assert (finding["cell"], finding["category"], finding["severity"]) == (cell, "range", "error")
    assert (finding["sheet"], finding["year"], finding["value"]) == ("指标填报", 2023, "125")
    assert (
        finding["indicator"] == "nursing_bed_share"
        and finding["indicator_name"] == "护理型床位占比"
    )
    assert (
        finding["category"] in CATEGORIES
        and "125" in finding["message"]
        and cell in finding["message"]
    )
    assert second["status"] == "unreadable"
    assert [(f["cell"], f["category"]) for f in second["findings"]] == [(None, "file")]


def test_exit_codes(tmp_path, yantai):
    clean = district_file(tmp_path, yantai)
    assert cli("check", clean, "--catalog", "yantai").returncode == 0
    for args in (
        ["check", clean, "--catalog", "nowhere"],
        ["check", clean, "--catalog", "yantai", "--bogus"],
        ["check", tmp_path / "missing.xlsx", "--catalog", "yantai"],
        ["check", clean],
        ["batch", tmp_path / "nodir", "--catalog", "yantai"],
    ):
        result = cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_terminal_summary_in_chinese(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    result = cli(
        "check", district_file(tmp_path, yantai, changes={cell: "待统计"}), "--catalog", "yantai"
    )
    assert result.returncode == 1
    assert "有错误" in result.stdout and cell in result.stdout and "待统计" in result.stdout


def test_batch_remembers_and_force_rereads(tmp_path, yantai):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    district_file(inbox, yantai)
    district_file(inbox, yantai, district="福山区")
    (inbox / "~$芝罘区-2023.xlsx").write_bytes(b"lock file")
    data = tmp_path / "data"
    first = cli("batch", inbox, "--catalog", "yantai", "--json", tmp_path / "1.json", data_dir=data)
    second = cli(
        "batch", inbox, "--catalog", "yantai", "--json", tmp_path / "2.json", data_dir=data
    )
    assert first.returncode == second.returncode == 0, first.stderr
    assert "沿用上次" not in first.stderr and "2 个文件" in second.stderr
    one = json.loads((tmp_path / "1.json").read_text(encoding="utf-8"))
    two = json.loads((tmp_path / "2.json").read_text(encoding="utf-8"))
    assert one == two and len(one["submissions"]) == 2
    forced = cli("batch", inbox, "--catalog", "yantai", "--force", data_dir=data)
    assert "沿用上次" not in forced.stderr
    # A changed file is re-read even without --force.
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    district_file(inbox, yantai, changes={cell: 125})
    third = cli("batch", inbox, "--catalog", "yantai", "--json", tmp_path / "3.json", data_dir=data)
    assert third.returncode == 1 and "1 个文件" in third.stderr


def test_csv_findings_open_in_excel_and_are_neutralised(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    path = district_file(tmp_path, yantai, changes={cell: "@SUM(1+1)*cmd|' /C calc'!A0"})
    out = tmp_path / "findings.csv"
    assert (
        cli(
            "check", path, "--catalog", "yantai", "--json", tmp_path / "r.json", "--csv", out
        ).returncode
        == 1
    )
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert ",'@SUM(1+1)" in text and ",@SUM" not in text


@pytest.mark.parametrize("cid", ["yantai", "liuzhou", "lanzhou", "qinghai", "panzhihua"])
def test_template_command_writes_a_workbook_that_reads_back(tmp_path, cid):
    from indicators import load

    loaded = load(cid)
    district = loaded.catalog.reporting_units.required[-1]
    out = tmp_path / "template.xlsx"
    result = cli("template", "--catalog", cid, "--district", district, "--year", 2023, "-o", out)
    assert result.returncode == 0, result.stderr
    check = cli("check", out, "--catalog", cid, "--json", tmp_path / "t.json")
    document = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    submission = document["submissions"][0]
    assert (submission["district"], submission["year"]) == (district, 2023)
    last_target_year = loaded.catalog.last_target_year
    after_plan = {"year.after_plan"} if 2023 > last_target_year else set()  # 攀枝花 ends 2022
    assert {f["rule"] for f in submission["findings"] if f["category"] != "missing"} == after_plan
    assert check.returncode == 1


def test_template_has_data_validation_and_instructions(tmp_path):
    import openpyxl

    out = tmp_path / "t.xlsx"
    assert (
        cli(
            "template", "--catalog", "yantai", "--district", "芝罘区", "--year", 2023, "-o", out
        ).returncode
        == 0
    )
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["指标填报", "填报说明"]
    rules = workbook["指标填报"].data_validations.dataValidation
    kinds = {(v.type, v.formula1, v.formula2) for v in rules}
    assert ("whole", "0", None) in kinds and ("decimal", "0", "100") in kinds
    percent = next(v for v in rules if v.formula2 == "100")
    assert "F7" in str(percent.sqref)  # 护理型床位占比 2023


def test_template_rejects_unknown_district(tmp_path):
    result = cli(
        "template", "--catalog", "yantai", "--district", "朝阳区", "-o", tmp_path / "x.xlsx"
    )
    assert result.returncode == 2 and "朝阳区" in result.stderr


def test_batch_cache_gives_back_the_same_table_and_findings(tmp_path, yantai):
    from expectations import validate
    from submissions import read_submission
    from submissions.batch_cache import BatchCache

    text = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    blank = cell_of(yantai.catalog, 2023, "institution_beds", 2022)
    path = district_file(tmp_path, yantai, changes={text: "待统计", blank: None})
    fresh = read_submission(path, yantai.catalog)
    cache = BatchCache("yantai", tmp_path / "data")
    cache.put_many([("key", fresh)], yantai.version)
    cached = BatchCache("yantai", tmp_path / "data").get("key", fresh.sha256, yantai.version)

    def plain(table):
        return table.astype(object).where(table.notna(), None).to_dict("list")

    assert plain(cached.table) == plain(fresh.table)
    assert cached.findings == fresh.findings

    def found(submission):
        result = validate([submission], yantai).results[0]
        return sorted((f.cell, f.category) for f in result.findings)

    assert found(cached) == found(fresh) and (text, "type") in found(fresh)
    assert BatchCache("yantai", tmp_path / "data").get("key", "other", yantai.version) is None
