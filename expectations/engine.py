"""Running the rules: one lazy pandera pass over all submissions, failures mapped back to cells."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from expectations.context import enrich
from expectations.rules import ROW_RULES, TABLE_RULES
from expectations.settling import (
    OVERVIEW,
    Renderer,
    by_file,
    materialise,
    records_frame,
    rule_skeleton,
    settle,
    stacked,
)
from indicators import LoadedCatalog
from submissions import ERROR, WARNING, Finding, Submission
from submissions.heap import release_freed
from submissions.reading.tidy import joined_table


class Result:
    """One submission's findings. From the engine they come settled (expectations.settling):
    which rule, where and how bad as columns, their messages written only when asked — a
    slice at a time by the writers (`slices`), all at once for `frame`, and as Finding
    records for callers that iterate `findings`."""

    def __init__(
        self,
        submission: Submission,
        findings: list[Finding] | None = None,
        engines: dict[str, str] | None = None,
        settled: pd.DataFrame | None = None,
        renderer: Renderer | None = None,
        offset: int = 0,
    ) -> None:
        """`settled`: this submission's settled findings, which are `renderer.settled` from
        position `offset` on (without a renderer they are complete as they are)."""
        self.submission = submission
        self.engines = engines or {}  # rule code → engine that ran it
        self._findings = list(findings) if findings is not None else None
        self._settled = settled if findings is None else None
        self._renderer = renderer
        self._offset = offset
        self._frame: pd.DataFrame | None = None
        self._counted: dict[str, int] | None = None

    @property
    def findings(self) -> list[Finding]:
        if self._findings is None:
            self._findings = materialise(self.frame) if len(self) else []
        return self._findings

    @findings.setter
    def findings(self, findings: list[Finding]) -> None:
        self._findings, self._settled, self._frame = list(findings), None, None
        self._counted = None

    @property
    def materialised(self) -> bool:
        """Whether the Finding records exist (else only the findings table does)."""
        return self._findings is not None

    @property
    def frame(self) -> pd.DataFrame:
        """Every finding with every field, as a table (rendered once, then kept)."""
        if self._frame is None:
            if self._findings is not None:
                self._frame = records_frame(self._findings)
            else:
                self._frame = self._rendered(0, len(self))
        return self._frame

    def slices(self, size: int, start: int = 0, stop: int | None = None) -> Iterator[pd.DataFrame]:
        """The findings with every field, `size` at a time, in order (those from `start` to
        `stop`): for writers, which need never hold all the messages of a file at once."""
        stop = len(self) if stop is None else min(stop, len(self))
        whole = self.frame if self._findings is not None or self._frame is not None else None
        for first in range(start, stop, size):
            last = min(first + size, stop)
            yield whole.iloc[first:last] if whole is not None else self._rendered(first, last)

    @property
    def overview(self) -> pd.DataFrame:
        """rule, category, severity, sheet, cell, indicator and year of every finding, in
        order, without writing any message (counts, first cells, the worst per indicator)."""
        if self._findings is None and self._settled is not None:
            return self._settled[list(OVERVIEW)]
        return self.frame[list(OVERVIEW)]

    def indicator_names(self) -> np.ndarray:
        """Each finding's indicator_name, in order, without writing any message."""
        if self._findings is not None or self._frame is not None:
            return self.frame["indicator_name"].to_numpy(dtype=object)
        if self._settled is None:
            return np.full(0, None, dtype=object)
        if self._renderer is None:
            return self._settled["indicator_name"].to_numpy(dtype=object)
        return self._renderer.names(self._settled)

    def records_at(self, positions: list[int]) -> list[Finding]:
        """The findings at these positions as records, only their messages written."""
        if self._findings is not None:
            return [self._findings[position] for position in positions]
        if self._frame is not None or self._settled is None:
            return materialise(self.frame.iloc[positions])
        chosen = self._settled.iloc[positions]
        return materialise(chosen if self._renderer is None else self._renderer(chosen))

    def first(self, count: int) -> list[Finding]:
        """The first `count` findings as records."""
        if self._findings is not None or self._frame is not None:
            return self.findings[:count]
        return materialise(self._rendered(0, min(count, len(self))))

    def work_out_details(self) -> None:
        """The rules' details now, for writers forked after this to inherit."""
        if self._findings is None and self._renderer is not None:
            self._renderer.work_out_details()

    def __len__(self) -> int:
        if self._findings is not None:
            return len(self._findings)
        return len(self._settled) if self._settled is not None else 0

    def _rendered(self, first: int, stop: int) -> pd.DataFrame:
        """Findings first … stop-1 of this submission with every field."""
        if self._settled is None:
            return records_frame([])
        if self._renderer is None:
            return self._settled.iloc[first:stop]
        return self._renderer.rows(self._offset + first, self._offset + stop)

    def _severities(self) -> dict[str, int]:
        """severity → how many (counted once: a dashboard asks for every cell of its grid)."""
        if self._counted is None:
            if self._findings is None and self._settled is not None:
                self._counted = {}
                if len(self._settled):
                    counts = Counter(self._settled["severity"].astype(object).tolist())
                    self._counted = {str(k): v for k, v in counts.items()}
            else:
                self._counted = dict(Counter(f.severity for f in self.findings))
        return self._counted

    @property
    def status(self) -> str:
        if self.submission.unreadable:
            return "unreadable"
        severities = self._severities()
        if severities.get(ERROR):
            return "error"
        return "warning" if severities.get(WARNING) else "ok"

    def count(self, severity: str) -> int:
        return self._severities().get(severity, 0)


