"""Judging an evaluation (评估): which targets were met at a year, citywide and by district
(reports/evaluation_report.py writes it as JSON and text)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from expectations.progress import (
    BEHIND,
    CLASS_LABELS,
    CLASS_ORDER,
    MET_CLASSES,
    MISSED,
    UNKNOWN,
    Goal,
    Progress,
    Projection,
    class_between,
    classify,
    number,
    project,
)
from indicators.model import SCOPE_LABELS
from submissions.finding import is_data_error

if TYPE_CHECKING:
    from expectations.engine import Outcome
    from indicators import Catalog, Indicator
    from indicators.model import Composition, Increment

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
    asked: float | None = None  # what the city's target asks of this district
    # its class at the year, with the reason; None: a share of a citywide total, not judged
    judgement: Progress | None = None
    projection: Projection | None = None  # to the target year, from its reported years

    @property
    def klass(self) -> str | None:
        return None if self.judgement is None else self.judgement.klass


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
    judgement: Progress = field(default_factory=lambda: Progress(UNKNOWN, ""))
    provisional: bool = False  # from the reported districts; a missing one could change it
    projection: Projection | None = None
    lacking: list[str] = field(default_factory=list)  # "海阳市未报", "莱州市数据有误（F9）"
    composition_gap: str = ""  # which part of the city rate's composition nobody reported

    @property
    def klass(self) -> str:
        return self.judgement.klass

    @property
    def judged_at_target_year(self) -> bool:
        return self.year == self.indicator.plan_target.year


@dataclass(frozen=True)
class EarlyWarning:
    """预警: a value projected to miss its target at the target year."""

    indicator: Indicator
    who: str  # a district, or 全市
    projection: Projection


@dataclass
class Evaluation:
    catalog: Catalog
    year: int
    indicators: list[IndicatorEvaluation]
    missing_districts: list[str]  # required units with no submission at all
    unreadable_districts: list[str]  # received, but no file of theirs could be read
    unreadable_files: int = 0  # files that could not be read, whoever's they were
    warn_expected: bool = False  # early warnings for expected (预期性) indicators too

    def counts(self, binding: bool) -> dict[str, int]:
        """How many of the binding (or expected) indicators fall in each class, in order."""
        chosen = [e for e in self.indicators if e.indicator.binding is binding]
        return {k: n for k in CLASS_ORDER if (n := sum(1 for e in chosen if e.klass == k))}

    def headline(self) -> str:
        """What a reviewer pastes into the report: counts per class, binding first, and who is
        missing ("约束性指标8项：已完成3项，…，无法判定1项（海阳市未报）")."""
        parts = []
        for binding, label in ((True, "约束性"), (False, "预期性")):
            chosen = [e for e in self.indicators if e.indicator.binding is binding]
            if not chosen:
                continue
            counted = []
            for klass, n in self.counts(binding).items():
                provisional = sum(1 for e in chosen if e.klass == klass and e.provisional)
                counted.append(
                    f"{CLASS_LABELS[klass]}{n}项"
                    + (f"（暂定{provisional}项）" if provisional else "")
                )
            parts.append(f"{label}指标{len(chosen)}项：{'，'.join(counted)}")
        silent = [f"{d}未报" for d in self.missing_districts]
        silent += [f"{d}文件无法读取" for d in self.unreadable_districts]
        return "；".join(parts) + (f"（{'，'.join(silent)}）" if silent else "")

    @property
    def warnings(self) -> list[EarlyWarning]:
        """Binding indicators (expected ones on request) projected to miss, city first."""
        found = []
        for item in self.indicators:
            if not (item.indicator.binding or self.warn_expected):
                continue
            if item.projection is not None and not item.projection.met:
                found.append(EarlyWarning(item.indicator, "全市", item.projection))
            for standing in item.districts:
                if standing.projection is not None and not standing.projection.met:
                    found.append(
                        EarlyWarning(item.indicator, standing.district, standing.projection)
                    )
        return found

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
                "classes": self.counts(binding),
                "provisional": sum(1 for e in chosen if e.provisional),
            }
        lagging: dict[str, list[str]] = {}
        wrong, no_data = [], []
        for evaluation in self.indicators:
            for standing in evaluation.districts:
                name = evaluation.indicator.name
                if standing.klass in (BEHIND, MISSED) and evaluation.indicator.binding:
                    lagging.setdefault(standing.district, []).append(name)
                elif standing.standing == WRONG:
                    wrong.append(f"{standing.district}：{name}")
                elif (
                    standing.standing == NO_DATA
                    and evaluation.indicator.required
                    and standing.district not in self.missing_districts
                    and standing.district not in self.unreadable_districts
                ):
                    no_data.append(f"{standing.district}：{name}")
        return {
            "headline": self.headline(),
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


def evaluate(outcome: Outcome, year: int | None = None, warn_expected: bool = False) -> Evaluation:
    """Judge every indicator at its target year (or at `year` when the target is later), on
    each district's latest submission that reports that year."""
    return judge(reported_in(outcome), outcome.loaded.catalog, year, warn_expected)


