"""Parser of Chinese numeric notation in cells and targets ("2.6万", "55%以上", "81.5左右")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Statistical-yearbook markers for "no value": recognised, not read as zero.
NO_VALUE_MARKERS = frozenset(
    {"", "-", "--", "—", "——", "–", "…", "……", "...", "/", "\\", "无", "暂无", "n/a", "na"}
)
# Excel's (and WPS's) error values, what each means to the person who sees it; LibreOffice
# writes "Err:502" and the like.
EXCEL_ERRORS = {
    "#DIV/0!": "公式中除数为零",
    "#REF!": "公式引用的单元格已被删除",
    "#N/A": "公式找不到要查的值",
    "#VALUE!": "公式中参与计算的数据类型不对",
    "#NAME?": "公式中有无法识别的函数或名称",
    "#NUM!": "公式中的数字无效或超出范围",
    "#NULL!": "公式中的区域没有交集",
    "#SPILL!": "公式结果溢出到已有内容的单元格",
    "#CALC!": "公式无法计算",
    "#GETTING_DATA": "数据尚未取回",
}
LIBREOFFICE_ERROR_RE = re.compile(r"^Err:\d{3}$")

# Longest words first so that "不低于" is not read as "低于".
PREFIX_WORDS: tuple[tuple[str, str], ...] = (
    ("不低于", "≥"),
    ("不少于", "≥"),
    ("不小于", "≥"),
    ("至少", "≥"),
    ("达到", "≥"),
    ("达", "≥"),
    ("不高于", "≤"),
    ("不超过", "≤"),
    ("不大于", "≤"),
    ("不多于", "≤"),
    ("超过", ">"),
    ("高于", ">"),
    ("大于", ">"),
    ("多于", ">"),
    ("低于", "<"),
    ("小于", "<"),
    ("少于", "<"),
    ("不足", "<"),
    ("大约", "≈"),
    ("约为", "≈"),
    ("约", "≈"),
    ("接近", "≈"),
    ("近", "≈"),
    (">=", "≥"),
    ("<=", "≤"),
    ("≥", "≥"),
    ("≤", "≤"),
    (">", ">"),
    ("<", "<"),
    ("≈", "≈"),
    ("~", "≈"),
)
SUFFIX_WORDS: tuple[tuple[str, str], ...] = (
    ("及以上", "≥"),
    ("以上", "≥"),
    ("及以下", "≤"),
    ("以下", "≤"),
    ("以内", "≤"),
    ("左右", "≈"),
    ("上下", "≈"),
)
MULTIPLIERS = {
    "千": Decimal(1000),
    "万": Decimal(10000),
    "亿": Decimal(100000000),
    "万亿": Decimal(1000000000000),
}

# Units a district may type after the number; anything else after it is not a number.
UNIT_WORDS = frozenset(
    "张 个 家 处 所 人 名 位 岁 元 次 人次 座 户 项 床 张床 平方米 平米 ㎡ m2 m² 年 间 套 分 "
    "个百分点 万元 亿元 千元".split()
)

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE_SEPARATOR = r"(?:~|-|至|到|—|–)"
_NUMBER_RE = re.compile(rf"^({_NUMBER})\s*(万亿|[千万亿]?)")
_RANGE_RE = re.compile(
    rf"^({_NUMBER})\s*([千万亿]?)\s*(?:[^\d\s~\-至到—–]{{0,4}}?)\s*{_RANGE_SEPARATOR}\s*"
    rf"(\d+(?:\.\d*)?)\s*([千万亿]?)"
)
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a cell or target text says: a number, how it is qualified, or why it is not one."""

    text: str
    value: float | None = None
    comparator: str | None = None  # None: a plain number
    high: float | None = None  # upper end of a range
    percent: bool = False  # written with % (or ‰ in per_mille)
    per_mille: bool = False
    multiplier: str = ""  # 千 / 万 / 亿 as written
    unit: str = ""  # unit word written after the number
    empty: bool = False  # blank, or a "no value" marker such as — or 暂无
    reason: str | None = None  # why it is not a number

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def approximate(self) -> bool:
        return self.comparator == "≈"


def normalise(text: str) -> str:
    """NFKC folds full-width digits and punctuation (９３．２ → 93.2, ％ → %)."""
    folded = unicodedata.normalize("NFKC", text)
    return folded.replace("\u3000", " ").replace("－", "-").replace("〜", "~").strip()


def excel_error(text: str) -> str | None:
    """What an error value such as "#DIV/0!" means, or None if `text` is not one."""
    token = text.strip().upper()
    if token in EXCEL_ERRORS:
        return EXCEL_ERRORS[token]
    if LIBREOFFICE_ERROR_RE.match(text.strip()):
        return "公式无法计算"
    return None


def is_formula(text: str) -> bool:
    """A formula left as text: a cell whose result was never calculated (a file written by a
    program and never opened in Excel), or a CSV cell, which nothing calculates."""
    body = text.strip()
    return body.startswith("=") and len(body) > 1


