"""The findings of a messy corpus, exactly as the per-row engine found them before findings
became columns (tests/golden/findings.json, written before that change): the same
(file, sheet, cell, rule, category, severity, message), no more, no fewer. One entry was
changed since: a whole row written twice is one finding on its label cell, and it names the
row's first year (it named whichever year pandera listed first when its failure cases were
read; the rows that fail are now taken in table order)."""

import json

import pytest

from expectations import validate
from indicators import load
from submissions import read_submissions
from tests.golden_corpus import GOLDEN, findings_of, golden_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return golden_corpus(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("cid", ["yantai", "lanzhou", "panzhihua", "liuzhou"])
def test_findings_are_those_of_the_per_row_engine(corpus, cid):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[cid]
    loaded = load(cid)
    outcome = validate(read_submissions(corpus[cid], loaded.catalog), loaded)
    assert findings_of(outcome) == expected


def test_csv_from_the_findings_table_is_the_csv_of_the_records(corpus, tmp_path):
    """findings.csv written column by column equals the one written finding by finding."""
    import io

    from reports.csv_report import rows, write_csv, write_findings

    loaded = load("yantai")
    outcome = validate(read_submissions(corpus["yantai"], loaded.catalog), loaded)
    write_csv(outcome, tmp_path / "table.csv")  # the results' findings are still a table
    assert not any(result.materialised for result in outcome.results)
    records = io.StringIO(newline="")
    write_findings(records, rows(outcome))  # makes the records
    written = (tmp_path / "table.csv").read_bytes().decode("utf-8-sig")
    assert written == records.getvalue()
    assert "'-" in written  # formula-like text (a negative value) neutralised on both paths
    years = [f.year for r in outcome.results for f in r.findings]
    assert all(y is None or type(y) is int for y in years)