def judge(
    reported: Reported, catalog: Catalog, year: int | None = None, warn_expected: bool = False
) -> Evaluation:
    """The evaluation of what was reported, at `year` (default: the plan's last target year).
    Everything it returns is built for this call and only the frozen catalog is shared, so the
    service's threads each judge their own."""
    year = evaluation_year(catalog, year)
    wrong_cells = reported.wrong_cells
    rows = _latest_rows(reported.values, wrong_cells)
    required_units = list(catalog.reporting_units.required)
    received = reported.received
    readable = set(rows["district"].dropna().unique()) if not rows.empty else set()
    readable |= reported.readable
    # every required unit (one that did not report shows 无数据), and optional ones that did
    units = required_units + [u for u in catalog.reporting_units.optional if u in readable]
    increments = {i.code: i.increment for i in catalog.indicators if i.increment}
    found = Found(rows, catalog.approx_tolerance, wrong_cells, increments)
    missing = [u for u in required_units if u not in received and u not in readable]
    unreadable = [u for u in required_units if u in received and u not in readable]
    absent = {u: "未报" for u in missing} | {u: "文件无法读取" for u in unreadable}
    indicators = []
    for indicator in sorted(catalog.targeted, key=lambda i: not i.binding):  # binding first
        # the target governing the year: a milestone of that year or the next one ahead
        indicator = indicator.at(year)
        judged_year = min(indicator.plan_target.year, year)
        # districts the catalog says the indicator does not apply to are not asked for it
        skip = set(indicator.not_applicable)
        indicators.append(
            _evaluate_indicator(
                indicator,
                judged_year,
                found,
                catalog,
                [u for u in units if u not in skip],
                [u for u in required_units if u not in skip],
                absent,
            )
        )
    return Evaluation(
        catalog=catalog,
        year=year,
        indicators=indicators,
        missing_districts=missing,
        unreadable_districts=unreadable,
        unreadable_files=reported.unreadable_files,
        warn_expected=warn_expected,
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

    def __init__(
        self,
        rows: pd.DataFrame,
        tolerance: float,
        wrong_cells: set,
        increments: dict[str, Increment] | None = None,
    ) -> None:
        self.tolerance = tolerance
        self.wrong_cells = wrong_cells
        self.actuals: dict[tuple, dict[int, Any]] = {}
        # rows of the latest table (pandas itertuples: attribute access by column name)
        self.cells: dict[tuple, Any] = {}
        self.baselines: dict[tuple, Any] = {}
        self.latest_actual: dict[tuple, Any] = {}
        for row in rows.itertuples(index=False):
            self.cells[(row.district, row.indicator, row.role, int(row.year))] = row
            if row.role == "baseline":
                self.baselines[(row.district, row.indicator)] = row
            elif row.role == "actual" and row.value == row.value:
                self.actuals.setdefault((row.district, row.indicator), {})[int(row.year)] = row
                before = self.latest_actual.get((row.district, row.indicator))
                if before is None or int(row.year) > int(before.year):
                    self.latest_actual[(row.district, row.indicator)] = row
        self.increments = increments or {}
        for (district, code), by_year in self.actuals.items():
            if code in self.increments:
                self._added(district, code, by_year, self.increments[code])

    def _added(self, district: str, code: str, by_year: dict[int, Any], increment) -> None:
        """An increment's actuals as what was added since its base year: the running sum of
        the yearly additions, or the level less the base-year level (README, 新增类指标)."""
        base = self.cells.get((district, code, "baseline", increment.since))
        if base is None:
            base = self.cells.get((district, code, "actual", increment.since))
        total = 0.0
        for year in sorted(by_year):
            row = by_year[year]
            if increment.reported == "yearly":
                if year <= increment.since:
                    continue
                if not self.is_wrong(row):
                    total += float(row.value)
                added = total
            elif base is not None and base.value == base.value and not self.is_wrong(base):
                added = float(row.value) - float(base.value)
            else:
                added = float("nan")  # a level with no base-year level: nothing to subtract
            changed = row._replace(value=added)
            by_year[year] = changed
            self.cells[(district, code, "actual", year)] = changed
            if self.latest_actual.get((district, code)) is row:
                self.latest_actual[(district, code)] = changed

    def get(self, district: str, indicator: str, role: str, year: int):
        return self.cells.get((district, indicator, role, year))

    def is_wrong(self, row) -> bool:
        return (row.file, row.sheet, row.cell) in self.wrong_cells

    def series(self, district: str, indicator: str, until: int) -> dict[int, float]:
        """A district's usable actuals up to `until`, by year: what a projection is drawn on."""
        rows = self.actuals.get((district, indicator), {})
        return {
            year: float(row.value)
            for year, row in rows.items()
            if year <= until and not self.is_wrong(row)
        }

    def count_of(self, district: str, indicator: str, year: int) -> float | None:
        """A count the district reported for `year`, else its latest (streets rarely change)."""
        row = self.get(district, indicator, "actual", year)
        if row is None or row.value != row.value:
            row = self.latest_actual.get((district, indicator))
        return float(row.value) if row is not None and row.value == row.value else None


def _district_standing(
    indicator: Indicator, district: str, year: int, found: Found, absent: dict[str, str]
) -> DistrictStanding:
    """One district's value at `year` against its own target (a target cell it filled) or what
    the city's target asks of it, classed with its reason."""
    target = indicator.plan_target
    code = indicator.code
    actual = found.get(district, code, "actual", year)
    own = found.get(district, code, "target", target.year)
    baseline = found.baselines.get((district, code))
    value = float(actual.value) if actual is not None and actual.value == actual.value else None
    is_wrong = actual is not None and found.is_wrong(actual)
    own_value = float(own.value) if own is not None and own.value == own.value else None
    asked: float | None = target.value
    if target.scope == "each_sub_unit" and target.units:  # times the district's streets
        count = found.count_of(district, target.units, year)
        asked = None if count is None else target.value * count
    reference = own_value if own_value is not None else None
    if reference is None and indicator.judged_per_district:
        reference = asked
    base, base_year = None, None
    if indicator.increment is not None:  # nothing was added yet in the base year
        base, base_year = 0.0, indicator.increment.since
    elif baseline is not None and not found.is_wrong(baseline):
        base, base_year = float(baseline.value), int(baseline.year)
    elif indicator.baseline and indicator.judged_per_district:
        base, base_year = indicator.baseline.value, indicator.baseline.year
    goal = None
    if reference is not None:
        goal = _goal(indicator, reference, own_value is None, found.tolerance, base, base_year)
    where = f"{actual.sheet}!{actual.cell}" if actual is not None else None
    standing = DistrictStanding(
        district=district,
        value=value,
        target=reference,
        own_target=own_value is not None,
        met=None,
        standing=NOT_JUDGED,
        progress=None,
        cell=where,
        file=actual.file if actual is not None else None,
        asked=asked,
    )
    if is_wrong:
        standing.standing = WRONG
        standing.judgement = Progress(UNKNOWN, f"数据有误（{where}）")
        return standing
    if value is None:
        standing.standing = NO_DATA
        standing.judgement = Progress(UNKNOWN, absent.get(district, "未填报本指标"))
        return standing
    if goal is None:  # a share of a citywide total with no target of its own
        return standing
    judgement = classify(value, goal, year)
    standing.judgement = judgement
    standing.met = goal.met_by(value)
    standing.standing = MET if standing.met else UNMET
    if base is not None and abs(goal.aim() - base) > 1e-9:
        standing.progress = (value - base) / (goal.aim() - base)
    if year < target.year:
        points = found.series(district, code, year)
        if base is not None and base_year is not None and base_year not in points:
            points[base_year] = base
        standing.projection = project(points, goal)
    return standing


def _goal(
    indicator: Indicator,
    reference: float,
    city_target: bool,
    relative: float,
    base: float | None,
    base_year: int | None,
) -> Goal:
    """The city's target (its comparator and tolerance), or a district's own target (a plain
    number, reached in the indicator's direction)."""
    spec = indicator.plan_target
    if city_target:
        comparator, high = spec.comparator, spec.high
    else:
        comparator, high = ("≤" if indicator.direction == "decrease" else "≥"), None
    tolerance = spec.tolerance if spec.tolerance is not None else abs(reference) * relative
    return Goal(
        comparator=comparator,
        value=reference,
        high=high,
        tolerance=tolerance,
        target_year=spec.year,
        base_year=base_year,
        baseline=base,
        maintain=indicator.direction == "maintain",
        unit=indicator.unit or "",
    )


def _evaluate_indicator(
    indicator: Indicator,
    year: int,
    found: Found,
    catalog: Catalog,
    units: list[str],
    required_units: list[str],
    absent: dict[str, str],
) -> IndicatorEvaluation:
    standings = [_district_standing(indicator, d, year, found, absent) for d in units]
    usable = [s for s in standings if s.standing not in (NO_DATA, WRONG)]
    reported = sum(1 for s in usable if s.district in required_units)
    evaluation = IndicatorEvaluation(
        indicator, year, None, None, reported, len(required_units), standings
    )
    values = [s.value for s in usable if s.value is not None]
    if values and not (indicator.sums_across_districts and indicator.plan_target.scope == "city"):
        meeting = [s for s in usable if s.value is not None and s.met]
        evaluation.distribution = {
            "min": min(values),
            "median": statistics.median(values),
            "max": max(values),
            "meeting": len(meeting),
            "of": len(values),
        }
    City(indicator, year, found, catalog, required_units, absent).conclude(evaluation)
    return evaluation


class City:
    """The city's class for one indicator from what the districts reported: certain where the
    reported figures settle it whatever the missing ones say, provisional otherwise, 无法判定
    with the reason when they cannot."""

    def __init__(
        self,
        indicator: Indicator,
        year: int,
        found: Found,
        catalog: Catalog,
        required_units: list[str],
        absent: dict[str, str],
    ) -> None:
        self.indicator = indicator
        self.year = year
        self.found = found
        self.catalog = catalog
        self.required_units = required_units
        self.absent = absent
        target = indicator.plan_target
        start = indicator.start
        self.goal = _goal(
            indicator,
            target.value,
            True,
            found.tolerance,
            start[1] if start else None,
            start[0] if start else None,
        )

    def conclude(self, evaluation: IndicatorEvaluation) -> None:
        indicator, target = self.indicator, self.indicator.plan_target
        standings = evaluation.districts
        lacking = [s for s in standings if s.district in self.required_units and _lacks(s)]
        evaluation.lacking = [f"{s.district}{_lack_words(s)}" for s in lacking]
        usable = [s for s in standings if not _lacks(s) and s.value is not None]
        if not usable:
            evaluation.judgement = Progress(UNKNOWN, self._nobody_reports(evaluation))
        elif target.scope != "city":
            self._each(evaluation, usable, complete=not lacking)
        elif indicator.sums_across_districts:
            self._total(evaluation, usable, complete=not lacking)
        elif indicator.composition is not None and self._composed(evaluation, usable, lacking):
            pass
        else:
            self._between(evaluation, usable, complete=not lacking)
        klass = evaluation.judgement.klass
        evaluation.city_met = True if klass in MET_CLASSES else False if klass == MISSED else None
        if self.year < target.year and evaluation.city_value is not None:
            points = self._city_series()
            if points:
                evaluation.projection = project(points, self.goal)

    def _nobody_reports(self, evaluation: IndicatorEvaluation) -> str:
        if not self.indicator.required:
            return "区县不填报（只在全市层面考核）：需要全市的数值，本次没有"
        return "没有区县报来可用的数值：" + "；".join(evaluation.lacking)

    def _each(self, evaluation, usable, complete: bool) -> None:
        """Every district (street) must reach the target: the city stands where its worst
        reported district does, settled when that is already behind or missed."""
        known = [s for s in usable if s.judgement.klass != UNKNOWN]
        undecided = [s for s in usable if s.judgement.klass == UNKNOWN]
        if not known:
            evaluation.judgement = Progress(
                UNKNOWN, "各区县的数值无法评判：" + "；".join(s.judgement.reason for s in undecided)
            )
            return
        worst = max((s.judgement.klass for s in known), key=CLASS_ORDER.index)
        at_worst = [s.district for s in known if s.judgement.klass == worst]
        label = CLASS_LABELS[worst]
        if len(at_worst) == len(known):
            label = "达到目标" if worst in MET_CLASSES else label
            said = f"已报{len(known)}个区县全部{label}"
        else:
            said = f"{len(at_worst)}个区县{label}：{'、'.join(at_worst)}"
        settled = complete and not undecided
        if not settled and worst in (BEHIND, MISSED):
            settled = True  # the missing ones cannot lift the city above its worst district
        reason = f"{SCOPE_LABELS[self.indicator.plan_target.scope]}都要达到目标；{said}"
        evaluation.judgement = Progress(worst, self._with_lacking(reason, evaluation))
        evaluation.provisional = not settled

    def _total(self, evaluation, usable, complete: bool) -> None:
        """A count summed over the districts: the reported sum is a lower bound of the city's."""
        total = sum(s.value for s in usable)
        evaluation.city_value = total
        unit = self.goal.unit
        if complete:
            judged = classify(total, self.goal, self.year)
            evaluation.judgement = Progress(judged.klass, f"全市合计：{judged.reason}")
            return
        settled = class_between(total, math.inf, self.goal, self.year)
        shown = f"已报{len(usable)}个区县合计 {number(total)}{unit}"
        if settled in MET_CLASSES:
            reason = f"{shown}，已达到目标 {self.goal.wording()}，未报区县的数值不会改变这一结论"
            evaluation.judgement = Progress(settled, self._with_lacking(reason, evaluation))
        elif settled is not None:
            reason = f"{shown}，已超过目标 {self.goal.wording()}，未报区县只会让合计更大"
            evaluation.judgement = Progress(settled, self._with_lacking(reason, evaluation))
        else:
            judged = classify(total, self.goal, self.year)
            reason = (
                f"{shown}（目标 {self.goal.wording()}），只是全市合计的下限，"
                f"按已报合计为“{judged.label}”"
            )
            evaluation.judgement = Progress(UNKNOWN, self._with_lacking(reason, evaluation))

    def _composed(self, evaluation, usable, lacking) -> bool:
        """The city's rate from its declared composition over the reported districts; False
        when some reporting district lacks a part (the caller falls back on the spread)."""
        composition = self.indicator.composition
        assert composition is not None
        parts = {part: self.catalog.indicator(part) for part in composition.parts}
        without: dict[str, list[str]] = {}
        sums = dict.fromkeys(parts, 0.0)
        weighted = 0.0
        for standing in usable:
            for code in parts:
                count = self._part(standing.district, code, self.year)
                if count is None:
                    without.setdefault(code, []).append(standing.district)
                else:
                    sums[code] += count
                    if code == composition.weight:
                        weighted += count * standing.value
        if without:
            evaluation.composition_gap = "；".join(
                f"全市比率要由各区县的“{parts[code].name}”汇总，{'、'.join(names)}没有填报"
                for code, names in without.items()
            )
            return False
        value = _compose(composition, sums, weighted)
        if value is None:
            return False
        evaluation.city_value = value
        judged = classify(value, self.goal, self.year)
        if composition.weight is None:
            numerator = parts[composition.numerator or ""].name
            denominator = parts[composition.denominator or ""].name
            scale = f" × {number(composition.scale)}" if composition.scale != 1 else ""
            how = f"“{numerator}”之和 ÷ “{denominator}”之和{scale}"
        else:
            how = f"各区县数值按“{parts[composition.weight].name}”加权平均"
        scope = "全市" if not lacking else f"已报{len(usable)}个区县"
        reason = f"{scope}（{how}）：{judged.reason}"
        evaluation.judgement = Progress(judged.klass, self._with_lacking(reason, evaluation))
        evaluation.provisional = bool(lacking)
        return True

    def _between(self, evaluation, usable, complete: bool) -> None:
        """A rate with no declared composition lies between the districts' rates."""
        values = [s.value for s in usable]
        low, high = min(values), max(values)
        settled = class_between(low, high, self.goal, self.year)
        unit = self.goal.unit
        spread = f"{number(low)}～{number(high)}{unit}" if low != high else f"{number(low)}{unit}"
        if settled is not None:
            said = "全部达到目标" if settled in MET_CLASSES else "全部" + CLASS_LABELS[settled]
            reason = f"已报{len(usable)}个区县{said}（{spread}，目标 {self.goal.wording()}）"
            if complete:
                reason += "，全市比率在各区县之间，结论相同"
            evaluation.judgement = Progress(settled, self._with_lacking(reason, evaluation))
            evaluation.provisional = not complete
            return
        meeting = sum(1 for s in usable if s.met)
        reason = (
            f"各区县在 {spread} 之间，{meeting}/{len(usable)} 个达到目标 {self.goal.wording()}；"
        )
        reason += evaluation.composition_gap or (
            "全市比率要由各区县的分子、分母汇总，指标体系没有写明它由哪两个数汇总而成"
        )
        evaluation.judgement = Progress(UNKNOWN, self._with_lacking(reason, evaluation))

    def _with_lacking(self, reason: str, evaluation: IndicatorEvaluation) -> str:
        return reason + (f"（{'；'.join(evaluation.lacking)}）" if evaluation.lacking else "")

    def _part(self, district: str, code: str, year: int) -> float | None:
        row = self.found.get(district, code, "actual", year)
        if row is None or row.value != row.value or self.found.is_wrong(row):
            return None
        return float(row.value)

    def _city_series(self) -> dict[int, float]:
        """The city's value at each reported year it can be made for (every required district
        with a value), with the plan's baseline: the points a projection is drawn through."""
        indicator = self.indicator
        composition = indicator.composition
        if indicator.plan_target.scope != "city":
            return {}
        points: dict[int, float] = {}
        start = indicator.start
        if start is not None:
            points[start[0]] = start[1]
        first = start[0] + 1 if start else self.year - 10
        for year in range(first, self.year + 1):
            if indicator.sums_across_districts:
                counts = [self._part(d, indicator.code, year) for d in self.required_units]
                if all(c is not None for c in counts):
                    points[year] = sum(c for c in counts if c is not None)
            elif composition is not None:
                sums = dict.fromkeys(composition.parts, 0.0)
                weighted, whole = 0.0, True
                for district in self.required_units:
                    rate = self._part(district, indicator.code, year)
                    for code in composition.parts:
                        count = self._part(district, code, year)
                        if count is None or (code == composition.weight and rate is None):
                            whole = False
                            continue
                        sums[code] += count
                        if code == composition.weight and rate is not None:
                            weighted += count * rate
                value = _compose(composition, sums, weighted) if whole else None
                if value is not None:
                    points[year] = value
        return points if len(points) >= 2 else {}


def _compose(composition: Composition, sums: dict[str, float], weighted: float) -> float | None:
    if composition.weight is not None:
        total = sums[composition.weight]
        return weighted / total if total > 0 else None
    denominator = sums[composition.denominator or ""]
    if denominator <= 0:
        return None
    return sums[composition.numerator or ""] / denominator * composition.scale


def _lacks(standing: DistrictStanding) -> bool:
    return standing.standing in (NO_DATA, WRONG)


def _lack_words(standing: DistrictStanding) -> str:
    if standing.standing == WRONG:
        return f"数据有误（{standing.cell}）"
    reason = standing.judgement.reason if standing.judgement else ""
    return reason if reason in ("未报", "文件无法读取") else "未填报"
