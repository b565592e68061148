"""Level 3 `target`: a target below the city's binding rate, or a target-year actual short."""

import pandas as pd

from expectations.rules.base import Rule, district_target_text, meets, number


def _below_city_passes(t: pd.DataFrame, catalog) -> pd.Series:
    applies = (
        (t["role"] == "target")
        & t["binding"]
        & t["per_district"].fillna(False).astype(bool)
        & (t["year_num"] >= t["catalog_target_year"])
        & (t["catalog_comparator"] != "≈")
    )
    result = pd.Series(True, index=t.index)
    rows = t[applies]
    ok = meets(
        rows["value"], rows["catalog_comparator"], rows["district_target"], rows["district_high"],
        rows["tolerance"],
    )  # fmt: skip
    result[rows.index[~ok.to_numpy()]] = False
    return result


def _below_city_describe(row, extra: dict) -> tuple[str, str]:
    return number(
        row.value
    ), f"{district_target_text(row)}（{int(row.catalog_target_year)}年全市约束性目标）"


UNMET_COLUMNS = [
    "role", "year_num", "catalog_target_year", "own_target", "own_target_year", "per_district",
    "value", "measured", "catalog_comparator", "district_target", "district_high", "tolerance",
    "direction",
]  # fmt: skip


def _unmet_passes(t: pd.DataFrame, catalog) -> pd.Series:
    result = pd.Series(True, index=t.index)
    in_year = (t["role"] == "actual") & (t["year_num"] == t["catalog_target_year"])
    t = t.loc[in_year, UNMET_COLUMNS]  # not every column of the table
    own = t["own_target"].where(t["own_target_year"] == t["year_num"])
    use_catalog = own.isna() & t["per_district"].fillna(False).astype(bool)
    in_target_year = (t["role"] == "actual") & (t["year_num"] == t["catalog_target_year"])
    catalog_ok = meets(
        t["measured"],
        t["catalog_comparator"],
        t["district_target"],
        t["district_high"],
        t["tolerance"],
    )
    rising = t["direction"] != "decrease"
    own_ok = (
        (rising & (t["measured"] >= own - 1e-9)) | (~rising & (t["measured"] <= own + 1e-9))
    ) | own.isna()
    ok = own_ok & (catalog_ok | ~use_catalog)
    result[t.index[(in_target_year & ~ok).to_numpy()]] = False
    return result


def _unmet_describe(row, extra: dict) -> tuple[str, str]:
    if row.own_target == row.own_target and row.own_target_year == row.year_num:
        verb = "≥" if row.direction != "decrease" else "≤"
        return number(row.value), f"{verb} 本区县目标 {number(row.own_target)}"
    return number(row.value), district_target_text(row)


BELOW_CITY = Rule(
    code="target.below_city",
    category="target",
    level=3,
    title="区县的约束性目标不能低于全市对每个区县的要求",
    template="{name} {year}年目标值 {found} 低于全市要求，应{expected}",
    passes=_below_city_passes,
    describe=_below_city_describe,
)

UNMET = Rule(
    code="target.unmet",
    category="target",
    level=3,
    title="目标年度的实际值应达到目标",
    template="{name} {year}年实际值 {found} 未达到目标，应{expected}",
    passes=_unmet_passes,
    describe=_unmet_describe,
)
