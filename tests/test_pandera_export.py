"""The pandera schema export: committed, loads with pandas and pandera alone, finds what we find."""

import pickle
import subprocess
import sys

import pytest

from expectations import validate
from expectations.pandera_export import PANDERA_RULES, schema_module, schema_path
from expectations.rules import ROW_RULES
from indicators import catalog_ids, load
from submissions import read_submissions
from tests.conftest import ROOT, cell_of, district_file
from tests.test_gx import _messy_corpus


@pytest.mark.parametrize("cid", catalog_ids())
def test_committed_schema_is_up_to_date(cid):
    committed = schema_path(cid).read_text(encoding="utf-8")
    assert committed == schema_module(load(cid)), (
        f"run: python validate.py export --catalog {cid} --format pandera"
    )


RUN_ELSEWHERE = """
import importlib.util, pickle, sys
import pandera.pandas as pa
spec = importlib.util.spec_from_file_location("catalog_schema", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert "expectations" not in sys.modules and "indicators" not in sys.modules
table = pickle.load(open(sys.argv[2], "rb"))
try:
    module.schema.validate(table, lazy=True)
    found = []
except pa.errors.SchemaErrors as errors:
    cases = errors.failure_cases.dropna(subset=["index"])
    pairs = zip(cases["check"], cases["index"])
    found = sorted({(str(check), int(index)) for check, index in pairs})
pickle.dump(found, open(sys.argv[3], "wb"))
"""


def _their_cells(table, tmp_path, cid) -> set:
    """Rule and cell of each failure the exported schema finds, run in a fresh interpreter
    that cannot import this project (-I, another working directory)."""
    (tmp_path / "table.pkl").write_bytes(pickle.dumps(table))
    result = subprocess.run(
        [sys.executable, "-I", "-c", RUN_ELSEWHERE, str(schema_path(cid)),
         str(tmp_path / "table.pkl"), str(tmp_path / "found.pkl")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = pickle.loads((tmp_path / "found.pkl").read_bytes())
    return {
        (table.loc[index, "file"], _cell(table, index, ROW_RULES[rule].cell_column), rule)
        for rule, index in found
    }


def _cell(table, index: int, name: str):
    """The address a rule's finding on this row points at (a label's is kept as a column)."""
    from expectations.settling import address_column

    return address_column(table.loc[[index]], name).iloc[0]


def _our_cells(outcome) -> set:
    return {
        (r.submission.file, f.cell, f.rule)
        for r in outcome.results
        for f in r.findings
        if f.rule in PANDERA_RULES
    }


def test_exported_schema_finds_the_same_cell_level_failures(tmp_path, yantai):
    paths = _messy_corpus(tmp_path, yantai)
    submissions = read_submissions(paths, yantai.catalog)
    ours = _our_cells(validate(submissions, yantai))
    table = __import__("pandas").concat([s.table for s in submissions], ignore_index=True)
    theirs = _their_cells(table, tmp_path, "yantai")
    assert ours == theirs
    assert len(ours) >= 20 and {rule for _f, _c, rule in ours} >= {
        "value.required", "value.number", "value.max", "indicator.unknown", "attribute.mismatch",
    }  # fmt: skip


def test_a_clean_table_passes_and_a_cell_maps_back(tmp_path, yantai):
    clean = district_file(tmp_path, yantai)
    (submission,) = read_submissions([clean], yantai.catalog)
    assert _their_cells(submission.table, tmp_path, "yantai") == set()
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    wrong = district_file(tmp_path, yantai, changes={cell: 125}, name="wrong.xlsx")
    (submission,) = read_submissions([wrong], yantai.catalog)
    assert _their_cells(submission.table, tmp_path, "yantai") == {
        (submission.file, cell, "value.max")
    }


def test_export_from_the_command_line(tmp_path):
    out = tmp_path / "liuzhou_schema.py"
    result = subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), "export", "--catalog", "liuzhou",
         "--format", "pandera", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == schema_path("liuzhou").read_text(encoding="utf-8")
