"""Great Expectations: committed suites match the catalogs, and both engines agree."""

import json
import random
import subprocess
import sys

import pytest
import xlwt

from expectations import validate
from expectations.gx import GX_RULES, suite_document, suite_path
from indicators import catalog_ids, load
from submissions import read_submissions
from tests.conftest import ROOT, cell_of, district_file
from tests.samples import plausible_values

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("cid", catalog_ids())
def test_committed_suite_is_up_to_date_and_loads(cid):
    import great_expectations as gx

    loaded = load(cid)
    committed = json.loads(suite_path(cid).read_text(encoding="utf-8"))
    assert committed == suite_document(loaded), f"run: python validate.py export --catalog {cid}"
    suite = gx.ExpectationSuite(**committed)
    assert {e.meta["rule"] for e in suite.expectations} >= set(GX_RULES) - {"attribute.mismatch"}


def test_suite_runs_in_a_users_own_pipeline(tmp_path, yantai):
    """What a team with a GX pipeline does: load the JSON, validate the tidy table."""
    import great_expectations as gx

    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    path = district_file(tmp_path, yantai, changes={cell: 125})
    (submission,) = read_submissions([path], yantai.catalog)
    context = gx.get_context(mode="ephemeral")
    suite = gx.ExpectationSuite(**json.loads(suite_path("yantai").read_text(encoding="utf-8")))
    batch = (
        context.data_sources.add_pandas("mine")
        .add_dataframe_asset("tidy")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": submission.table})
    )
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failed = [r for r in result.results if not r.success]
    assert [r.expectation_config.meta["rule"] for r in failed] == ["value.max"]
    (index,) = failed[0].result["unexpected_index_list"]
    assert submission.table.loc[index, "cell"] == cell


MISTAKES = [None, "—", "待统计", -3, 250, "12个", "0.5", "１２３", "3.2万", "约95%", "N/A", " 88 "]
ATTRIBUTE_SPELLINGS = [
    "预期性", "约束性", "重要", "约 束 性", "预 期 性", "约束性指标", "ＢＩＮＤＩＮＧ",
    " 预期 ", "Expected",
]  # fmt: skip
NAME_SPELLINGS = [
    "养老床位数", "机构养老床位数", "托位总数", "机构养老床位数（个）", "护理型床位占比(%)",
    "普惠托位 ", "每千人口拥有托位数（个）",
]  # fmt: skip


def _messy_corpus(folder, loaded):
    """Every layout, every notation, level-1 and level-2 mistakes, placed at random (seeded)."""
    chance = random.Random(20261123)
    catalog = loaded.catalog
    paths = []
    codes = [i.code for i in catalog.indicators if i.required]
    for number, district in enumerate(catalog.reporting_units.required[:6]):
        changes = {}
        for _ in range(6):
            code = chance.choice(codes)
            year = chance.choice([2021, 2022, 2023, 2025])
            changes[cell_of(catalog, 2023, code, year)] = chance.choice(MISTAKES)
        row = cell_of(catalog, 2023, chance.choice(codes))[1:]
        # normalisation happens once, before either engine: spaced, full-width, upper-case and
        # long forms of 指标属性, names with their unit, aliases
        changes[f"H{row}"] = chance.choice(ATTRIBUTE_SPELLINGS)
        changes[f"B{int(row) + 1}"] = chance.choice(NAME_SPELLINGS)
        changes[f"C{int(row) + 2}"] = chance.choice(["%", "个", "万个", "元"])
        paths.append(
            district_file(
                folder, loaded, district=district, changes=changes, name=f"w{number}.xlsx"
            )
        )
    values = plausible_values(catalog, 2023)
    lines = ["区县,年份,指标,数值,单位"]
    for code, by_year in values.items():
        indicator = catalog.indicator(code)
        for year, value in by_year.items():
            shown = chance.choice([value, value, value, chance.choice(MISTAKES)])
            shown = "" if shown is None else shown
            lines.append(f"蓬莱区,{year},{indicator.name},{shown},{indicator.unit or ''}")
    lines.append("蓬莱区,2023,不存在的指标,5,个")
    csv_path = folder / "long.csv"
    csv_path.write_bytes("\n".join(lines).encode("gb18030"))
    paths.append(csv_path)
    book = xlwt.Workbook()
    sheet = book.add_sheet("指标")
    sheet.write(0, 0, "填报单位：龙口市")
    sheet.write(0, 3, "填报年度：2023")
    for col, text in enumerate(["指标名称", "单位", "2021年（基期）", "2023年", "2025年目标"]):
        sheet.write(2, col, text)
    for r, code in enumerate(codes, 3):
        indicator = catalog.indicator(code)
        row = [indicator.name, indicator.unit or "", *values[code].values()]
        row = [row[0], row[1], row[2], row[4], row[5]]
        if chance.random() < 0.3:
            row[3] = chance.choice(MISTAKES) or ""
        for col, value in enumerate(row):
            sheet.write(r, col, value)
    xls_path = folder / "old.xls"
    book.save(str(xls_path))
    paths.append(xls_path)
    return paths