@dataclass
class Outcome:
    loaded: LoadedCatalog
    results: list[Result]
    batch_findings: list[Finding]
    table: pd.DataFrame  # the enriched tidy table of every readable submission
    engines: dict[str, str] = field(default_factory=dict)  # rule code → engine that ran it
    # each result's file (as reports name it) → its path, for writers that copy it (annotate)
    sources: dict[str, Path] = field(default_factory=dict)
    reused: int = 0  # submissions that came from the batch cache, unread

    def render_ahead(self) -> None:
        """Write every finding's message now if they make one block, else work out the rules'
        details: processes forked after this inherit them, rather than each doing it again."""
        renderers = {id(r._renderer): r._renderer for r in self.results if r._renderer}
        for renderer in renderers.values():
            settled = renderer.settled
            if settled is not None and 0 < len(settled) <= renderer.BLOCK:
                renderer.rows(0, len(settled))
            else:
                renderer.work_out_details()

    @property
    def has_errors(self) -> bool:
        return any(r.status in ("error", "unreadable") for r in self.results) or any(
            f.severity == ERROR for f in self.batch_findings
        )


def schema_for(loaded: LoadedCatalog, checked: pd.DataFrame) -> pa.DataFrameSchema:
    """The catalog's row rules as one pandera schema over `checked`, the rows of this run.

    pandera is handed a one-column frame of row positions and each check evaluates its rule on
    `checked`, aligned on the same index: a check sees every column it needs, and nothing is
    copied per check."""

    def check(rule):
        def passes(positions: pd.DataFrame) -> pd.Series:
            return rule.passes(checked, loaded.catalog).reindex(positions.index, fill_value=True)

        return pa.Check(passes, name=rule.code)

    return pa.DataFrameSchema(
        columns={"row": pa.Column(int)},
        checks=[check(rule) for rule in ROW_RULES.values()],
        name=f"catalog {loaded.catalog.id}",
    )


# The columns the row rules read (see checked_frame for how text is typed).
CHECKED_COLUMNS = [
    "file", "district", "year", "year_num", "role", "indicator", "label", "value", "high",
    "empty", "reason", "comparator", "percent", "unit_ok", "attribute_written", "attribute_read",
    "header_marker",
    "kind", "lower", "upper", "whole", "binding", "direction", "additive", "per_district",
    "required",
    "catalog_baseline", "catalog_target", "catalog_high", "catalog_comparator",
    "catalog_target_year", "tolerance", "own_baseline", "own_target", "own_target_year",
    "previous", "path_expected", "impossible", "district_target", "district_high", "units_value",
    "units_name", "raw", "note", "measured",
]  # fmt: skip


def checked_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns as categoricals (fast to compare) or plain objects, never pandas' str."""
    frame = table[CHECKED_COLUMNS]
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].astype(object)
    return frame


def prepare() -> None:
    """Register pandera's pandas backends now rather than in the first validation (it imports
    about a hundred modules): `check` calls this while a big workbook is still being parsed."""
    pa.DataFrameSchema.register_default_backends(pd.DataFrame)


