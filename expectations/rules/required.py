"""Level 1 `missing`: a value cell that must be filled is blank or holds a no-value marker."""

from expectations.rules.base import Expect, Rule, held, quoted


def required_rows(catalog) -> list[tuple[str, int | None]]:
    """The conditions picking the value cells that must be filled, with their target year."""
    # A target cell is required only for the year the plan sets the indicator a target
    # (Indicator.sets_target_for, as the template asks): a 2025 column is left blank for an
    # indicator whose plan target was a 2022 milestone. A column headed 目标 with no year
    # cannot be told apart, and stays required. A count of streets has no target cells.
    # An increment counted from yearly additions has no baseline cell to fill: nothing was
    # added in the base year.
    by_years: dict[tuple[tuple[int, ...], bool], list[str]] = {}
    for ind in catalog.indicators:
        if ind.required:
            yearly = ind.increment is not None and ind.increment.reported == "yearly"
            years = tuple(t.year for t in ind.targets)
            by_years.setdefault((years, yearly), []).append(ind.code)
    conditions = []
    for (years, yearly), codes in by_years.items():
        rows = 'role == "actual"' if yearly else 'role in ["baseline", "actual"]'
        if years:
            in_years = f"year == {years[0]}" if len(years) == 1 else f"year in {list(years)}"
            rows += (
                f' or (role == "target" and ({in_years} or '
                '(header_marker == "target" and year.isna())))'
            )
        last = years[-1] if years else None
        conditions.append((f"indicator in {quoted(codes)} and ({rows})", last))
    return conditions


# A no-value mark ("—", "/", "无") with a reason in 备注: value.not_applicable asks the reviewer.
# Written over the tidy table's own columns, so that the exported suite and schema run on it.
EXPLAINED_MARK = 'empty and raw.notna() and raw != "" and note.notna()'


def _applies(catalog) -> list[str]:
    """Conditions leaving out the districts the catalog says an indicator does not apply to."""
    return [
        f'not (indicator == "{ind.code}" and district in {quoted(list(ind.not_applicable))})'
        for ind in catalog.indicators
        if ind.not_applicable
    ]


def not_applicable(catalog) -> str:
    """The condition of a cell that needs a value if asked: neither an explained mark nor a
    district the catalog says the indicator does not apply to."""
    return " and ".join([f"not ({EXPLAINED_MARK})", *_applies(catalog)])


def explained_mark(catalog) -> str:
    """The condition of an explained mark where the catalog does not already say the indicator
    does not apply (value.not_applicable's cells)."""
    return " and ".join([f"({EXPLAINED_MARK})", *_applies(catalog)])


def _expects(catalog) -> list[Expect]:
    applies = not_applicable(catalog)
    return [
        Expect(
            "empty",
            "in_set",
            f"{where} and {applies}",
            value_set=(False,),
            note=f"必填数值格不能为空（目标年 {year}）" if year else "必填数值格不能为空",
        )
        for where, year in required_rows(catalog)
    ]


def _describe(row, extra: dict) -> tuple[str, str]:
    found = "空白" if not str(row.raw).strip() else f"“{row.raw}”（表示无数据）"
    return found, "填写数值"


RULE = Rule(
    code="value.required",
    category="missing",
    level=1,
    title="必填的数值格不能为空",
    template="{name} {year}年{role_label}未填写：{found}，{expected}",
    passes=held(_expects),
    describe=_describe,
    expects=_expects,
)
