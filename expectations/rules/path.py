"""Level 3 `outlier`: a value far off the straight path from baseline to target (a tenfold slip)."""

import numpy as np
import pandas as pd

from expectations.context import OFF_PATH_FACTOR, far_off
from expectations.rules.base import Rule, number, numbers

TARGET_FACTOR = 10.0  # a target ten times its own baseline


def _on_path(t: pd.DataFrame) -> pd.Series:
    """Where an actual should be on the path from the district's baseline to its target,
    unless those two are themselves ten times apart: one of them is the mistake (reported at
    the target), and a path through it is no reference."""
    anchors_apart = far_off(t["own_target"], t["own_baseline"], TARGET_FACTOR)
    return t["path_expected"].where(~anchors_apart)


def _passes(t: pd.DataFrame, catalog) -> pd.Series:
    reference = _on_path(t).fillna(t["previous"])  # else last year's value
    actual_off = (t["role"] == "actual") & far_off(t["value"], reference, OFF_PATH_FACTOR)
    target_off = (t["role"] == "target") & far_off(t["value"], t["own_baseline"], TARGET_FACTOR)
    return ~(actual_off | target_off)


# what a power-of-ten slip probably was, by how many tens the value is off
SLIPS = {
    1: "疑似多写了一个 0（约为应有值的 10 倍）",
    2: "疑似多乘了100（约为应有值的 100 倍，百分数或千分数多乘了一次）",
    3: "疑似多乘了1000（约为应有值的 1000 倍）",
    -1: "疑似少写了一个 0（约为应有值的十分之一）",
    -2: "疑似少乘了100（约为应有值的百分之一）",
    -3: "疑似少乘了1000（约为应有值的千分之一）",
}


def _slip(value: pd.Series, reference: pd.Series) -> pd.Series:
    """ "；疑似多乘了100" where the value is close to a power of ten times the reference."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tens = np.log10((value / reference).astype("float64").abs())
    nearest = tens.round()
    close = (tens - nearest).abs() < 0.1  # within about a quarter of a power of ten
    words = nearest.where(close).map(lambda k: SLIPS.get(int(k), "") if k == k else "")
    return ("；" + words).where(words != "", "")


def _details(t: pd.DataFrame, catalog, failing: pd.Index) -> pd.DataFrame:
    """Where the value should be; and, measured against that path (drawn from the baseline and
    the target: last year's value or the baseline alone may be the slip), what it probably is."""
    rows = t.loc[failing]
    on_path = _on_path(rows)
    return pd.DataFrame({"on_path": on_path, "hint": _slip(rows["value"], on_path)})


def _describe(row, extra: dict) -> tuple[str, str]:
    if row.role == "target":
        return number(row.value), f"与基期值 {number(row.own_baseline)} 同一量级"
    on_path = extra.get("on_path")
    if on_path is not None and on_path == on_path:
        return number(row.value), f"接近 {number(round(on_path, 2))}（按基期到目标的进度推算）"
    year = f"{int(row.previous_year)}年" if row.previous_year == row.previous_year else "上一年"
    return number(row.value), f"与{year}的 {number(row.previous)} 同一量级"


def _describe_all(rows: pd.DataFrame, extra: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    on_path = extra["on_path"].astype("float64")
    near = "接近 " + on_path.map(lambda v: number(round(v, 2))) + "（按基期到目标的进度推算）"
    previous_year = rows["previous_year"].astype("float64")
    year = previous_year.map(lambda v: "上一年" if v != v else f"{int(v)}年")
    same_as_before = "与" + year + "的 " + numbers(rows["previous"]) + " 同一量级"
    expected = near.where(on_path.notna(), same_as_before)
    target = "与基期值 " + numbers(rows["own_baseline"]) + " 同一量级"
    expected = target.where((rows["role"] == "target").to_numpy(bool), expected)
    return numbers(rows["value"]), expected.astype(object)


RULE = Rule(
    code="path.outlier",
    category="outlier",
    level=3,
    title="数值不应偏离从基期到目标的进度（如多打或少打一个 0）",
    template=(
        "{name} {year}年{role_label}填报值 {found} 明显偏离，应{expected}{hint}；"
        "请核对是否多写或少写了 0"
    ),
    passes=_passes,
    describe=_describe,
    details=_details,
    describe_all=_describe_all,
)
