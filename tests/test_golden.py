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


def _documents(outcome, tmp_path, name):
    from reports import document, write_json

    path = tmp_path / name
    write_json(document(outcome, deferred=True), path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_json_written_in_slices_and_halves_is_the_json_of_the_records(
    corpus, tmp_path, monkeypatch
):
    """The findings written from the table a few at a time, and the second half by a forked
    copy of the process, give the document written from the Finding records."""
    from reports import document
    from reports.json_report import FindingsTable

    loaded = load("liuzhou")
    outcome = validate(read_submissions(corpus["liuzhou"], loaded.catalog), loaded)
    assert max(len(result) for result in outcome.results) > 20
    monkeypatch.setattr(FindingsTable, "SLICE", 7)
    monkeypatch.setattr(FindingsTable, "PARALLEL", 20)
    forks = []
    import reports.json_report as json_report

    monkeypatch.setattr(json_report, "Forked", _counting(json_report.Forked, forks))
    # other tests may leave an idle thread behind, which the tool would not fork beside
    monkeypatch.setattr(json_report, "can_fork_alone", lambda: True)
    written = _documents(outcome, tmp_path, "table.json")
    assert forks  # a forked copy wrote part of it
    assert not any(result.materialised for result in outcome.results)
    expected = document(outcome)  # from the records
    assert written == json.loads(json.dumps(expected, ensure_ascii=False))


def test_findings_json_encoded_column_by_column_reads_back_as_written():
    """Texts a user typed (quotes, backslashes, line breaks, control characters), missing
    values and years read back exactly; a value orjson cannot write is written by pandas."""
    from decimal import Decimal

    import pandas as pd

    from reports.json_report import FINDING_KEYS, records_json

    awkward = ['say "hi"', "back\\slash", "two\nlines\r\n", "tab\tand\x00nul", "", "区县"]
    rows = []
    for number, text in enumerate(awkward * 2):
        row = {key: f"{key}-{number % 3}" for key in FINDING_KEYS}
        row.update(message=text, value=None if number % 4 == 0 else text, sheet=text,
                   district=text, year=None if number % 5 == 0 else 2021 + number % 2,
                   explanation=None, indicator_name=text)  # fmt: skip
        rows.append(row)
    frame = pd.DataFrame(rows).astype({"year": "Int64", "sheet": "category"})
    expected = [{key: row[key] for key in FINDING_KEYS} for row in rows]
    assert json.loads(b"[" + records_json(frame) + b"]") == expected
    assert records_json(frame.iloc[:0]) == b""

    for listed in (["A1"], ["A1", "B2"]):  # a value over several lines: still read back
        odd = frame.copy()
        odd["cell"] = odd["cell"].astype(object)
        odd.at[1, "cell"] = listed
        assert json.loads(b"[" + records_json(odd) + b"]")[1]["cell"] == listed

    frame["expected"] = [Decimal("1.5")] * len(frame)  # orjson has no encoding for it
    written = json.loads(b"[" + records_json(frame) + b"]")
    assert [row["message"] for row in written] == awkward * 2
    assert {row["expected"] for row in written} == {"1.5"}  # as pandas writes a Decimal


def test_a_forked_writer_that_fails_is_replaced_by_this_process(tmp_path):
    """What a forked copy would have written is written here when the copy dies."""
    import io
    import os

    from reports.forking import Forked

    parent = os.getpid()

    def write(sink):
        if os.getpid() != parent:
            os._exit(3)  # the copy dies without writing
        sink.write(b"written here")

    out = io.BytesIO()
    Forked(write, timeout=30).copy_to(out)
    assert out.getvalue() == b"written here"


def _counting(forked, forks):
    def made(*args, **kwargs):
        forks.append(args)
        return forked(*args, **kwargs)

    return made


def test_findings_rendered_a_few_at_a_time_are_the_same(corpus, monkeypatch):
    """Messages are written a block of the run at a time, blocks straddling files: a block of
    three gives exactly the findings of one block for all."""
    from expectations.settling import Renderer

    monkeypatch.setattr(Renderer, "BLOCK", 3)
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))["yantai"]
    loaded = load("yantai")
    outcome = validate(read_submissions(corpus["yantai"], loaded.catalog), loaded)
    assert findings_of(outcome) == expected
