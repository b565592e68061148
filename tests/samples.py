"""Plausible district values for a catalog: for the bundled examples, tests and benchmarks."""

from __future__ import annotations

from itertools import pairwise

from indicators import Catalog, Indicator, parse
from submissions.template import columns_for


def district_share(catalog: Catalog) -> float:
    return 1.0 / max(1, len(catalog.reporting_units.required))


SUB_UNITS = 8  # streets (or townships) of a sample district


def plausible_values(catalog: Catalog, year: int, share: float | None = None) -> dict:
    """code → year → value for a district on track: a share of additive indicators, the city's
    own rates and percents, moving steadily from baseline to target."""
    share = district_share(catalog) if share is None else share
    columns = columns_for(catalog, year)
    values: dict[str, dict[int, object]] = {}
    for indicator in catalog.indicators:
        if not indicator.required:
            continue
        target = indicator.target
        if target is None:  # the district's number of streets: the same every year
            values[indicator.code] = {y: SUB_UNITS for y, role in columns.years if role != "target"}
            continue
        # a district's share of a citywide total; a target every district meets is its own;
        # a target for each street is met by one per street
        scale = {
            "city": share if indicator.sums_across_districts else 1.0,
            "each_district": 1.0,
            "each_sub_unit": SUB_UNITS,
        }[target.scope]
        start, end = _endpoints(indicator)
        first_year = columns.years[0][0]
        row: dict[int, object] = {}
        for value_year, role in columns.years:
            if role == "target":
                if not indicator.sets_target_for(value_year):
                    continue  # no target that year: the clerk leaves the cell blank
                as_printed = parse(target.text).ok and scale == 1.0
                row[value_year] = (
                    target.text
                    if as_printed and target.year == value_year
                    else _rounded(indicator, end * scale)
                )
                continue
            if indicator.increment is not None and indicator.increment.reported == "yearly":
                # an even share of the period's additions each year
                years = target.year - indicator.increment.since
                added = end / years if value_year > indicator.increment.since else 0
                row[value_year] = _rounded(indicator, added * scale)
                continue
            row[value_year] = _rounded(indicator, _on_path(indicator, first_year, start, end,
                                                           value_year) * scale)  # fmt: skip
        values[indicator.code] = row
    return values


def _on_path(indicator: Indicator, first_year: int, start: float, end: float, year: int) -> float:
    """The value on the straight lines from the start through each milestone to the target."""
    points = [(first_year, start)]
    for milestone in indicator.milestones:
        points.append((milestone.year, milestone.high or milestone.value))
    points.append((indicator.plan_target.year, end))
    for (year_a, value_a), (year_b, value_b) in pairwise(points):
        if year <= year_b:
            span = year_b - year_a
            share = 1.0 if span <= 0 else max(0.0, (year - year_a) / span)
            return value_a + (value_b - value_a) * share
    return end


def _endpoints(indicator: Indicator) -> tuple[float, float]:
    target = indicator.plan_target
    end = target.high if target.comparator == "range" and target.high is not None else target.value
    if target.comparator == ">":
        end = end + 1
    if indicator.baseline is not None:
        start = indicator.baseline.value
    elif indicator.direction == "decrease":
        start = end * 1.1
    else:
        start = (
            end * 0.9
            if indicator.upper_bound is None or end * 0.9 <= indicator.upper_bound
            else end
        )
    if indicator.upper_bound is not None:
        start, end = min(start, indicator.upper_bound), min(end, indicator.upper_bound)
    return start, end


def _rounded(indicator: Indicator, value: float) -> float | int:
    if indicator.whole:
        return max(0, round(value))
    return round(value, 1)
