"""Joining catalog facts and each district's own baseline and target onto the tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import Catalog

GROUP = ["file", "district", "indicator"]


def catalog_frame(catalog: Catalog) -> pd.DataFrame:
    rows = []
    for ind in catalog.indicators:
        rows.append(
            {
                "indicator": ind.code,
                "indicator_name": ind.name,
                "kind": ind.kind,
                "catalog_unit": ind.unit,
                "lower": ind.lower_bound,
                "upper": ind.upper_bound,
                "whole": ind.whole,
                "binding": ind.binding,
                "direction": ind.direction,
                "additive": ind.sums_across_districts,
                "required": ind.required,
                "catalog_baseline": ind.baseline.value if ind.baseline else np.nan,
                "catalog_baseline_year": ind.baseline.year if ind.baseline else np.nan,
                "catalog_target": ind.target.value,
                "catalog_high": ind.target.high if ind.target.high is not None else np.nan,
                "catalog_comparator": ind.target.comparator,
                "catalog_target_year": ind.target.year,
                "tolerance": (
                    ind.target.tolerance
                    if ind.target.tolerance is not None
                    else abs(ind.target.value) * catalog.approx_tolerance
                ),
            }
        )
    return pd.DataFrame(rows)


def enrich(table: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Add catalog columns, own_baseline, own_target, previous value and path expectation."""
    enriched = table.merge(catalog_frame(catalog), on="indicator", how="left")
    enriched.index = table.index
    enriched["binding"] = enriched["binding"].fillna(False).astype(bool)
    enriched["required"] = enriched["required"].fillna(False).astype(bool)
    enriched["year_num"] = enriched["year"].astype("float64")
    known = enriched["indicator"].notna() & enriched["value"].notna()

    base = _first_by_group(enriched[known & (enriched["role"] == "baseline")], "year_num", "min")
    target = _first_by_group(enriched[known & (enriched["role"] == "target")], "year_num", "max")
    enriched = enriched.join(
        base.rename(
            columns={
                "value": "own_baseline",
                "year_num": "own_baseline_year",
                "cell": "own_baseline_cell",
            }
        ),
        on=GROUP,
    )
    enriched = enriched.join(
        target.rename(
            columns={
                "value": "own_target",
                "year_num": "own_target_year",
                "cell": "own_target_cell",
            }
        ),
        on=GROUP,
    )
    enriched.index = table.index
    _path(enriched)
    _previous(enriched, known)
    return enriched


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


def _first_by_group(rows: pd.DataFrame, by: str, pick: str) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(
            columns=["value", "year_num", "cell"], index=pd.MultiIndex.from_tuples([], names=GROUP)
        )
    ordered = rows.sort_values(by, ascending=(pick == "min"), kind="stable")
    first = ordered.drop_duplicates(GROUP)
    return first.set_index(GROUP)[["value", "year_num", "cell"]]


def _previous(enriched: pd.DataFrame, known: pd.Series) -> None:
    """For each actual value, the latest earlier value of the same district (actual or baseline)."""
    history = enriched[known & enriched["role"].isin(["actual", "baseline"])]
    history = history.sort_values([*GROUP, "year_num"], kind="stable").drop_duplicates(
        [*GROUP, "year_num"]
    )
    prev_value = history.groupby(GROUP, sort=False, dropna=False)["value"].shift(1)
    prev_year = history.groupby(GROUP, sort=False, dropna=False)["year_num"].shift(1)
    prev_cell = history.groupby(GROUP, sort=False, dropna=False)["cell"].shift(1)
    enriched["previous"] = np.nan
    enriched["previous_year"] = np.nan
    enriched["previous_cell"] = None
    enriched.loc[history.index, "previous"] = prev_value
    enriched.loc[history.index, "previous_year"] = prev_year
    enriched.loc[history.index, "previous_cell"] = prev_cell


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
