"""Judging an evaluation (评估): which targets were met at a year, citywide and by district
(reports/evaluation_report.py writes it as JSON and text)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from expectations.rules.base import meets
from submissions.finding import is_data_error

if TYPE_CHECKING:
    from expectations.engine import Outcome
    from indicators import Catalog, Indicator

# How a district stands on one indicator; the labels people read.
MET, UNMET, NO_DATA, WRONG, NOT_JUDGED = "met", "unmet", "no_data", "wrong", "not_judged"
STANDING_LABELS = {
    MET: "达标",
    UNMET: "未达标",
    NO_DATA: "无数据",
    WRONG: "数据有误",
    NOT_JUDGED: "不单独考核",  # a share of a citywide total with no target of its own
}


@dataclass
class DistrictStanding:
    district: str
    value: float | None
    target: float | None  # the district's own target, else the one every district must meet
    own_target: bool
    met: bool | None
    standing: str
    progress: float | None  # share of the way from baseline to target
    cell: str | None = None
    file: str | None = None


@dataclass
class IndicatorEvaluation:
    indicator: Indicator
    year: int  # the year judged: the target year, or the evaluation year when that is earlier
    city_value: float | None
    city_met: bool | None
    reported: int  # required districts with a usable value
    required: int
    districts: list[DistrictStanding] = field(default_factory=list)
    distribution: dict | None = None  # for rates: min, median, max, how many meet the target

    @property
    def judged_at_target_year(self) -> bool:
        return self.year == self.indicator.plan_target.year


@dataclass
class Evaluation:
    catalog: Catalog
    year: int
    indicators: list[IndicatorEvaluation]
    missing_districts: list[str]  # required units with no submission at all
    unreadable_districts: list[str]  # received, but no file of theirs could be read
    unreadable_files: int = 0  # files that could not be read, whoever's they were

    def summary(self) -> dict:
        """What a leader reads in a minute."""
        counts = {}
        for binding in (True, False):
            chosen = [e for e in self.indicators if e.indicator.binding is binding]
            judged = [e for e in chosen if e.city_met is not None]
            counts["binding" if binding else "expected"] = {
                "total": len(chosen),
                "met": sum(1 for e in judged if e.city_met),
                "unmet": sum(1 for e in judged if not e.city_met),
                "not_judged": len(chosen) - len(judged),
            }
        lagging: dict[str, list[str]] = {}
        wrong, no_data = [], []
        for evaluation in self.indicators:
            for standing in evaluation.districts:
                name = evaluation.indicator.name
                if standing.standing == UNMET and evaluation.indicator.binding:
                    lagging.setdefault(standing.district, []).append(name)
                elif standing.standing == WRONG:
                    wrong.append(f"{standing.district}：{name}")
                elif (
                    standing.standing == NO_DATA
                    and evaluation.indicator.required
                    and standing.district not in self.missing_districts
                ):
                    no_data.append(f"{standing.district}：{name}")
        return {
            "targets": counts,
            "lagging_binding": lagging,
            "wrong_data": wrong,
            "no_data": no_data,
        }


def evaluation_year(catalog: Catalog, year: int | None) -> int:
    return year or catalog.last_target_year


@dataclass
class Reported:
    """What an evaluation judges, however it was gathered (a run of files, the service's stored
    uploads): every value read, where each came from, which cells hold a value that cannot be
    trusted, and who sent anything at all."""

    # file, district, indicator, role, year, value, sheet, cell, and rank: (report year, order)
    # of the file it came from; the latest rank wins for each district, indicator, role, year
    values: pd.DataFrame
    wrong_cells: set[tuple]  # (file, sheet, cell) of values with a data error
    received: set[str]  # districts some file came from, readable or not
    readable: set[str]  # districts with a readable file
    unreadable_files: int = 0

    COLUMNS = ("file", "district", "indicator", "role", "year", "value", "cell", "sheet", "rank")


def reported_in(outcome: Outcome) -> Reported:
    """A run's files as an evaluation reads them: ranked by reporting year, then run order."""
    wrong_cells = {
        (finding.file, finding.sheet, finding.cell)
        for result in outcome.results
        for finding in result.findings
        if finding.cell and is_data_error(finding)
    }
    table = outcome.table
    columns = ["file", "district", "indicator", "role", "year", "value", "cell", "sheet"]
    if table is None or table.empty:
        values = pd.DataFrame(columns=list(Reported.COLUMNS))
    else:
        rank = {
            result.submission.file: ((result.submission.year or 0), position)
            for position, result in enumerate(outcome.results)
        }
        values = table.loc[table["indicator"].notna() & table["district"].notna(), columns].copy()
        for name in ("file", "district", "indicator", "role", "cell", "sheet"):
            values[name] = values[name].astype(object)
        values["year"] = values["year"].astype("float64")
        values["rank"] = values["file"].map(rank)
    readable = {
        r.submission.district
        for r in outcome.results
        if not r.submission.unreadable and r.submission.district
    }
    return Reported(
        values=values,
        wrong_cells=wrong_cells,
        received={r.submission.district for r in outcome.results if r.submission.district},
        readable=readable,
        unreadable_files=sum(r.submission.unreadable for r in outcome.results),
    )


