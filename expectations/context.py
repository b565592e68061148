"""Joining catalog facts and each district's own baseline and target onto the tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import Catalog
from submissions.codes import categorical, group_codes, index_in

GROUP = ["file", "district", "indicator"]


def catalog_frame(catalog: Catalog) -> pd.DataFrame:
    names = {ind.code: ind.name for ind in catalog.indicators}
    rows = []
    for ind in catalog.indicators:
        row = {
            "indicator": ind.code,
            "indicator_name": ind.name,
            "kind": ind.kind,
            "catalog_unit": ind.unit,
            "lower": ind.lower_bound,
            "upper": ind.upper_bound,
            "whole": ind.whole,
            "binding": ind.binding,
            # a figure reported only to judge others by (streets, population) has no direction
            # to keep: towns merge, populations fall
            # and an increment's yearly additions or its district targets need not rise
            "direction": ind.direction if ind.target is not None and not ind.increment else None,
            "increment": ind.increment.reported if ind.increment else None,
            "increment_since": ind.increment.since if ind.increment else np.nan,
            "additive": ind.sums_across_districts,
            # each district's own value meets the target (各县区至少1所, or any rate)
            "per_district": ind.judged_per_district,
            "required": ind.required,
            "catalog_baseline": ind.baseline.value if ind.baseline else np.nan,
            "catalog_baseline_year": ind.baseline.year if ind.baseline else np.nan,
        }
        rows.append({**row, **_target_fields(ind.target, catalog, names)})
    return pd.DataFrame(rows)


def _target_fields(target, catalog: Catalog, names: dict[str, str]) -> dict:
    """The target's columns; blank for a count of streets (reported and checked as a count,
    with no target of its own)."""
    if target is None:
        return {
            "catalog_target": np.nan,
            "catalog_high": np.nan,
            "catalog_comparator": None,
            "catalog_target_year": np.nan,
            "tolerance": np.nan,
            "units_code": None,
            "units_name": None,
        }
    return {
        "catalog_target": target.value,
        "catalog_high": target.high if target.high is not None else np.nan,
        "catalog_comparator": target.comparator,
        "catalog_target_year": target.year,
        "tolerance": (
            target.tolerance
            if target.tolerance is not None
            else abs(target.value) * catalog.approx_tolerance
        ),
        "units_code": target.units,
        "units_name": names.get(target.units) if target.units else None,
    }


def _district_targets(enriched: pd.DataFrame) -> None:
    """What the catalog's target asks of this district: the target itself, or for a target
    set for each street (township) the target times the district's number of them, as the
    district reports it (that year's count, else the latest in the file)."""
    enriched["district_target"] = enriched["catalog_target"]
    enriched["district_high"] = enriched["catalog_high"]
    enriched["units_value"] = np.nan
    sub_unit = enriched["units_code"].notna().to_numpy(bool)
    if not sub_unit.any():
        return
    codes = set(enriched.loc[sub_unit, "units_code"].astype(object))
    counted = enriched[
        enriched["indicator"].isin(codes)
        & enriched["role"].isin(["actual", "baseline"])
        & enriched["value"].notna()
        & ~enriched["impossible"]
    ]
    keys = ["file", "district", "indicator"]
    counted = counted[[*keys, "year_num", "value"]].astype({k: object for k in keys})
    counted = counted.sort_values("year_num")
    same_year = counted.drop_duplicates([*keys, "year_num"]).set_index([*keys, "year_num"])
    latest = counted.drop_duplicates(keys, keep="last").set_index(keys)
    rows = enriched.loc[sub_unit, ["file", "district", "units_code", "year_num"]].astype(
        {"file": object, "district": object, "units_code": object}
    )
    by_year = pd.MultiIndex.from_frame(rows)
    by_file = pd.MultiIndex.from_frame(rows[["file", "district", "units_code"]])
    units = same_year["value"].reindex(by_year).to_numpy(float)
    fallback = latest["value"].reindex(by_file).to_numpy(float)
    units = np.where(np.isnan(units), fallback, units)
    enriched.loc[sub_unit, "units_value"] = units
    for column, base in (("district_target", "catalog_target"), ("district_high", "catalog_high")):
        enriched.loc[sub_unit, column] = enriched.loc[sub_unit, base].to_numpy(float) * units


def enrich(table: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Add catalog columns, own_baseline, own_target, previous value and path expectation.

    Done with integer group ids and numpy rather than string-keyed merges and groupbys: on
    375,000 rows the latter took 1.1 s, this about a quarter of that.
    """
    enriched = table.copy(deep=False)  # copy-on-write: new columns do not touch `table`
    facts = catalog_frame(catalog)
    codes = index_in(enriched["indicator"], facts["indicator"].tolist())
    known_code = codes >= 0
    for column in facts.columns.drop("indicator"):
        values = facts[column].to_numpy()
        if values.dtype.kind in "fi":
            taken = values[np.where(known_code, codes, 0)]
            enriched[column] = np.where(known_code, taken.astype("float64"), np.nan)
        elif values.dtype.kind == "b":
            enriched[column] = known_code & values[np.where(known_code, codes, 0)].astype(bool)
        else:  # text: a categorical over the catalog's few values
            enriched[column] = categorical(codes, [*values, None])
    enriched["year_num"] = enriched["year"].astype("float64")
    group = _group_ids(enriched)
    enriched["group_id"] = group
    value = enriched["value"].to_numpy(float)
    year = enriched["year_num"].to_numpy(float)
    role = enriched["role"].to_numpy(object)
    cells = enriched["cell"].to_numpy(object)
    # A value already reported as impossible (negative, over 100%, in a unit that cannot be
    # converted) is no reference for the district's path or trend: measured against a baseline
    # of -80.5, a life expectancy of 81 looked a hundred times too big.
    impossible = (value < enriched["lower"].to_numpy(float)) | (
        value > enriched["upper"].to_numpy(float)
    )
    impossible |= ~enriched["unit_ok"].to_numpy(bool)
    enriched["impossible"] = impossible
    usable = known_code & ~np.isnan(value) & (group >= 0) & ~impossible

    for prefix, chosen_role, pick_last in (
        ("own_baseline", "baseline", False),
        ("own_target", "target", True),
    ):
        rows = np.flatnonzero(usable & (role == chosen_role))
        first = _first_per_group(group, year, rows, pick_last)
        index = np.where(group >= 0, first[np.maximum(group, 0)], -1)
        has = index >= 0
        safe = np.maximum(index, 0)
        enriched[prefix] = np.where(has, value[safe], np.nan)
        enriched[f"{prefix}_year"] = np.where(has, year[safe], np.nan)
        chosen_cells = np.where(has, cells[safe], None)
        enriched[f"{prefix}_cell"] = _text(np.asarray(chosen_cells, dtype=object), enriched.index)
    _milestones(enriched, catalog)
    _district_targets(enriched)
    _path(enriched)
    _measured(enriched, catalog, group, value, year, role, usable)
    _previous(enriched, group, value, year, cells, usable & np.isin(role, ["actual", "baseline"]))
    return enriched


TARGET_COLUMNS = ("catalog_target", "catalog_high", "catalog_comparator", "catalog_target_year",
                  "tolerance")  # fmt: skip


def _milestones(enriched: pd.DataFrame, catalog: Catalog) -> None:
    """A value is held to the target governing its year (Indicator.governing): a 2023 value
    to the plan's 2023 milestone, not to the 2025 target."""
    names = {ind.code: ind.name for ind in catalog.indicators}
    for ind in catalog.indicators:
        if not ind.milestones:
            continue
        of_indicator = (enriched["indicator"] == ind.code).to_numpy(bool)
        year = enriched["year_num"].to_numpy(float)
        for milestone in reversed(ind.milestones):  # the earliest governing target wins
            rows = of_indicator & (year <= milestone.year)
            if not rows.any():
                continue
            fields = _target_fields(milestone, catalog, names)
            for column in TARGET_COLUMNS:
                if isinstance(enriched[column].dtype, pd.CategoricalDtype):
                    if fields[column] not in enriched[column].cat.categories:
                        enriched[column] = enriched[column].cat.add_categories([fields[column]])
                enriched.loc[rows, column] = fields[column]


def _measured(
    enriched: pd.DataFrame,
    catalog: Catalog,
    group: np.ndarray,
    value: np.ndarray,
    year: np.ndarray,
    role: np.ndarray,
    usable: np.ndarray,
) -> None:
    """What a target is compared with: the value itself, or for an increment ("新增…") the
    sum of the yearly additions after its base year, or the level less the base-year level."""
    if not any(ind.increment for ind in catalog.indicators):
        enriched["measured"] = value  # nothing to sum: every file of most catalogs
        return
    measured = value.copy()
    since = enriched["increment_since"].to_numpy(float)
    reported = enriched["increment"]  # a categorical: compared on its codes
    yearly = (reported == "yearly").to_numpy(bool) & (group >= 0)
    asked = np.flatnonzero(yearly & (role == "actual") & ~np.isnan(value))
    if len(asked):
        # each group's running sum of its additions after the base year (a year given twice
        # counts once), read at each actual's year: merge_asof, not a loop over the rows
        counted = np.flatnonzero(yearly & usable & (role == "actual") & (year > since))
        additions = pd.DataFrame(
            {"group": group[counted], "year": year[counted], "value": value[counted]}
        ).drop_duplicates(["group", "year"])
        additions = additions.sort_values(["group", "year"])
        additions["total"] = additions.groupby("group")["value"].cumsum()
        wanted = pd.DataFrame({"group": group[asked], "year": year[asked], "row": asked})
        found = pd.merge_asof(
            wanted.sort_values("year"),
            additions[["group", "year", "total"]].sort_values("year"),
            on="year",
            by="group",
            direction="backward",
        )
        measured[found["row"].to_numpy()] = found["total"].to_numpy(float)
    level = (reported == "level").to_numpy(bool) & (role == "actual")
    if level.any():
        base = enriched["own_baseline"].to_numpy(float)
        based_then = enriched["own_baseline_year"].to_numpy(float) == since
        measured[level] = np.where(based_then[level], value[level] - base[level], np.nan)
        enriched.loc[level, "path_expected"] = np.nan
    if yearly.any():
        enriched.loc[yearly, "path_expected"] = np.nan
    enriched["measured"] = measured


def _text(values: np.ndarray, index: pd.Index) -> pd.Series:
    """An object column as it is (assigning the bare array would convert it to pandas' str)."""
    return pd.Series(values, index=index, dtype=object)


def _group_ids(table: pd.DataFrame) -> np.ndarray:
    """One integer per (file, district, indicator); -1 where the indicator is unknown."""
    ids, _ = group_codes(*(table[column] for column in GROUP))
    unknown = table["indicator"].isna().to_numpy()
    return np.where(unknown, -1, ids)


def _first_per_group(
    group: np.ndarray, year: np.ndarray, rows: np.ndarray, last: bool
) -> np.ndarray:
    """Per group id, the row with the smallest (or largest) year among `rows`; -1 if none."""
    size = int(group.max()) + 1 if len(group) else 0
    first = np.full(size, -1, dtype=np.int64)
    if len(rows) == 0:
        return first
    order = rows[np.lexsort((-year[rows] if last else year[rows], group[rows]))]
    groups = group[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = groups[1:] != groups[:-1]
    first[groups[starts]] = order[starts]
    return first


OFF_PATH_FACTOR = 5.0  # an actual five times above or below where the path puts it
SMALL = 10.0  # below this both sides are small counts, where ratios mean little


def ratio(value: pd.Series, reference: pd.Series) -> pd.Series:
    """value / reference where both are positive and big enough for a ratio to mean anything."""
    with np.errstate(divide="ignore", invalid="ignore"):
        result = value / reference
    big_enough = np.maximum(value.abs(), reference.abs()) >= SMALL
    return result.where((reference > 0) & (value > 0) & big_enough)


def far_off(value: pd.Series, reference: pd.Series, factor: float) -> pd.Series:
    r = ratio(value, reference)
    return ((r >= factor) | (r <= 1 / factor)).fillna(False)


def _previous(
    enriched: pd.DataFrame,
    group: np.ndarray,
    value: np.ndarray,
    year: np.ndarray,
    cells: np.ndarray,
    history: np.ndarray,
) -> None:
    """For each actual value, the latest earlier value of the same district (actual or baseline)."""
    rows = np.flatnonzero(history)
    order = rows[np.lexsort((year[rows], group[rows]))]
    # one row per (group, year): the first of duplicates
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = (group[order][1:] != group[order][:-1]) | (year[order][1:] != year[order][:-1])
    order = order[keep]
    same_group = np.zeros(len(order), dtype=bool)
    same_group[1:] = group[order][1:] == group[order][:-1]
    previous = np.full(len(enriched), np.nan)
    previous_year = np.full(len(enriched), np.nan)
    previous_cell = np.full(len(enriched), None, dtype=object)
    current, before = order[1:][same_group[1:]], order[:-1][same_group[1:]]
    previous[current] = value[before]
    previous_year[current] = year[before]
    previous_cell[current] = cells[before]
    enriched["previous"] = previous
    enriched["previous_year"] = previous_year
    enriched["previous_cell"] = _text(previous_cell, enriched.index)


def _path(enriched: pd.DataFrame) -> None:
    """Where an actual value should be on the straight line from baseline to target."""
    additive = enriched["additive"].fillna(True).astype(bool)
    start = enriched["own_baseline"].where(
        enriched["own_baseline"].notna() | additive, enriched["catalog_baseline"]
    )
    start_year = enriched["own_baseline_year"].where(
        enriched["own_baseline_year"].notna() | additive,
        enriched["catalog_baseline_year"],
    )
    end = enriched["own_target"].where(
        enriched["own_target"].notna() | additive, enriched["catalog_target"]
    )
    end_year = enriched["own_target_year"].where(
        enriched["own_target_year"].notna() | additive, enriched["catalog_target_year"]
    )
    span = end_year - start_year
    share = (enriched["year_num"] - start_year) / span.where(span > 0)
    enriched["path_expected"] = start + (end - start) * share
