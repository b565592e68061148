"""Level 1 `missing`: a value cell that must be filled is blank or holds a no-value marker."""

from expectations.rules.base import Expect, Rule, held, quoted


def _expects(catalog) -> list[Expect]:
    # A target cell is required only for the year the plan sets the indicator a target
    # (Indicator.sets_target_for, as the template asks): a 2025 column is left blank for an
    # indicator whose plan target was a 2022 milestone. A column headed 目标 with no year
    # cannot be told apart, and stays required. A count of streets has no target cells.
    by_year: dict[int | None, list[str]] = {}
    for ind in catalog.indicators:
        if ind.required:
            by_year.setdefault(ind.target.year if ind.target else None, []).append(ind.code)
    expects = []
    for year, codes in by_year.items():
        rows = 'role in ["baseline", "actual"]'
        if year is not None:
            rows += (
                f' or (role == "target" and (year == {year} or '
                '(header_marker == "target" and year.isna())))'
            )
        expects.append(
            Expect(
                "empty", "in_set", f"indicator in {quoted(codes)} and ({rows})",
                value_set=(False,),
                note=f"必填数值格不能为空（目标年 {year}）" if year else "必填数值格不能为空",
            )
        )  # fmt: skip
    return expects


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