def evaluate(outcome: Outcome, year: int | None = None) -> Evaluation:
    """Judge every indicator at its target year (or at `year` when the target is later), on
    each district's latest submission that reports that year."""
    return judge(reported_in(outcome), outcome.loaded.catalog, year)


def judge(reported: Reported, catalog: Catalog, year: int | None = None) -> Evaluation:
    """The evaluation of what was reported, at `year` (default: the plan's last target year)."""
    year = evaluation_year(catalog, year)
    wrong_cells = reported.wrong_cells
    rows = _latest_rows(reported.values, wrong_cells)
    required_units = list(catalog.reporting_units.required)
    received = reported.received
    readable = set(rows["district"].dropna().unique()) if not rows.empty else set()
    readable |= reported.readable
    # every required unit (one that did not report shows 无数据), and optional ones that did
    units = required_units + [u for u in catalog.reporting_units.optional if u in readable]
    found = Found(rows, catalog.approx_tolerance)
    indicators = []
    for indicator in sorted(catalog.targeted, key=lambda i: not i.binding):  # binding first
        judged_year = min(indicator.plan_target.year, year)
        indicators.append(
            _evaluate_indicator(indicator, judged_year, found, wrong_cells, units, required_units)
        )
    return Evaluation(
        catalog=catalog,
        year=year,
        indicators=indicators,
        missing_districts=[u for u in required_units if u not in received and u not in readable],
        unreadable_districts=[u for u in required_units if u in received and u not in readable],
        unreadable_files=reported.unreadable_files,
    )


def _latest_rows(values: pd.DataFrame, wrong_cells: set) -> pd.DataFrame:
    """One row per (district, indicator, role, year): from the latest submission holding it
    (latest reporting year; among equals, the later file)."""
    if values.empty:
        return values
    rows = values.dropna(subset=["year"])
    rows = rows.sort_values("rank", kind="stable")
    # A later submission that left the cell blank does not erase an earlier value; one that
    # wrote something unusable there ("待统计") does: that value is 数据有误.
    blank = rows["value"].isna()
    wrong = [
        (file, sheet, cell) in wrong_cells
        for file, sheet, cell in zip(
            rows.loc[blank, "file"], rows.loc[blank, "sheet"], rows.loc[blank, "cell"], strict=True
        )
    ]
    keep = ~blank.to_numpy(bool)
    keep[blank.to_numpy(bool)] = np.array(wrong, dtype=bool)  # also when nothing is blank
    return rows[keep].drop_duplicates(["district", "indicator", "role", "year"], keep="last")


class Found:
    """The latest rows, looked up by (district, indicator, role, year); baselines by
    (district, indicator) whatever their year."""

    def __init__(self, rows: pd.DataFrame, tolerance: float) -> None:
        self.tolerance = tolerance
        # rows of the latest table (pandas itertuples: attribute access by column name)
        self.cells: dict[tuple, Any] = {}
        self.baselines: dict[tuple, Any] = {}
        self.latest_actual: dict[tuple, Any] = {}
        for row in rows.itertuples(index=False):
            self.cells[(row.district, row.indicator, row.role, int(row.year))] = row
            if row.role == "baseline":
                self.baselines[(row.district, row.indicator)] = row
            elif row.role == "actual" and row.value == row.value:
                before = self.latest_actual.get((row.district, row.indicator))
                if before is None or int(row.year) > int(before.year):
                    self.latest_actual[(row.district, row.indicator)] = row

    def get(self, district: str, indicator: str, role: str, year: int):
        return self.cells.get((district, indicator, role, year))

    def count_of(self, district: str, indicator: str, year: int) -> float | None:
        """A count the district reported for `year`, else its latest (streets rarely change)."""
        row = self.get(district, indicator, "actual", year)
        if row is None or row.value != row.value:
            row = self.latest_actual.get((district, indicator))
        return float(row.value) if row is not None and row.value == row.value else None