def parse(text: object) -> Reading:
    """Read one cell or target; never raises."""
    if text is None:
        return Reading(text="", empty=True)
    if isinstance(text, bool):
        return Reading(text=str(text), reason=f"“{text}”不是数字")
    if isinstance(text, int | float):
        if text != text or text in (float("inf"), float("-inf")):
            return Reading(text=str(text), reason=f"“{text}”不是有限的数字")
        return Reading(text=format_number(float(text)), value=float(text))
    raw = str(text)
    try:
        return _parse_text(raw)
    except (ValueError, InvalidOperation, ArithmeticError, RecursionError):
        return Reading(text=raw, reason=f"“{_clip(raw)}”无法识别为数字")


@lru_cache(maxsize=65536)
def _parse_text(raw: str) -> Reading:
    if is_formula(raw):
        return Reading(text=raw, reason=f"单元格是公式“{_clip(raw.strip())}”，文件中没有计算结果")
    if (meaning := excel_error(raw)) is not None:
        return Reading(text=raw, reason=f"Excel 错误值“{raw.strip()}”（{meaning}）")
    body = normalise(raw)
    if body.lower() in NO_VALUE_MARKERS or re.fullmatch(r"[-—–…./\s]+", body):
        return Reading(text=raw, empty=True)
    body = _THOUSANDS_RE.sub("", body).replace(" ", "")
    body, prefix, prefix_word = _strip_prefix(body)
    body, suffix = _strip_suffix(body)
    comparator = prefix or suffix
    if prefix and suffix and prefix != suffix:
        if prefix_word not in ("达到", "达"):
            return Reading(text=raw, reason=f"“{_clip(raw)}”前后的限定词互相矛盾")
        comparator = suffix  # "达到81.5左右", "达到60%以上"

    ranged = _RANGE_RE.match(body)
    if ranged and comparator in (None, "≈"):
        low = _scaled(ranged.group(1), ranged.group(2) or ranged.group(4))
        high = _scaled(ranged.group(3), ranged.group(4))
        tail = body[ranged.end() :]
        unit, percent, per_mille, reason = _tail(tail, raw)
        if reason:
            return Reading(text=raw, reason=reason)
        if low > high:
            return Reading(text=raw, reason=f"“{_clip(raw)}”区间下限大于上限")
        return Reading(
            text=raw,
            value=low,
            high=high,
            comparator="range",
            percent=percent,
            per_mille=per_mille,
            multiplier=ranged.group(4) or ranged.group(2),
            unit=unit,
        )

    number = _NUMBER_RE.match(body)
    if not number:
        return Reading(text=raw, reason=f"“{_clip(raw)}”不是数字")
    value = _scaled(number.group(1), number.group(2))
    unit, percent, per_mille, reason = _tail(body[number.end() :], raw)
    if reason:
        return Reading(text=raw, reason=reason)
    return Reading(
        text=raw,
        value=value,
        comparator=comparator,
        percent=percent,
        per_mille=per_mille,
        multiplier=number.group(2),
        unit=unit,
    )


def _strip_prefix(body: str) -> tuple[str, str | None, str]:
    for word, symbol in PREFIX_WORDS:
        if body.startswith(word) and len(body) > len(word):
            rest = body[len(word) :]
            if word == "~" and not rest[:1].isdigit():
                continue
            return rest, symbol, word
    return body, None, ""


def _strip_suffix(body: str) -> tuple[str, str | None]:
    for word, symbol in SUFFIX_WORDS:
        if body.endswith(word) and len(body) > len(word):
            return body[: -len(word)], symbol
    return body, None


def _scaled(digits: str, multiplier: str) -> float:
    amount = Decimal(digits)
    if multiplier:
        amount *= MULTIPLIERS[multiplier]
    return float(amount)


def _tail(tail: str, raw: str) -> tuple[str, bool, bool, str | None]:
    percent = per_mille = False
    if tail.startswith("%"):
        percent, tail = True, tail[1:]
    elif tail.startswith("‰"):
        per_mille, tail = True, tail[1:]
    if tail and tail not in UNIT_WORDS:
        return "", percent, per_mille, f"“{_clip(raw)}”数字后有无法识别的文字“{_clip(tail)}”"
    return tail, percent, per_mille, None


def _clip(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_numbers(values: list[float]) -> list[str]:
    """format_number of each value (floats, not None), the usual ones without a call each:
    a file with random values has hundreds of thousands of distinct numbers."""
    written = [text.removesuffix(".0") for text in map(repr, values)]
    for position in [i for i, text in enumerate(written) if "e" in text or "n" in text]:
        written[position] = format_number(values[position])
    return ["0" if text == "-0" else text for text in written]


def format_number(value: float | None) -> str:
    """Shortest plain rendering: 26000.0 → "26000", 44.80 → "44.8"."""
    if value is None:
        return ""
    text = repr(float(value))  # the shortest digits that read back as the same float
    if "e" in text or "n" in text:  # 1e-05, 1.2e+16, nan, inf: written out in full
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    elif text.endswith(".0"):
        text = text[:-2]
    return "0" if text in ("-0", "") else text
