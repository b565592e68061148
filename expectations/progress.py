"""Progress toward a target at a year, in the classes an evaluation reports (已完成 … 无法判定),
and the least-squares projection to the target year behind its early warnings (预警)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from expectations.rules.base import COMPARATORS
from indicators import format_number

# Progress within this many points of the elapsed share of the plan period (时序进度) is 基本符合
# 预期; this one number is the tolerance the page and the README state.
ON_TRACK_TOLERANCE = 0.10

COMPLETED, EARLY, AHEAD, ON_TRACK, BEHIND, MISSED, UNKNOWN = (
    "completed",
    "early",
    "ahead",
    "on_track",
    "behind",
    "missed",
    "unknown",
)
CLASS_LABELS = {
    COMPLETED: "已完成",
    EARLY: "提前实现",
    AHEAD: "快于预期",
    ON_TRACK: "基本符合预期",
    BEHIND: "滞后",
    MISSED: "未完成",
    UNKNOWN: "无法判定",
}
# best first: a city whose every district must reach a target stands where its worst one does
CLASS_ORDER = (COMPLETED, EARLY, AHEAD, ON_TRACK, BEHIND, MISSED, UNKNOWN)
MET_CLASSES = (COMPLETED, EARLY)


@dataclass(frozen=True)
class Goal:
    """What a plan asks of one value: its target at the target year, from a baseline."""

    comparator: str  # ≥ > ≤ < ≈ = range
    value: float
    high: float | None
    tolerance: float  # absolute, for ≈
    target_year: int
    base_year: int | None
    baseline: float | None
    maintain: bool  # the plan asks to keep a level (保持), not to move towards one
    unit: str = ""

    def met_by(self, value: float) -> bool:
        compare = COMPARATORS.get(self.comparator, COMPARATORS["="])
        high = self.high if self.high is not None else self.value
        return bool(compare(value, self.value, high, self.tolerance))

    def aim(self) -> float:
        """The level progress is measured towards: the target, or a range's nearer end."""
        if self.comparator == "range" and self.high is not None and self.baseline is not None:
            return self.high if self.baseline > self.high else self.value
        return self.value

    def gap(self, value: float) -> float:
        """How far a value is from meeting the target, in the indicator's unit (0 when met)."""
        if self.met_by(value):
            return 0.0
        if self.comparator in ("≥", ">"):
            return self.value - value
        if self.comparator in ("≤", "<"):
            return value - self.value
        if self.comparator == "range" and self.high is not None:
            return self.value - value if value < self.value else value - self.high
        return max(0.0, abs(value - self.value) - self.tolerance)

    def wording(self) -> str:
        if self.comparator == "range":
            return f"{number(self.value)}～{number(self.high)}{self.unit}"
        comparator = "" if self.comparator == "=" else self.comparator
        return f"{comparator}{number(self.value)}{self.unit}"


@dataclass(frozen=True)
class Progress:
    """One value's class at a year, with the reason in words."""

    klass: str
    reason: str
    progress: float | None = None  # share of the way from baseline to target
    elapsed: float | None = None  # share of the plan period gone by
    gap: float | None = None  # how far from the target, where the target year has come

    @property
    def label(self) -> str:
        return CLASS_LABELS[self.klass]


def number(value: float | None) -> str:
    return "—" if value is None else format_number(round(value, 2))


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def progress_words(share: float | None) -> str:
    """Progress as a person reads it: a percent between 0 and 100, else what it means (a value
    behind its baseline, one past its target), never "-167%" or "265600%"."""
    if share is None or share != share:
        return ""
    if share < 0:
        return "倒退"
    if share > 1 + 1e-9:
        return "已超过目标"
    return percent(share)


def elapsed_share(goal: Goal, year: int) -> float | None:
    if goal.base_year is None or goal.target_year <= goal.base_year:
        return None
    return min(1.0, max(0.0, (year - goal.base_year) / (goal.target_year - goal.base_year)))


