"""The JSON contract of DESIGN.md section 6: one document for a check or a batch run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import orjson
import pandas as pd

from reports.forking import Forked, can_fork_alone
from submissions import ERROR, INFO, WARNING, Finding
from submissions.codes import mixed_key
from submissions.heap import release_freed
from submissions.output import replaced

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome, Result

FINDING_KEYS = (
    "severity", "category", "rule", "indicator", "indicator_name", "year", "sheet", "cell",
    "value", "expected", "message", "explanation", "district", "engine", "detail",
)  # fmt: skip


def finding_document(finding: Finding) -> dict:
    return {key: getattr(finding, key) for key in FINDING_KEYS}


class FindingsTable:
    """A submission's findings still as the engine's table: written straight to JSON by
    write_document, a slice at a time, each slice's messages written just before it (building
    386,000 dicts first cost 2.5 s and 400 MB; holding every message at once, 370 MB). With
    many findings and a second core, a forked copy writes the second half meanwhile."""

    SLICE = 50_000
    PARALLEL = 100_000  # fewer findings than this: a second process costs more than it saves

    def __init__(self, result: Result) -> None:
        self.result = result

    def write(self, out: BinaryIO) -> None:
        total = len(self.result)
        half = total
        later = None
        if total >= self.PARALLEL and can_fork_alone():
            self.result.work_out_details()  # once, here, not in both processes
            half = total // 2
            later = Forked(
                lambda sink: self._write_range(sink, half, total), timeout=60 + total / 1000
            )
        out.write(b"[")
        self._write_range(out, 0, half)
        if later is not None:
            out.write(b",")
            later.copy_to(out)
        out.write(b"]")

    def _write_range(self, out: BinaryIO, start: int, stop: int) -> None:
        """Findings start … stop-1 as JSON objects separated by commas."""
        for number, part in enumerate(self.result.slices(self.SLICE, start, stop)):
            text = records_json(part)
            if number:
                out.write(b",")
            out.write(text)
            del text, part
            release_freed()  # a slice's messages and JSON, before the next slice's


# Columns whose values are mostly different on every row; the others repeat a few values.
EVERY_ROW = ("message", "value", "cell", "expected")


def _runs() -> list[tuple[bool, tuple[str, ...]]]:
    """FINDING_KEYS in runs of neighbours that repeat (True) or differ on every row."""
    runs: list[tuple[bool, tuple[str, ...]]] = []
    for key in FINDING_KEYS:
        repeats = key not in EVERY_ROW
        if runs and runs[-1][0] == repeats:
            runs[-1] = (repeats, (*runs[-1][1], key))
        else:
            runs.append((repeats, (key,)))
    return runs


RUNS = _runs()
# One %b for each run of repeating keys (its keys and values written together), one for each
# value of the others.
RECORD = (
    b"{"
    + b",".join(
        b"%b" if repeats else b'"%s":%%b' % key.encode()
        for repeats, keys in RUNS
        for key in (keys[:1] if repeats else keys)
    )
    + b"}"
)


def records_json(findings: pd.DataFrame) -> bytes:
    """The findings as JSON objects (FINDING_KEYS), separated by commas, without brackets.
    Neighbouring keys whose values repeat (severity … sheet) are written together, once for
    each combination that occurs; each other value is encoded by orjson in one list of them
    all. 0.08 s per 50,000 findings where DataFrame.to_json took 0.15 s."""
    count = len(findings)
    if count == 0:
        return b""
    try:
        together = [_together(findings, keys) for repeats, keys in RUNS if repeats]
        texts = [v for key in EVERY_ROW for v in findings[key].to_numpy(dtype=object).tolist()]
        every_row = _each_encoded(texts)
    except (orjson.JSONEncodeError, TypeError):  # a value orjson cannot write: pandas can
        every_row = None
    if every_row is None or any(column is None for column in together):
        records = findings[list(FINDING_KEYS)].astype({"year": "Int64"})
        return records.to_json(orient="records", force_ascii=False)[1:-1].encode("utf-8")
    del texts
    columns: list = []
    for repeats, keys in RUNS:
        if repeats:
            columns.append(together.pop(0))
            continue
        for key in keys:
            number = EVERY_ROW.index(key)
            columns.append(every_row[number * count : (number + 1) * count])
    del every_row
    return b",".join([RECORD % row for row in zip(*columns, strict=True)])


def _together(findings: pd.DataFrame, keys: tuple[str, ...]) -> np.ndarray | None:
    """'"key":value,…' of these keys for each finding, written once per combination."""
    codes, written = [], []
    for key in keys:
        values = findings[key].astype("Int64") if key == "year" else findings[key]
        if isinstance(values.dtype, pd.CategoricalDtype):
            own, distinct = values.cat.codes.to_numpy(), values.cat.categories.to_numpy(object)
        else:
            own, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        each = _each_encoded(distinct.tolist())
        if each is None:
            return None
        codes.append(own)
        written.append([*each, b"null"])  # code -1 (none) picks the last
    _, first, combination = np.unique(mixed_key(codes), return_index=True, return_inverse=True)
    fragments = np.empty(len(first), dtype=object)
    fragments[:] = [
        b",".join(b'"%s":%b' % (key.encode(), written[number][codes[number][row]])
                  for number, key in enumerate(keys))
        for row in first.tolist()
    ]  # fmt: skip
    return fragments[combination.reshape(-1)]


def _each_encoded(values: list) -> list[bytes] | None:
    """orjson's JSON of each value, from one call for them all: indented, orjson puts each
    item of a list on a line of its own, and a line break inside a text is always escaped,
    so ",\n  " is found only between items. None if they do not come apart one for one (a
    list of several values inside); a list of one spans lines but is still JSON."""
    if not values:
        return []
    listed = orjson.dumps(values, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    items = listed[len(b"[\n  ") : -len(b"\n]")].split(b",\n  ")
    return items if len(items) == len(values) else None


def _findings_of(result: Result, deferred: bool):
    if deferred and not result.materialised:
        return FindingsTable(result)
    return [finding_document(f) for f in result.findings]


def submission_document(result: Result, deferred: bool = False) -> dict:
    """The contract's submission object; with `deferred` its findings may be a FindingsTable,
    which only write_document writes (the service stores documents as plain JSON)."""
    submission = result.submission
    table = submission.table
    from submissions.codes import present

    indicators = 0 if table is None or table.empty else len(present(table["indicator"]))
    return {
        "file": submission.file,
        "district": submission.district,
        "year": submission.year,
        "status": result.status,
        "summary": {
            "errors": result.count(ERROR),
            "warnings": result.count(WARNING),
            "infos": result.count(INFO),
            "indicators": indicators,
        },
        "sha256": submission.sha256,
        "layout": submission.layout,
        "kind": submission.kind,
        "findings": _findings_of(result, deferred),
    }


def document(outcome: Outcome, deferred: bool = False) -> dict:
    return {
        "catalog": outcome.loaded.catalog.id,
        "catalog_version": outcome.loaded.version,
        "submissions": [submission_document(r, deferred) for r in outcome.results],
        "batch_findings": [finding_document(f) for f in outcome.batch_findings],
        "engines": dict(outcome.engines),
    }


def json_bytes(data: dict) -> bytes:
    """The document as UTF-8 JSON, indented by two, keys in the order given. orjson writes
    230,000 findings in 0.4 s where the standard library's encoder took 3–5 s."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def write_document(data: dict, out: BinaryIO) -> None:
    """json_bytes(data), written to `out`, with any FindingsTable written in its place."""
    deferred = [
        (submission, submission["findings"])
        for submission in data.get("submissions", [])
        if isinstance(submission.get("findings"), FindingsTable)
    ]
    for number, (submission, _table) in enumerate(deferred):
        submission["findings"] = f"\x00findings-{number}\x00"  # where the table goes
    try:
        text = json_bytes(data)
    finally:
        for submission, table in deferred:
            submission["findings"] = table
    for number, (_submission, table) in enumerate(deferred):
        before, text = text.split(f'"\\u0000findings-{number}\\u0000"'.encode(), 1)
        out.write(before)
        table.write(out)
    out.write(text)


def write_json(data: dict, path: Path) -> None:
    """Write atomically, so that a scheduled job never leaves half a document behind."""
    with replaced(path, mode="wb", encoding=None) as out:
        write_document(data, out)
