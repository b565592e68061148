"""Level 2 `relation`: values that must stand in order (普惠托位 ≤ 托位总数) in one district."""

import operator

import pandas as pd

from expectations.rules.base import Rule, number

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


def _details(t: pd.DataFrame, catalog, failing: pd.Index) -> dict:
    details = {}
    for _ind, relation, joined in _pairs(t, catalog, ("cell",)):
        other = catalog.indicator(relation.other)
        for index, row in joined[joined.index.isin(failing)].iterrows():
            details[index] = {
                "other_name": other.name,
                "other_value": number(row["value_other"]),
                "other_cell": row["cell_other"],
                "op": relation.op,
                "reason": relation.reason,
            }
    return details


def _describe(row, extra: dict) -> tuple[str, str]:
    return number(row.value), (
        f"{extra['op']} {extra['other_name']}（{extra['other_cell']}：{extra['other_value']}）"
    )


RULE = Rule(
    code="relation",
    category="relation",
    level=2,
    title="指标之间的包含关系（如普惠托位不超过托位总数）",
    template="{name} {year}年{role_label}填报值 {found}，应{expected}；{reason}",
    passes=_passes,
    describe=_describe,
    details=_details,
)