def classify(value: float, goal: Goal, year: int) -> Progress:
    """The class of `value` at `year` (README, 评估的类别): met at or after the target year is
    已完成, before it 提前实现 (a level to keep is 基本符合预期 while kept); not met when the
    target year has come is 未完成; otherwise progress against the elapsed share decides."""
    unit = goal.unit
    shown = f"{year}年 {number(value)}{unit}"
    met = goal.met_by(value)
    if year >= goal.target_year:
        if met:
            return Progress(COMPLETED, f"{shown}，达到目标 {goal.wording()}", 1.0, 1.0, 0.0)
        gap = goal.gap(value)
        return Progress(
            MISSED,
            f"{shown}，未达到{goal.target_year}年目标 {goal.wording()}，差 {number(gap)}{unit}",
            None,
            1.0,
            gap,
        )
    elapsed = elapsed_share(goal, year)
    if goal.maintain:
        if met:
            return Progress(
                ON_TRACK,
                f"{shown}，保持在目标 {goal.wording()} 以内（须保持到{goal.target_year}年）",
                None,
                elapsed,
            )
        return Progress(
            BEHIND, f"{shown}，未保持目标 {goal.wording()}，差 {number(goal.gap(value))}{unit}"
        )
    if met:
        return Progress(
            EARLY, f"{shown}，已达到{goal.target_year}年目标 {goal.wording()}", 1.0, elapsed
        )
    if goal.baseline is None or elapsed is None:
        return Progress(UNKNOWN, f"{shown}，未达到目标，没有基期值，无法计算完成进度")
    aim = goal.aim()
    if abs(aim - goal.baseline) < 1e-12:
        return Progress(
            BEHIND,
            f"{shown}，低于基期 {number(goal.baseline)}{unit} 的水平（目标 {goal.wording()}）",
            None,
            elapsed,
        )
    progress = (value - goal.baseline) / (aim - goal.baseline)
    where = (
        f"{shown}，完成进度 {percent(progress)}（基期{goal.base_year}年 "
        f"{number(goal.baseline)}{unit} → 目标 {goal.wording()}），时序进度 {percent(elapsed)}"
    )
    if progress < 0:
        return Progress(BEHIND, f"{where}，较基期倒退", progress, elapsed)
    if progress > elapsed + ON_TRACK_TOLERANCE:
        return Progress(AHEAD, where, progress, elapsed)
    if progress >= elapsed - ON_TRACK_TOLERANCE:
        return Progress(ON_TRACK, where, progress, elapsed)
    return Progress(BEHIND, where, progress, elapsed)


def class_between(low: float, high: float, goal: Goal, year: int) -> str | None:
    """The class every value from `low` to `high` has (for a total known only as at least the
    reported districts' sum, or a rate lying between the districts' rates), else None."""
    classes = {classify(low, goal, year).klass, classify(high, goal, year).klass}
    return classes.pop() if len(classes) == 1 else None


@dataclass(frozen=True)
class Projection:
    """A straight line through the reported years (least squares), read at the target year."""

    year: int
    value: float
    slope: float
    points: int
    met: bool
    gap: float

    def wording(self, unit: str) -> str:
        trend = f"年均{'增加' if self.slope >= 0 else '减少'} {number(abs(self.slope))}{unit}"
        verdict = "可达到目标" if self.met else f"预计差 {number(self.gap)}{unit}"
        return (
            f"按{self.points}个年度的实际值线性外推（{trend}），"
            f"{self.year}年预计 {number(self.value)}{unit}，{verdict}"
        )


def project(points: dict[int, float], goal: Goal) -> Projection | None:
    """Least squares over the reported years (at least two), read at the target year."""
    years = sorted(points)
    if len(years) < 2:
        return None
    xs = [float(y) for y in years]
    ys = [points[y] for y in years]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    value = mean_y + slope * (goal.target_year - mean_x)
    if not math.isfinite(value):
        return None
    return Projection(
        goal.target_year, value, slope, len(years), goal.met_by(value), goal.gap(value)
    )