def failing_rows(table: pd.DataFrame, loaded: LoadedCatalog, fail_fast: bool = False) -> dict:
    """rule code → index of the rows that fail it; with `fail_fast`, only the first rule that
    fails. Each check of the schema is called by itself rather than through
    schema.validate(lazy=True), which also builds and formats a failure case for every failing
    row: 0.7 s of 1.1 s on a file with 230,000 failures, for a table nothing here reads. A
    rule that cannot run raises (pandera would record one failure case without a row, which
    reads like "the rule passed")."""
    if table.empty:
        return {}
    positions = pd.DataFrame({"row": np.arange(len(table), dtype=np.int64)}, index=table.index)
    failing: dict[str, pd.Index] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        schema = schema_for(loaded, checked_frame(table))
        for check in schema.checks:
            passed = np.asarray(check(positions).check_output, dtype=bool)
            if not passed.all():
                failing[str(check.name)] = positions.index[~passed]
                if fail_fast:
                    break
    return failing


def validate(
    submissions: list[Submission],
    loaded: LoadedCatalog,
    *,
    fail_fast: bool = False,
    engine: str = "pandera",
    across_districts: bool = True,
    history: pd.DataFrame | None = None,
) -> Outcome:
    """Run every rule over all submissions at once. With engine="gx" the cell-level rules that
    Great Expectations expresses run through GX instead; the others stay with pandera.
    across_districts=False leaves out the level-4 rules: for unrelated files validated together
    (uploads batched by the service), where one file must not be judged against another.
    `history` holds values the same districts reported before (expectations.rules.revision's
    HISTORY_COLUMNS), for the service, whose earlier uploads are not part of the run."""
    engines = dict.fromkeys(RULE_CODES, "pandera")
    release_freed()  # what reading left behind
    table = joined_table([s for s in submissions if not s.unreadable])
    if table.empty:
        results = [
            Result(s, None, engines, settle(records_frame(list(s.findings)), LEVELS))
            for s in submissions
        ]
        return Outcome(loaded, results, [], pd.DataFrame(), engines)
    with np.errstate(invalid="ignore", divide="ignore"):
        enriched = enrich(table, loaded.catalog)
    failing = failing_rows(enriched, loaded, fail_fast)
    if engine == "gx":
        from expectations.gx import GX_RULES, gx_failing_rows

        failing = {code: index for code, index in failing.items() if code not in GX_RULES}
        failing.update(gx_failing_rows(table, loaded))
        engines.update(dict.fromkeys(GX_RULES, "gx"))
    if not across_districts:
        failing = {c: i for c, i in failing.items() if ROW_RULES[c].level < 4}
    # in the order the per-row engine collected them: what a file's reading found, each row
    # rule's failures, then whole-submission rules (ties in the ordering keep this order)
    # a finding of reading belongs to its submission, whatever file it names
    frames = [
        records_frame([f if f.file else replace(f, file=s.file) for s in submissions
                       for f in s.findings])
    ]  # fmt: skip
    for code, index in failing.items():
        frames.append(rule_skeleton(ROW_RULES[code], enriched, index))
    batch_findings: list[Finding] = []
    by_submission: list[Finding] = []
    for table_rule in TABLE_RULES.values():
        if table_rule.level >= 4 and not across_districts:
            continue
        extra = {"history": history} if table_rule.uses_history else {}
        for finding in table_rule.run(enriched, loaded.catalog, submissions, **extra):
            (batch_findings if finding.file is None else by_submission).append(finding)
    frames.append(records_frame(by_submission))
    # settled on where and how bad, then written out: on a file with random values a third
    # of the rows that fail are follow-ons of another finding, never rendered
    joined = stacked(frames)
    del frames
    release_freed()  # the rules' temporaries, before settling copies the findings
    found = settle(joined, LEVELS)
    del joined
    release_freed()
    found, places = by_file(found, [s.file for s in submissions])
    renderer = Renderer(ROW_RULES, enriched, loaded.catalog, engines, found)
    results = []
    for s in submissions:
        first, stop = places.get(s.file, (0, 0))
        results.append(Result(s, None, engines, found.iloc[first:stop], renderer, first))
    batch_findings.sort(key=lambda f: f.sort_key)
    return Outcome(loaded, results, batch_findings, enriched, engines)


RULE_CODES = [*ROW_RULES, *TABLE_RULES]


# the level of each rule (findings of reading have none: level 0)
LEVELS = {
    **{code: rule.level for code, rule in ROW_RULES.items()},
    **{code: rule.level for code, rule in TABLE_RULES.items()},
}
