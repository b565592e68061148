"""Running the rules: one lazy pandera pass over all submissions, failures mapped back to cells."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from expectations.context import enrich
from expectations.rules import ROW_RULES, TABLE_RULES, Rule
from indicators import LoadedCatalog
from submissions import ERROR, WARNING, Finding, Submission, severity_for
from submissions.layout import text_or_none
from submissions.reader import joined_table

ROLE_LABELS = {"actual": "", "baseline": "（基期）", "target": "（目标）"}
DIRECTION_LABELS = {"increase": "应逐步提高", "decrease": "应逐步降低", "maintain": "应保持"}


@dataclass
class Result:
    submission: Submission
    findings: list[Finding] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)  # rule code → engine that ran it

    @property
    def status(self) -> str:
        if self.submission.unreadable:
            return "unreadable"
        severities = {f.severity for f in self.findings}
        if ERROR in severities:
            return "error"
        return "warning" if WARNING in severities else "ok"

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class Outcome:
    loaded: LoadedCatalog
    results: list[Result]
    batch_findings: list[Finding]
    table: pd.DataFrame  # the enriched tidy table of every readable submission
    engines: dict[str, str] = field(default_factory=dict)  # rule code → engine that ran it

    @property
    def has_errors(self) -> bool:
        return any(r.status in ("error", "unreadable") for r in self.results) or any(
            f.severity == ERROR for f in self.batch_findings
        )


def schema_for(
    loaded: LoadedCatalog, checked: pd.DataFrame, broken: list[Exception] | None = None
) -> pa.DataFrameSchema:
    """The catalog's row rules as one pandera schema over `checked`, the rows of this run.

    pandera is handed a one-column frame of row positions and each check evaluates its rule on
    `checked`, aligned on the same index. pandera calls isna() over every column of its frame
    once per check to build failure cases: on the 35 checked columns that cost 0.135 s per check
    per 375,000 rows (2.3 s for 17 rules); on one integer column it is negligible.
    """

    def check(rule):
        def passes(positions: pd.DataFrame) -> pd.Series:
            try:
                result = rule.passes(checked, loaded.catalog)
            except Exception as exc:
                # pandera would record this as one failure case without a row, which reads
                # like "the rule passed": a rule that cannot run must stop the run instead.
                if broken is not None:
                    broken.append(exc)
                raise
            return result.reindex(positions.index, fill_value=True)

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
    "units_name",
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
    """rule code → index of the rows that fail it."""
    if table.empty:
        return {}
    positions = pd.DataFrame({"row": np.arange(len(table), dtype=np.int64)}, index=table.index)
    broken: list[Exception] = []
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            schema = schema_for(loaded, checked_frame(table), broken)
            schema.validate(positions, lazy=not fail_fast)
    except pa.errors.SchemaErrors as exc:
        if broken:
            raise broken[0] from exc
        cases = exc.failure_cases
    except pa.errors.SchemaError as exc:  # fail-fast: only the first failing check
        if broken:
            raise broken[0] from exc
        cases = exc.failure_cases
        if cases is None or "index" not in getattr(cases, "columns", []):
            return {}
        cases = cases.assign(check=str(exc.check.name))
    else:
        return {}
    cases = cases.dropna(subset=["index"])
    return {
        str(check): pd.Index(group["index"].unique())
        for check, group in cases.groupby("check", sort=False)
    }


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
    table = joined_table([s for s in submissions if not s.unreadable])
    if table.empty:
        results = [Result(s, list(s.findings), engines) for s in submissions]
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
    by_file: dict[str, list[Finding]] = {s.file: list(s.findings) for s in submissions}
    for code, index in failing.items():
        rule = ROW_RULES[code]
        for finding in row_findings(rule, enriched, index, loaded, engines[code]):
            by_file.setdefault(finding.file or "", []).append(finding)
    batch_findings: list[Finding] = []
    for table_rule in TABLE_RULES.values():
        if table_rule.level >= 4 and not across_districts:
            continue
        extra = {"history": history} if table_rule.uses_history else {}
        for finding in table_rule.run(enriched, loaded.catalog, submissions, **extra):
            if finding.file is None:
                batch_findings.append(finding)
            else:
                by_file.setdefault(finding.file, []).append(finding)
    results = []
    for submission in submissions:
        findings = _dedupe(by_file.get(submission.file, []))
        results.append(Result(submission, findings, engines))
    batch_findings.sort(key=lambda f: f.sort_key)
    return Outcome(loaded, results, batch_findings, enriched, engines)


RULE_CODES = [*ROW_RULES, *TABLE_RULES]


def row_findings(
    rule: Rule, table: pd.DataFrame, index: pd.Index, loaded: LoadedCatalog, engine: str = "pandera"
) -> list[Finding]:
    rows = table.loc[index]
    details = rule.details(table, loaded.catalog, index) if rule.details else {}
    findings = []
    for position, row in zip(index, rows.itertuples(index=False), strict=True):
        extra = details.get(position, {})
        found, expected = rule.describe(row, extra)
        cell = text_or_none(getattr(row, rule.cell_column, None)) or row.cell
        name = text_or_none(row.indicator_name) or text_or_none(row.label) or ""
        district = text_or_none(row.district)
        year = None if pd.isna(row.year) else int(row.year)
        fields = {
            "name": name,
            "year": year if year is not None else "",
            "role_label": ROLE_LABELS.get(row.role, ""),
            "district": district or "",
            "direction_label": DIRECTION_LABELS.get(row.direction, ""),
            "found": found,
            "expected": expected,
            "hint": "",
            "reason": "",
            "first_cell": "",
            **extra,
        }
        # Cell text can be anything a user typed: keep messages readable whatever its length.
        fields = {key: _clip(value) for key, value in fields.items()}
        message = f"工作表“{_clip(row.sheet)}”{cell}：" + rule.template.format(**fields)
        note = row.note if isinstance(row.note, str) and row.note.strip() else None
        findings.append(
            Finding(
                rule=rule.code,
                category=rule.category,
                severity=severity_for(rule.category, bool(row.binding)),
                message=message,
                file=row.file,
                district=district,
                sheet=row.sheet,
                cell=cell,
                indicator=text_or_none(row.indicator),
                indicator_name=name or None,
                year=year,
                value=str(row.raw) if row.raw is not None else None,
                expected=expected,
                explanation=note,
                engine=engine,
                related_cell=text_or_none(getattr(row, rule.related_column))
                if rule.related_column
                else None,
            )
        )
    return findings


MESSAGE_FIELD_LIMIT = 60


def _clip(value: object) -> object:
    if isinstance(value, str) and len(value) > MESSAGE_FIELD_LIMIT:
        return value[: MESSAGE_FIELD_LIMIT - 1] + "…"
    return value


def _level(finding: Finding) -> int:
    rule = ROW_RULES.get(finding.rule) or TABLE_RULES.get(finding.rule)
    return rule.level if rule else 0


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and position; no trend or outlier noise on a cell already wrong."""
    broken = {(f.file, f.sheet, f.cell) for f in findings if f.cell is not None and _level(f) <= 2}
    doubtful = broken | {(f.file, f.sheet, f.cell) for f in findings if f.category == "outlier"}
    seen = set()
    unique = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        here = (finding.file, finding.sheet, finding.cell)
        depends_on = (finding.file, finding.sheet, finding.related_cell)
        if _level(finding) >= 3 and (here in broken or depends_on in doubtful):
            continue
        key: tuple = (
            finding.rule,
            finding.file,
            finding.sheet,
            finding.cell,
            finding.indicator,
            finding.district,
        )
        if finding.cell is None:
            key = (*key, finding.year, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
