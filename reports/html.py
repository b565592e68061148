"""Self-contained Chinese HTML: one page per submission and a dashboard across districts."""

from __future__ import annotations

import datetime
import functools
import gc
import multiprocessing
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from expectations.progress import progress_words
from expectations.rules import rule_title
from reports.clock import shown as shown_time
from reports.forking import can_fork
from submissions import CATEGORY_LABELS, ERROR, SEVERITY_LABELS
from submissions.finding import DATA_ERROR_CATEGORIES, SEVERITY_RANK, is_data_error
from submissions.output import write_text

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome, Result

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_LABELS = {"ok": "通过", "warning": "有警告", "error": "有错误", "unreadable": "无法读取"}
STATUS_RANK = {"unreadable": 0, "error": 1, "warning": 2, "ok": 3}
LAYOUT_LABELS = {"wide": "宽表", "long": "长表"}
MARKS = {"error": "✕", "warning": "!", "ok": "✓", "none": "—", "unreadable": "?"}

_ENVIRONMENT: Environment | None = None


class PageEnvironment(Environment):
    """Pages are built from plain dicts: `page.title` looks the key up first. Jinja's own order
    (attribute, then key) raised and caught an AttributeError for every value on a page."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def environment() -> Environment:
    """Autoescaping everywhere: every value that came from a spreadsheet is shown as text.
    Templates ship with the package, so they are not checked for changes on every page."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = PageEnvironment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        # a stored time as the city reads it (review comments on the service's pages); set
        # here, before any page is compiled, so a page written offline compiles as well
        _ENVIRONMENT.filters["local"] = shown_time
    return _ENVIRONMENT


def page_name(position: int, result: Result) -> str:
    """Never the uploaded file's own name: a number and the content hash."""
    return f"{position + 1:04d}-{result.submission.sha256[:12]}.html"


PARALLEL_PAGES = 200  # below this, starting worker processes costs more than it saves
_SHARED: tuple | None = None  # what forked page writers read: inherited, never pickled
_FORKING = threading.Lock()


