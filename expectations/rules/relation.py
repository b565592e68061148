"""Level 2 `relation`: values that must stand in order (普惠托位 ≤ 托位总数) in one district."""

import operator

import pandas as pd

from expectations.rules.base import Rule, number, numbers

KEY = ["file", "district", "year", "role"]
OPERATORS = {"≤": operator.le, "<": operator.lt, "≥": operator.ge, ">": operator.gt}


def _pairs(t: pd.DataFrame, catalog, carried: tuple[str, ...] = ()):
    """For each relation of the catalog: the rows of the left indicator with the right's value."""
    involved = {i.code for i in catalog.indicators if i.relations}
    involved |= {r.other for i in catalog.indicators for r in i.relations}
    # a value already impossible (a negative bed count, a unit that cannot be converted) is
    # reported as such, not compared again with its partner
    chosen = t["indicator"].isin(involved) & t["value"].notna() & ~t["impossible"]
    values = t.loc[chosen, [*KEY, "indicator", "value", *carried]]
    values = values.drop_duplicates([*KEY, "indicator"])
    for ind in catalog.indicators:
        for relation in ind.relations:
            left = values[values["indicator"] == ind.code]
            right = values[values["indicator"] == relation.other][[*KEY, "value", *carried]]
            if left.empty or right.empty:
                continue
            joined = left.reset_index().merge(right, on=KEY, suffixes=("", "_other"))
            yield ind, relation, joined.set_index("index")


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    result = pd.Series(True, index=t.index)
    for _ind, relation, joined in _pairs(t, catalog):
        ok = OPERATORS[relation.op](joined["value"], joined["value_other"] + 0.0)
        result[joined.index[~ok]] = False
    return result


def _details(t: pd.DataFrame, catalog, failing: pd.Index) -> pd.DataFrame:
    parts = []
    for _ind, relation, joined in _pairs(t, catalog, ("cell",)):
        failed = joined[joined.index.isin(failing)]
        if failed.empty:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "other_name": catalog.indicator(relation.other).name,
                    "other_value": numbers(failed["value_other"]),
                    "other_cell": failed["cell_other"].astype(object),
                    "op": relation.op,
                    "reason": relation.reason,
                },
                index=failed.index,
            )
        )
    if not parts:
        return pd.DataFrame(index=failing)
    joined_details = pd.concat(parts)
    # a row in two relations: the last one's wording, as the per-row engine kept it
    return joined_details[~joined_details.index.duplicated(keep="last")]


def _describe(row, extra: dict) -> tuple[str, str]:
    return number(row.value), (
        f"{extra['op']} {extra['other_name']}（{extra['other_cell']}：{extra['other_value']}）"
    )


def _describe_all(rows: pd.DataFrame, extra: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    expected = (
        extra["op"] + " " + extra["other_name"] + "（" + extra["other_cell"].astype(str) + "："
        + extra["other_value"] + "）"
    )  # fmt: skip
    return numbers(rows["value"]), expected.astype(object)


RULE = Rule(
    code="relation",
    category="relation",
    level=2,
    title="指标之间的包含关系（如普惠托位不超过托位总数）",
    template="{name} {year}年{role_label}填报值 {found}，应{expected}；{reason}",
    passes=_passes,
    describe=_describe,
    describe_all=_describe_all,
    details=_details,
)
