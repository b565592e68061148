"""Level 2 `relation`: values that must stand in order (普惠托位 ≤ 托位总数) in one district."""

import operator

import numpy as np
import pandas as pd

from expectations.rules.base import Rule, number, numbers
from submissions.codes import combination_codes

KEY = ["file", "district", "year", "role"]
OPERATORS = {"≤": operator.le, "<": operator.lt, "≥": operator.ge, ">": operator.gt}


def _pairs(t: pd.DataFrame, catalog, carried: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every relation of the catalog at once: a row for each value of a left indicator that has
    its right partner (same file, district, year and role), with the partner's value (and
    `carried` columns, suffixed _other), the relation's operator and its position among the
    catalog's relations (`order`), indexed by the left value's row, in relation order. Matched
    on integer keys of the rows (codes.combination_codes): a pandas merge per relation cost a
    millisecond each, on every upload."""
    relations = [(ind.code, r.other, r.op) for ind in catalog.indicators for r in ind.relations]
    columns = ["value", "value_other", *(f"{c}_other" for c in carried), "op", "order"]
    if not relations:
        return pd.DataFrame(columns=columns)
    involved = {code for left, right, _op in relations for code in (left, right)}
    # a value already impossible (a negative bed count, a unit that cannot be converted) is
    # reported as such, not compared again with its partner
    chosen = np.flatnonzero(
        (t["indicator"].isin(involved) & t["value"].notna() & ~t["impossible"]).to_numpy(bool)
    )
    rows = t.iloc[chosen]
    place = combination_codes(*(rows[column] for column in KEY))
    indicator = rows["indicator"].astype(object).to_numpy()
    value = rows["value"].to_numpy(float)
    parts = []
    for order, (left, right, op) in enumerate(relations):
        # the first value of each indicator at each place (a value typed twice is compared
        # once, as drop_duplicates kept it), then each left value's partner at its place
        mine, mine_places = _first_at_each_place(np.flatnonzero(indicator == left), place)
        partner, partner_places = _first_at_each_place(np.flatnonzero(indicator == right), place)
        if not len(mine) or not len(partner):
            continue
        at = np.minimum(np.searchsorted(partner_places, mine_places), len(partner_places) - 1)
        matched = partner_places[at] == mine_places
        paired, other = mine[matched], partner[at[matched]]
        part = {"value": value[paired], "value_other": value[other]}
        for column in carried:
            part[f"{column}_other"] = rows[column].to_numpy(dtype=object)[other]
        parts.append(pd.DataFrame({**part, "op": op, "order": order}, index=rows.index[paired]))
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts)


def _first_at_each_place(positions: np.ndarray, place: np.ndarray) -> tuple:
    """Of these row positions, the first at each place, in order of place; and those places."""
    places, first = np.unique(place[positions], return_index=True)
    return positions[first], places


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    result = pd.Series(True, index=t.index)
    joined = _pairs(t, catalog)
    for symbol, compare in OPERATORS.items():
        mine = joined[(joined["op"] == symbol).to_numpy()]
        if not mine.empty:
            ok = compare(mine["value"].to_numpy(float), mine["value_other"].to_numpy(float))
            result.loc[mine.index[~ok]] = False
    return result


def _details(t: pd.DataFrame, catalog, failing: pd.Index) -> pd.DataFrame:
    joined = _pairs(t, catalog, ("cell",))
    failed = joined[joined.index.isin(failing)]
    if failed.empty:
        return pd.DataFrame(index=failing)
    relations = [relation for ind in catalog.indicators for relation in ind.relations]
    order = failed["order"].to_numpy()
    details = pd.DataFrame(
        {
            "other_name": [catalog.indicator(relations[o].other).name for o in order],
            "other_value": numbers(failed["value_other"]),
            "other_cell": failed["cell_other"].astype(object),
            "op": failed["op"].astype(object),
            "reason": [relations[o].reason for o in order],
        },
        index=failed.index,
    )
    # a row in two relations: the last one's wording, as the per-row engine kept it
    return details[~details.index.duplicated(keep="last")]


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
