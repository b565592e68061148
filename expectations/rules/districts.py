"""Level 4: district targets that add up below the city's, and one district far from the others."""

import numpy as np
import pandas as pd

from expectations.rules.base import Rule, TableRule, comparator_text, number, numbers
from submissions import Finding, severity_for
from submissions.codes import combination_codes, first_rows

MIN_DISTRICTS = 4  # fewer than this and "far from the others" means nothing
ROBUST_Z = 3.5  # modified z-score (Iglewicz and Hoaglin) on log values
MIN_RATIO = 3.0  # and at least this far from the median, so that tight spreads are not flagged


def _aggregate(t: pd.DataFrame, catalog, submissions) -> list:
    findings = []
    required_units = set(catalog.reporting_units.required)
    chosen = (t["role"] == "target") & t["value"].notna() & t["indicator"].notna()
    targets = t.loc[chosen, ["indicator", "year_num", "district", "value"]]
    for ind in catalog.targeted:
        if (
            not ind.sums_across_districts
            or ind.plan_target.scope != "city"  # each district meets it: a sum says nothing
            or ind.plan_target.comparator not in ("≥", ">", "=")
        ):
            continue
        rows = targets[
            (targets["indicator"] == ind.code) & (targets["year_num"] == ind.plan_target.year)
        ]
        rows = rows.drop_duplicates(["district"])
        districts = set(rows["district"].dropna())
        if not required_units <= districts:
            continue  # the sum means something only once every reporting unit has sent its target
        total = float(rows["value"].sum())
        if total + 1e-9 >= ind.plan_target.value:
            continue
        findings.append(
            Finding(
                rule="districts.aggregate",
                category="aggregate",
                severity=severity_for("aggregate", ind.binding),
                indicator=ind.code,
                indicator_name=ind.name,
                year=ind.plan_target.year,
                value=number(total),
                expected=comparator_text(ind.plan_target.comparator, ind.plan_target.value),
                message=(
                    f"{ind.name} 各区县{ind.plan_target.year}年目标合计 {number(total)}"
                    f"（{len(districts)} 个区县），低于全市目标 {ind.plan_target.text}"
                ),
            )
        )
    return findings


def _outlier_passes(t: pd.DataFrame, catalog) -> pd.Series:
    mask = t["indicator"].notna() & (t["value"] > 0) & t["district"].notna()
    usable = t.loc[mask, ["district", "indicator", "year", "role", "value"]]
    result = pd.Series(True, index=t.index)
    if usable.empty or usable["district"].nunique() < MIN_DISTRICTS:
        return result
    first = first_rows(*(usable[c] for c in ["district", "indicator", "year", "role"]))
    usable = usable.iloc[first]  # one value per district, indicator, year and role
    logs = np.log(usable["value"])
    # one integer per (indicator, year, role): grouping on it is far cheaper than on text
    key = pd.Series(
        combination_codes(usable["indicator"], usable["year"], usable["role"]), index=usable.index
    )
    count = key.map(key.value_counts())
    keys = [key]
    median = logs.groupby(keys).transform("median")
    deviation = (logs - median).abs()
    mad = deviation.groupby(keys).transform("median")
    mean_ad = deviation.groupby(keys).transform("mean")
    # Where most districts report the same value MAD is 0; the mean deviation stands in for it.
    z = (0.6745 * (logs - median) / mad.where(mad > 0)).fillna(
        (logs - median) / (1.253314 * mean_ad.where(mean_ad > 0))
    )
    far = (
        (z.abs() > ROBUST_Z)
        & ((logs - median).abs() >= np.log(MIN_RATIO))
        & (count >= MIN_DISTRICTS)
    )
    result[usable.index[far.fillna(False).to_numpy()]] = False
    return result


def _outlier_details(t: pd.DataFrame, catalog, failing: pd.Index) -> pd.DataFrame:
    keys = ["indicator", "year", "role"]
    mask = t["indicator"].notna() & (t["value"] > 0) & t["district"].notna()
    usable = t.loc[mask, ["district", *keys, "value"]]  # not every column of the table
    usable = usable.drop_duplicates(["district", *keys])
    medians = usable.groupby(keys, observed=True)["value"].median().rename("median_value")
    failed = t.loc[failing, keys].astype(object)
    found = failed.reset_index().merge(
        medians.reset_index().astype({k: object for k in keys}), on=keys, how="left"
    )
    return pd.DataFrame(
        {"median": numbers(found["median_value"]).to_numpy()}, index=found["index"].to_numpy()
    )


def _outlier_describe(row, extra: dict) -> tuple[str, str]:
    return number(row.value), f"与其他区县（中位数 {extra['median']}）同一量级"


def _outlier_describe_all(rows: pd.DataFrame, extra: pd.DataFrame):
    expected = "与其他区县（中位数 " + extra["median"].astype(str) + "）同一量级"
    return numbers(rows["value"]), expected.astype(object)


AGGREGATE = TableRule(
    code="districts.aggregate",
    category="aggregate",
    level=4,
    title="可相加指标的各区县目标合计不能低于全市目标",
    run=_aggregate,
)

OUTLIER = Rule(
    code="districts.outlier",
    category="outlier",
    level=4,
    title="一个区县的数值不应远离其他区县",
    template="{district} {name} {year}年{role_label}填报值 {found} 远离其他区县，应{expected}",
    passes=_outlier_passes,
    describe=_outlier_describe,
    details=_outlier_details,
    describe_all=_outlier_describe_all,
)