def _evaluate_indicator(
    indicator: Indicator,
    year: int,
    found: Found,
    wrong_cells: set,
    units: list[str],
    required_units: list[str],
) -> IndicatorEvaluation:
    target = indicator.plan_target
    tolerance = found.tolerance
    standings = []
    city_asks: dict[str, float | None] = {}  # district → what the city's target asks of it
    for district in units:
        actual = found.get(district, indicator.code, "actual", year)
        own = found.get(district, indicator.code, "target", target.year)
        baseline = found.baselines.get((district, indicator.code))
        value = float(actual.value) if actual is not None and actual.value == actual.value else None
        is_wrong = actual is not None and (actual.file, actual.sheet, actual.cell) in wrong_cells
        own_value = float(own.value) if own is not None else None
        city_asks[district] = target.value
        if target.scope == "each_sub_unit" and target.units:  # times the district's streets
            count = found.count_of(district, target.units, year)
            city_asks[district] = None if count is None else target.value * count
        reference: float | None = own_value
        if own_value is None:
            reference = city_asks[district] if indicator.judged_per_district else None
        if is_wrong:
            standing, met = WRONG, None
        elif value is None:
            standing, met = NO_DATA, None
        elif reference is None or year != target.year:
            standing, met = NOT_JUDGED, None
        else:
            met = _meets(indicator, value, reference, own_value is None, tolerance)
            standing = MET if met else UNMET
        base = (
            float(baseline.value)
            if baseline is not None
            else (
                indicator.baseline.value
                if indicator.baseline and indicator.judged_per_district
                else None
            )
        )
        progress = None
        usable_value = standing not in (WRONG, NO_DATA) and value is not None
        if usable_value and base is not None and reference is not None and value is not None:
            if abs(reference - base) > 1e-9:
                progress = (value - base) / (reference - base)
        standings.append(
            DistrictStanding(
                district=district,
                value=value,
                target=reference,
                own_target=own_value is not None,
                met=met,
                standing=standing,
                progress=progress,
                cell=f"{actual.sheet}!{actual.cell}" if actual is not None else None,
                file=actual.file if actual is not None else None,
            )
        )
    usable = [s for s in standings if s.standing not in (NO_DATA, WRONG)]
    reported = sum(1 for s in usable if s.district in required_units)
    evaluation = IndicatorEvaluation(
        indicator, year, None, None, reported, len(required_units), standings
    )
    values = [s.value for s in usable if s.value is not None]
    if indicator.sums_across_districts and target.scope == "city":
        if values:
            evaluation.city_value = sum(values)
        complete = reported == len(required_units)
        if complete and year == target.year and evaluation.city_value is not None:
            evaluation.city_met = _meets(
                indicator, evaluation.city_value, target.value, True, tolerance
            )
    elif values:
        meeting = [
            s
            for s in usable
            if s.value is not None
            and (asked := city_asks[s.district]) is not None
            and _meets(indicator, s.value, asked, True, tolerance)
        ]
        evaluation.distribution = {
            "min": min(values),
            "median": statistics.median(values),
            "max": max(values),
            "meeting": len(meeting),
            "of": len(values),
        }
        # No citywide rate can be made from the districts' rates: the city counts as meeting
        # a rate target when every district does, and as missing it when any district does.
        if year == target.year:
            if len(meeting) < len(values):
                evaluation.city_met = False
            elif reported == len(required_units):
                evaluation.city_met = True
    return evaluation


def _meets(
    indicator: Indicator, value: float, target: float, city_target: bool, relative: float
) -> bool:
    """The target's comparator and tolerance for the city's own target; a district's own
    target (a plain number) is reached in the indicator's direction."""
    spec = indicator.plan_target
    if city_target:
        comparator, high = spec.comparator, spec.high
    else:
        comparator, high = ("≤" if indicator.direction == "decrease" else "≥"), None
    tolerance = spec.tolerance if spec.tolerance is not None else abs(target) * relative
    one = pd.Series([value])
    return bool(
        meets(
            one,
            pd.Series([comparator]),
            pd.Series([target]),
            pd.Series([high if high is not None else float("nan")]),
            pd.Series([tolerance]),
        ).iloc[0]
    )
