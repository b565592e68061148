"""Units as districts write them, and the factor that brings a written unit to the catalog's."""

from __future__ import annotations

from indicators.text import fold_text

MULTIPLIER_PREFIXES = {"千": 1000.0, "万": 10000.0, "亿": 100000000.0}

# Words that name the same kind of quantity; within a group a district's word is as good as the
# catalog's (beds are 张 in one row of the Yantai table and 个 in another).
UNIT_GROUPS: tuple[frozenset[str], ...] = (
    frozenset("个 张 床 床位 张床 家 处 所 座 名 人 位 项 间 套 次 人次 户 件".split()),
    frozenset(["%", "百分比", "百分点", "个百分点"]),
    frozenset(["岁", "年"]),
    frozenset(["平方米", "平米", "m2", "m²", "㎡", "平方"]),
    frozenset(["元"]),
    frozenset(["‰", "千分比"]),
)


def fold_unit(unit: str | None) -> str:
    if not unit:
        return ""
    text = fold_text(unit)
    text = text.strip("()[]【】")
    # "张/千人", "个/每千人口": the numerator names the unit; the denominator is the indicator's.
    return text.split("/")[0]


def unit_factor(written: str | None, catalog_unit: str | None) -> float | None:
    """Multiply a value written in `written` by this to get `catalog_unit`; None if incompatible."""
    unit = fold_unit(written)
    target = fold_unit(catalog_unit)
    if not unit or unit == target:
        return 1.0
    if _same_group(unit, target):
        return 1.0
    if unit[0] in MULTIPLIER_PREFIXES:
        factor, unit = MULTIPLIER_PREFIXES[unit[0]], unit[1:]
        if not unit or not target or unit == target or _same_group(unit, target):
            return factor
    return 1.0 if not target and not _is_unit_of_other_kind(unit) else None


def _same_group(unit: str, target: str) -> bool:
    return any(unit in group and target in group for group in UNIT_GROUPS)


def _is_unit_of_other_kind(unit: str) -> bool:
    """With no catalog unit, a count word is fine but % or 元 says the wrong thing was typed."""
    return any(unit in group for group in UNIT_GROUPS[1:])
