"""Level 1 `applicability`: a required cell marked not applicable ("—", "/") with a reason in
备注 ("本区无乡镇"): not a missing value, a warning the reviewer confirms."""

import pandas as pd

from expectations.rules.base import Rule, selected
from expectations.rules.required import explained_mark, required_rows


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    passes = pd.Series(True, index=t.index)
    blank = t[t["empty"].to_numpy(bool)]  # marks are few: the condition runs on them alone
    if blank.empty:
        return passes
    asked = pd.Series(False, index=blank.index)
    for where, _year in required_rows(catalog):
        asked |= selected(blank, where)
    flagged = selected(blank, explained_mark(catalog)) & asked
    # one warning for an indicator's row, at its first marked cell, not one per year
    keys = blank.loc[flagged, ["file", "district", "indicator"]].astype(object).astype(str)
    flagged.loc[keys.index[keys.duplicated().to_numpy()]] = False
    passes.loc[flagged.index[flagged.to_numpy(bool)]] = False
    return passes


def _describe(row, extra: dict) -> tuple[str, str]:
    return f"“{row.raw}”", f"备注说明“{row.note}”，请审核人确认本单位确实不适用"


RULE = Rule(
    code="value.not_applicable",
    category="applicability",
    level=1,
    title="不适用的格填“—”并在备注写明原因，由审核人确认",
    template="{name} {year}年{role_label}填了{found}（不适用）：{expected}",
    passes=_passes,
    describe=_describe,
)
