"""Level 2 `duplicate`: the same indicator reported twice for one district and year."""

import numpy as np
import pandas as pd

from expectations.rules.base import Rule
from submissions.codes import group_codes
from submissions.reading.tidy import cell_addresses

KEY = ["file", "district", "indicator", "year", "role"]


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    group, first = group_codes(*(t[column] for column in KEY))
    repeated = np.arange(len(t)) != first[group]  # not the first row of its combination
    return pd.Series(~(repeated & t["indicator"].notna().to_numpy()), index=t.index)


def _details(t: pd.DataFrame, catalog, failing: pd.Index) -> dict:
    known = t.loc[t["indicator"].notna(), [*KEY, "row", "label_col"]]
    firsts = known.drop_duplicates(KEY, keep="first")
    label_cells = cell_addresses(firsts["row"].to_numpy(), firsts["label_col"].to_numpy())
    first = firsts.assign(label_cell=label_cells).set_index(KEY)["label_cell"]
    details = {}
    for index, row in t.loc[failing].iterrows():
        details[index] = {"first_cell": first.get(tuple(row[k] for k in KEY), "前面")}
    return details


def _describe(row, extra: dict) -> tuple[str, str]:
    return f"“{row.label}”再次出现", "每个指标每年只填一次"


RULE = Rule(
    code="indicator.duplicate",
    category="duplicate",
    level=2,
    title="同一区县、同一年度的指标不能重复填报",
    template="{name} {year}年重复填报：{found}（{first_cell} 已填），{expected}",
    passes=_passes,
    describe=_describe,
    cell_column="label_cell",
    details=_details,
)
