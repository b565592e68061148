"""The findings of a messy corpus, exactly as the per-row engine found them before findings
became columns (tests/golden/findings.json, written before that change): the same
(file, sheet, cell, rule, category, severity, message), no more, no fewer."""

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