def _cell_findings(outcome):
    return sorted(
        (r.submission.file, f.cell, f.category, f.rule)
        for r in outcome.results
        for f in r.findings
        if f.rule in GX_RULES
    )


def test_both_engines_agree_on_examples_and_a_messy_corpus(tmp_path, yantai):
    examples = sorted((ROOT / "submissions" / "examples" / "yantai").iterdir())
    corpus = _messy_corpus(tmp_path, yantai)
    for paths in (examples, corpus):
        submissions = read_submissions(paths, yantai.catalog)
        pandera_outcome = validate(submissions, yantai)
        gx_outcome = validate(submissions, yantai, engine="gx")
        ours, theirs = _cell_findings(pandera_outcome), _cell_findings(gx_outcome)
        assert ours == theirs
        assert {f.engine for r in gx_outcome.results for f in r.findings if f.rule in GX_RULES} <= {
            "gx"
        }
    assert len(ours) >= 20  # the corpus does exercise the rules
    assert {c for _, _, c, _ in ours} >= {
        "missing",
        "type",
        "range",
        "scale",
        "unknown",
        "attribute",
    }
    whole = [
        (r.submission.file, f.cell, f.category) for r in pandera_outcome.results for f in r.findings
    ]
    other = [
        (r.submission.file, f.cell, f.category) for r in gx_outcome.results for f in r.findings
    ]
    assert sorted(whole, key=str) == sorted(other, key=str)


def test_default_engine_never_imports_great_expectations(tmp_path, yantai):
    path = district_file(tmp_path, yantai)
    code = (
        "import sys, validate; code = validate.main(['check', sys.argv[1], '--catalog', 'yantai',"
        " '--json', sys.argv[2]]); print('great_expectations' in sys.modules, code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), str(tmp_path / "r.json")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.stdout.split() == ["False", "0"], result.stderr


def test_gx_engine_from_the_command_line_is_quiet_and_says_which_engine_ran(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    path = district_file(tmp_path, yantai, changes={cell: "待统计"})
    out = tmp_path / "gx.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), "check", str(path), "--catalog", "yantai",
         "--engine", "gx", "--json", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Calculating Metrics" not in result.stderr and "%|" not in result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["engines"]["value.number"] == "gx"
    assert document["engines"]["trend.decline"] == "pandera"
    (finding,) = document["submissions"][0]["findings"]
    assert (finding["cell"], finding["category"], finding["engine"]) == (cell, "type", "gx")


def test_gx_data_docs_are_built_and_do_load_from_cdns(tmp_path, yantai):
    path = district_file(tmp_path, yantai)
    result = subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), "check", str(path), "--catalog", "yantai",
         "--gx-docs", str(tmp_path / "docs"), "--json", str(tmp_path / "r.json")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (index,) = (tmp_path / "docs").rglob("data_docs/local_site/index.html")
    assert "https://" in index.read_text(encoding="utf-8")  # what the README warns about


def test_both_engines_read_attributes_the_same_way(tmp_path, yantai):
    """The case that once split them: "约 束 性" on a binding indicator is no finding in either
    engine; "重要" is one in both; "预期性" on a binding indicator is one in both."""
    binding = "nursing_bed_share"  # 护理型床位占比, 约束性
    row = cell_of(yantai.catalog, 2023, binding)[1:]
    found = {}
    for written in ("约 束 性", "约束性指标", "ＢＩＮＤＩＮＧ", "重要", "预期性"):
        path = district_file(tmp_path, yantai, changes={f"H{row}": written}, name=f"{written}.xlsx")
        submissions = read_submissions([path], yantai.catalog)
        engines = [validate(submissions, yantai), validate(submissions, yantai, engine="gx")]
        found[written] = [
            sorted((f.cell, f.category) for r in o.results for f in r.findings) for o in engines
        ]
    for written, (ours, theirs) in found.items():
        assert ours == theirs, written
    assert found["约 束 性"][0] == found["约束性指标"][0] == found["ＢＩＮＤＩＮＧ"][0] == []
    assert found["重要"][0] == found["预期性"][0] == [(f"H{row}", "attribute")]