def write_html(
    outcome: Outcome,
    folder: Path,
    validated_at: str | None = None,
    workers: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> Path:
    """Write index.html and submissions/*.html under `folder`; return the dashboard's path.

    With `workers` > 1 and many pages, the pages are written by forked processes, each taking
    every n-th page: on 1,000 pages rendering is most of the time, and it needs no shared state.
    This process writes the dashboard and runs `meanwhile` (the JSON and CSV, say) while they
    render: 0.5 s of a 1,000-file batch that would otherwise wait.
    """
    global _SHARED
    validated_at = validated_at or datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    pages = folder / "submissions"
    pages.mkdir(parents=True, exist_ok=True)
    values = values_by_file(outcome)
    names = [page_name(position, result) for position, result in enumerate(outcome.results)]
    environment().get_template("submission.html")  # compiled once, before any fork
    shared = (outcome, values, validated_at, pages, names)
    positions = range(len(names))
    links = [f"submissions/{name}" for name in names]
    dashboard = folder / "index.html"

    def write_dashboard() -> None:
        page = dashboard_page(outcome, links, validated_at, values)
        template = environment().get_template("dashboard.html")
        write_text(dashboard, template.render(page=page, marks=MARKS))
        if meanwhile is not None:
            meanwhile()

    if workers > 1 and len(names) >= PARALLEL_PAGES and can_fork():
        outcome.render_ahead()
        with _FORKING:  # the global is what the children inherit: one fork-out at a time
            _SHARED = shared
            try:
                shares = [positions[start::workers] for start in range(workers)]
                context = multiprocessing.get_context("fork")
                # Frozen, the parent's objects are not traversed by the children's collector:
                # traversing them would write to (and copy) every page of the inherited heap.
                gc.freeze()
                with ProcessPoolExecutor(workers, mp_context=context) as pool:
                    written = pool.map(_write_pages, shares)  # submitted at once
                    write_dashboard()
                    list(written)
            finally:
                gc.unfreeze()
                _SHARED = None
    else:
        _write_pages(positions, shared)
        write_dashboard()
    return dashboard


def _write_pages(positions: range, shared: tuple | None = None) -> None:
    chosen = shared or _SHARED
    assert chosen is not None  # set by the parent before it forks
    outcome, values, validated_at, folder, names = chosen
    template = environment().get_template("submission.html")
    for position in positions:
        result = outcome.results[position]
        page = submission_page(
            outcome, result, values.get(result.submission.file, {}), validated_at
        )
        page["dashboard_link"] = "../index.html"
        write_text(folder / names[position], template.render(page=page))


def worst_by_indicator(findings) -> dict[str, str]:
    """indicator code → the most severe finding's severity."""
    return _worst([f.indicator for f in findings], [f.severity for f in findings])


def _as_table(result: Result) -> bool:
    """Whether a page reads the result's findings from its table: many, not yet records."""
    return not result.materialised and len(result) > PAGE_FINDINGS


def _worst_of(result: Result) -> dict[str, str]:
    """worst_by_indicator of a result, from its findings table when it has many."""
    if not _as_table(result):
        return worst_by_indicator(result.findings)
    table = result.overview
    return _worst(
        table["indicator"].astype(object).tolist(), table["severity"].astype(object).tolist()
    )


def _worst(indicators: list, severities: list) -> dict[str, str]:
    worst: dict[str, str] = {}
    for indicator, severity in zip(indicators, severities, strict=True):
        if indicator:
            current = worst.get(indicator)
            if current is None or SEVERITY_RANK[severity] < SEVERITY_RANK[current]:
                worst[indicator] = severity
    return worst


# A page lists every finding up to this many; past it, the first of each rule and the counts
# (230,000 rows made a page of hundreds of MB that no browser opens; the CSV has them all).
PAGE_FINDINGS = 2000
FIRST_PER_RULE = 20


def _shown_findings(findings: list) -> list:
    if len(findings) <= PAGE_FINDINGS:
        return findings
    taken: Counter = Counter()
    shown = []
    for finding in findings:
        if taken[finding.rule] < FIRST_PER_RULE:
            taken[finding.rule] += 1
            shown.append(finding)
    return shown


def _capped(findings: list) -> dict | None:
    """Counts by rule, category and indicator, for a page that does not list everything."""
    if len(findings) <= PAGE_FINDINGS:
        return None
    return _counts(
        len(findings),
        [f.rule for f in findings],
        [f.category for f in findings],
        [f.indicator_name for f in findings],
    )


def _counts(total: int, rules_of: list, categories_of: list, names_of: list) -> dict:
    rules = Counter(rules_of)
    categories = Counter(CATEGORY_LABELS.get(c, c) for c in categories_of)
    indicators = Counter(name or "（整个文件）" for name in names_of)
    return {
        "total": total,
        "per_rule": FIRST_PER_RULE,
        "rules": [(code, rule_title(code), count) for code, count in rules.most_common()],
        "categories": categories.most_common(),
        "indicators": indicators.most_common(30),
    }


def _finding_row(finding) -> dict:
    return {
        "severity": finding.severity,
        "severity_label": SEVERITY_LABELS[finding.severity],
        "rank": SEVERITY_RANK[finding.severity],
        "category_label": CATEGORY_LABELS.get(finding.category, finding.category),
        "indicator": finding.indicator,
        "indicator_name": finding.indicator_name,
        "year": finding.year,
        "sheet": finding.sheet,
        "cell": finding.cell,
        "value": finding.value,
        "expected": finding.expected,
        "message": finding.message,
        "explanation": finding.explanation,
        "rule": finding.rule,
        "rule_title": rule_title(finding.rule),
    }


VALUE_COLUMNS = ["file", "indicator", "role", "year", "value", "raw", "cell"]


def values_by_file(outcome: Outcome) -> dict:
    """file → indicator code → list of (role, year, value, raw, cell), read once for all pages."""
    table = outcome.table
    found: dict = defaultdict(lambda: defaultdict(list))
    if table is None or table.empty:
        return found
    known = table.loc[table["indicator"].notna(), VALUE_COLUMNS]
    columns = VALUE_COLUMNS
    # plain lists first: iterating pandas' nullable Int64 column row by row is slow
    year = known["year"].astype("float64").tolist()
    lists = [known[c].tolist() if c != "year" else year for c in columns]
    for file, code, role, year, value, raw, cell in zip(*lists, strict=True):
        found[file][code].append((role, year, value, raw, cell))
    return found


def _page_facts(result: Result) -> dict:
    """What a submission page shows of its findings: counts, the worst finding of each
    indicator, the cells with findings, and the findings listed (the first of each rule, and
    counts by rule, category and indicator, past PAGE_FINDINGS)."""
    if not _as_table(result):
        findings = result.findings
        return {
            "severities": Counter(f.severity for f in findings),
            "categories": Counter(f.category for f in findings),
            "worst": worst_by_indicator(findings),
            "flagged": {f.cell for f in findings if f.cell},
            "wrong": {f.cell for f in findings if f.cell and is_data_error(f)},
            "shown": _shown_findings(findings),
            "capped": _capped(findings),
        }
    # Many findings still as a table: counted from its columns, and only the findings listed
    # made into records (making all 386,000 of a file with random values into records took
    # `check --html` to 8.2 s and 632 MB; so it takes 5.4 s and 429 MB).
    table = result.overview
    rules = table["rule"].astype(object).tolist()
    categories = table["category"].astype(object).tolist()
    severities = table["severity"].astype(object).tolist()
    cells = table["cell"].astype(object).tolist()
    wrong_rows = (table["severity"] == ERROR).to_numpy() & table["category"].isin(
        list(DATA_ERROR_CATEGORIES)
    ).to_numpy()
    names = result.indicator_names().tolist()
    listed = np.flatnonzero(
        table.groupby("rule", observed=True).cumcount().to_numpy() < FIRST_PER_RULE
    )
    return {
        "severities": Counter(severities),
        "categories": Counter(categories),
        "worst": _worst_of(result),
        "flagged": {cell for cell in cells if cell},
        "wrong": {cells[row] for row in np.flatnonzero(wrong_rows).tolist() if cells[row]},
        "shown": result.records_at(listed.tolist()),
        "capped": _counts(len(table), rules, categories, names),
    }


def submission_page(outcome: Outcome, result: Result, values: dict, validated_at: str) -> dict:
    submission = result.submission
    catalog = outcome.loaded.catalog
    facts = _page_facts(result)
    severity_counts, category_counts = facts["severities"], facts["categories"]
    worst_by_code = facts["worst"]
    flagged_cells, wrong_cells = facts["flagged"], facts["wrong"]
    who = " ".join(
        x for x in (submission.district, f"{submission.year}年" if submission.year else None) if x
    )
    return {
        "title": f"{who or submission.file} 指标填报校验结果",
        "status": result.status,
        "status_label": STATUS_LABELS[result.status],
        "errors": severity_counts.get("error", 0),
        "warnings": severity_counts.get("warning", 0),
        "file": submission.file,
        "district": submission.district,
        "year": submission.year,
        "kind": submission.kind,
        "layout": submission.layout,
        "layout_label": LAYOUT_LABELS.get(submission.layout or "", ""),
        "sha256": submission.sha256,
        "catalog_name": catalog.name,
        "catalog_id": catalog.id,
        "catalog_version": outcome.loaded.version,
        "validated_at": validated_at,
        "severity_counts": [
            (SEVERITY_LABELS[s], n)
            for s, n in sorted(severity_counts.items(), key=lambda i: SEVERITY_RANK[i[0]])
        ],
        "category_counts": [
            (CATEGORY_LABELS.get(c, c), n) for c, n in category_counts.most_common()
        ],
        "findings": [_finding_row(f) for f in facts["shown"]],
        "capped": facts["capped"],
        "indicators": []
        if submission.unreadable
        else _indicator_rows(catalog, values, worst_by_code, flagged_cells, wrong_cells),
        "dashboard_link": None,
    }


def _indicator_rows(
    catalog,
    values: dict,
    worst_by_code: dict,
    flagged_cells: set,
    wrong_cells: set | frozenset = frozenset(),
) -> list[dict]:
    rows = []
    for ind in catalog.indicators:
        entries = values.get(ind.code, [])
        baseline = target = None
        actuals = []
        for entry in entries:  # one pass: this runs for 25 indicators on 1,000 pages
            role, year, value = entry[0], entry[1], entry[2]
            if role == "actual":
                actuals.append(entry)
            elif value != value:
                continue  # a blank baseline or target
            elif role == "baseline" and baseline is None:
                baseline = entry
            elif role == "target" and (target is None or year > target[1]):
                target = entry
        if not ind.required and not baseline and not target:
            if all(e[2] != e[2] for e in actuals):
                continue  # an optional indicator the district left blank
        actuals.sort(key=lambda e: e[1])
        base_value = baseline[2] if baseline else (ind.baseline.value if ind.baseline else None)
        target_value = target[2] if target else (ind.target.value if ind.target else None)
        # a value with an error finding is neither progress nor a point on the chart
        usable = [e for e in actuals if e[2] == e[2] and e[4] not in wrong_cells]
        reported = [e for e in actuals if e[2] == e[2] or e[4] in wrong_cells]
        latest = usable[-1][2] if usable else None
        if reported and reported[-1][4] in wrong_cells:
            progress, progress_sort = "数据有误", "-1"
        else:
            progress, progress_sort = _progress(base_value, latest, target_value)
        worst = worst_by_code.get(ind.code, "ok" if entries else "none")
        rows.append(
            {
                "code": ind.code,
                "name": ind.name,
                "unit": ind.unit,
                "binding": ind.binding,
                "baseline": shown_number(base_value)
                + ("" if baseline else "（全市）" if ind.baseline else ""),
                "actuals": [
                    {
                        "year": int(e[1]) if e[1] == e[1] and e[1] is not None else "",
                        "shown": shown_number(e[2]) if e[2] == e[2] else (e[3] or "空白"),
                        "raw": e[3],
                        "flagged": e[4] in flagged_cells,
                    }
                    for e in actuals[:VALUES_SHOWN]
                ],
                "more_values": max(len(actuals) - VALUES_SHOWN, 0),
                "target": shown_number(target_value)
                + ("" if target or not ind.target else "（全市）"),
                "city_target": ind.target_summary,
                "chart": progress_chart(base_value, [(e[1], e[2]) for e in usable], target_value),
                "progress": progress,
                "progress_sort": progress_sort,
                "worst": worst,
                "worst_label": {"ok": "无问题", "none": "未填报"}.get(
                    worst, SEVERITY_LABELS.get(worst, "")
                ),
            }
        )
    return rows


# An indicator's row lists this many reported values at most: a long file of 3,000 districts
# listed all 12,000 of each indicator, and its page weighed 26 MB.
VALUES_SHOWN = 12


def shown_number(value) -> str:
    """A value as pages show it: four decimals at most, a dash for none."""
    if value is None or value != value:
        return "—"
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")  # display only: 4 decimals at most
    return "0" if text in ("-0", "") else text


def _progress(base, latest, target) -> tuple[str, str]:
    if None in (base, latest, target) or latest != latest or target == base:
        return "", "-1"
    share = (latest - base) / (target - base)
    return progress_words(share), f"{share:.4f}"


CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 150.0, 36.0, 4.0


@functools.cache
def _chart_x(count: int) -> tuple[str, ...]:
    step = (CHART_WIDTH - 2 * CHART_PAD) / max(1, count)
    return tuple(f"{CHART_PAD + i * step:.1f}" for i in range(count))


def progress_chart(base, actuals: list[tuple], target) -> str:
    """A 150×36 inline SVG: baseline and actuals as a line, the target as a dashed level.
    (Drawn 25 times on each of up to 1,000 pages: kept to plain string work.)"""
    points = ([base] if base is not None else []) + [
        v for _, v in actuals if v == v and v is not None
    ]
    if not points or target is None:
        return ""
    low, high = min(*points, target), max(*points, target)
    scale = (CHART_HEIGHT - 2 * CHART_PAD) / ((high - low) or 1.0)
    bottom = CHART_HEIGHT - CHART_PAD
    ys = [f"{bottom - (v - low) * scale:.1f}" for v in points]
    line = " ".join(map(",".join, zip(_chart_x(len(points)), ys, strict=True)))
    target_y = f"{bottom - (target - low) * scale:.1f}"
    return (
        '<svg class="progress" width="150" height="36" viewBox="0 0 150 36" role="img" '
        f'aria-label="进度图"><line x1="{CHART_PAD}" y1="{target_y}" '
        f'x2="{CHART_WIDTH - CHART_PAD}" y2="{target_y}" stroke="#2f855a" '
        'stroke-dasharray="4 3"/><polyline fill="none" stroke="#3b6ea8" stroke-width="2" '
        f'points="{line}"/></svg>'
    )


def _districts_by_file(table) -> dict[str, list[str]]:
    """file → its districts (Submission.districts of every file at once: one at a time took
    0.25 s of a 1,000-file dashboard)."""
    if table is None or table.empty:
        return {}
    pairs = table[["file", "district"]].dropna().drop_duplicates()
    found: dict[str, list[str]] = defaultdict(list)
    for file, district in zip(pairs["file"].tolist(), pairs["district"].tolist(), strict=True):
        found[file].append(district)
    return {file: sorted(districts) for file, districts in found.items()}


def dashboard_page(
    outcome: Outcome, links: list[str], validated_at: str, values: dict | None = None
) -> dict:
    catalog = outcome.loaded.catalog
    columns = [{"code": i.code, "name": i.name} for i in catalog.indicators if i.required]
    # 25 cells × 1,000 districts, but only a few distinct ones: each is escaped once.
    cell_html = functools.cache(
        lambda state, position: Markup(
            '<td class="sev-{0}" data-sort="{0}" title="{1}">{2}</td>'
        ).format(state, columns[position]["name"], MARKS[state])
    )
    rows = []
    submitted: set[str] = set()
    readable: set[str] = set()
    statuses: Counter[str] = Counter()
    districts_of = _districts_by_file(outcome.table)
    for result, link in zip(outcome.results, links, strict=True):
        submission = result.submission
        statuses[result.status] += 1
        districts = (
            districts_of.get(submission.file) or submission.districts or [submission.district]
        )
        submitted.update(d for d in districts if d)
        if result.status != "unreadable":
            readable.update(d for d in districts if d)
        worst = _worst_of(result)
        if values is not None:
            present = set(values.get(submission.file, {}))
        else:
            present = (
                set(submission.table["indicator"].dropna()) if not submission.table.empty else set()
            )
        cells = []
        for position, column in enumerate(columns):
            if result.status == "unreadable":
                state = "unreadable"
            elif column["code"] in worst:
                state = worst[column["code"]]
            else:
                state = "ok" if column["code"] in present else "none"
            cells.append(cell_html(state, position))
        label = "、".join(d for d in districts if d) or Path(submission.file).name
        rows.append(
            {
                "cells_html": Markup("").join(cells),
                "label": label,
                "year": submission.year,
                "status": result.status,
                "status_label": STATUS_LABELS[result.status],
                "rank": STATUS_RANK[result.status],
                "errors": result.count("error"),
                "warnings": result.count("warning"),
                "link": link,
            }
        )
    worst_status = min(statuses, key=lambda s: STATUS_RANK[s], default="ok")
    return {
        "title": f"{catalog.jurisdiction}“一老一小”指标填报汇总",
        "status": worst_status,
        "submitted": len(outcome.results),
        "ok": statuses["ok"],
        "warning": statuses["warning"],
        "error": statuses["error"],
        "unreadable": statuses["unreadable"],
        "catalog_name": catalog.name,
        "catalog_id": catalog.id,
        "catalog_version": outcome.loaded.version,
        "validated_at": validated_at,
        "missing_required": [u for u in catalog.reporting_units.required if u not in submitted],
        "missing_optional": [u for u in catalog.reporting_units.optional if u not in submitted],
        "unreadable_units": [u for u in catalog.reporting_units.all if u in submitted - readable],
        "batch_findings": [_finding_row(f) for f in outcome.batch_findings],
        "columns": columns,
        "rows": rows,
    }
