"""Level 1 `type`: text that is not a number where a number belongs (a formula without a
calculated result and an Excel error value are named as such, never called blank)."""

from expectations.rules.base import Expect, Rule, held
from indicators.notation import excel_error, is_formula


def _expects(catalog) -> list[Expect]:
    # `reason` says why a cell is not a number; blank when it is one
    return [Expect("reason", "null", "indicator.notna()", note="数值格必须是数字")]


def _describe(row, extra: dict) -> tuple[str, str]:
    raw = str(row.raw)
    if is_formula(raw):
        return (
            f"公式“{raw.strip()}”（文件中没有保存计算结果）",
            "数字：请用 Excel 或 WPS 打开此文件，待公式算出结果后保存，再重新上传",
        )
    if (meaning := excel_error(raw)) is not None:
        return (
            f"Excel 错误值“{raw.strip()}”（{meaning}）",
            "数字：请检查这个单元格的公式，或直接填写数值",
        )
    return f"“{row.raw}”", "数字（可带 %、万、亿、以上、左右 等写法）"


RULE = Rule(
    code="value.number",
    category="type",
    level=1,
    title="数值格必须是数字",
    template="{name} {year}年{role_label}填写的{found}不是数字，应填写{expected}",
    passes=held(_expects),
    describe=_describe,
    expects=_expects,
)
