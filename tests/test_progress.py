"""The evaluation's classes and projections: one passing and one failing example per class, a
projection against a hand-worked least-squares line."""

import pytest

from expectations.progress import (
    AHEAD,
    BEHIND,
    COMPLETED,
    EARLY,
    MISSED,
    ON_TRACK,
    UNKNOWN,
    Goal,
    class_between,
    classify,
    project,
)


def goal(comparator="≥", value=60.0, high=None, baseline=50.0, maintain=False, unit="%"):
    return Goal(
        comparator=comparator,
        value=value,
        high=high,
        tolerance=0.6,
        target_year=2025,
        base_year=2021 if baseline is not None else None,
        baseline=baseline,
        maintain=maintain,
        unit=unit,
    )


# (goal, value, year) → class: each class once where it holds and once just where it does not
CASES = [
    # 已完成: met at the target year (and after it); short of it is 未完成, with the gap
    (goal(), 60.0, 2025, COMPLETED),
    (goal(), 59.9, 2025, MISSED),
    (goal(), 61.0, 2026, COMPLETED),
    # 提前实现: met before the target year
    (goal(), 60.0, 2023, EARLY),
    (goal(), 59.0, 2023, AHEAD),  # progress 90% at half time: fast, not yet met
    # elapsed share at 2023 is 50%: ±10 points is 基本符合预期
    (goal(), 56.1, 2023, AHEAD),  # 61%
    (goal(), 55.9, 2023, ON_TRACK),  # 59%
    (goal(), 54.0, 2023, ON_TRACK),  # 40%: the lower edge
    (goal(), 53.9, 2023, BEHIND),  # 39%
    (goal(), 49.0, 2023, BEHIND),  # fell below the baseline
    # a ≤ target (a rate to bring down from 20 to 10)
    (goal("≤", 10.0, baseline=20.0), 15.0, 2023, ON_TRACK),
    (goal("≤", 10.0, baseline=20.0), 17.0, 2023, BEHIND),
    (goal("≤", 10.0, baseline=20.0), 9.5, 2023, EARLY),
    (goal("≤", 10.0, baseline=20.0), 10.5, 2025, MISSED),
    # a level to keep (保持 100%): kept is on track until the target year, then done
    (goal(value=100.0, baseline=100.0, maintain=True), 100.0, 2023, ON_TRACK),
    (goal(value=100.0, baseline=100.0, maintain=True), 98.0, 2023, BEHIND),
    (goal(value=100.0, baseline=100.0, maintain=True), 100.0, 2025, COMPLETED),
    # a range (30～35 from 20): inside it early is 提前实现, above it at the end is 未完成
    (goal("range", 30.0, high=35.0, baseline=20.0, unit="张"), 32.0, 2023, EARLY),
    (goal("range", 30.0, high=35.0, baseline=20.0, unit="张"), 25.0, 2023, ON_TRACK),
    (goal("range", 30.0, high=35.0, baseline=20.0, unit="张"), 36.0, 2025, MISSED),
    # no baseline: progress cannot be worked out
    (goal(baseline=None), 55.0, 2023, UNKNOWN),
    (goal(baseline=None), 61.0, 2023, EARLY),
]


@pytest.mark.parametrize(("target", "value", "year", "expected"), CASES)
def test_each_class(target, value, year, expected):
    assert classify(value, target, year).klass == expected


def test_reasons_say_what_was_found_and_expected():
    missed = classify(64.0, goal(value=70.0, baseline=54.0), 2025)
    assert missed.reason == "2025年 64%，未达到2025年目标 ≥70%，差 6%"
    assert missed.gap == pytest.approx(6.0)
    on_track = classify(62.0, goal(value=70.0, baseline=54.0), 2023)
    assert "完成进度 50%" in on_track.reason and "时序进度 50%" in on_track.reason
    assert "基期2021年 54%" in on_track.reason
    fallen = classify(50.0, goal(value=70.0, baseline=54.0), 2023)
    assert fallen.klass == BEHIND and "较基期倒退" in fallen.reason


def test_a_class_between_two_values_only_when_both_share_it():
    target = goal(value=70.0, baseline=54.0)
    assert class_between(70.0, 80.0, target, 2025) == COMPLETED
    assert class_between(64.0, 70.0, target, 2025) is None
    assert class_between(47000.0, float("inf"), goal(value=47000.0, baseline=39000.0), 2025) == (
        COMPLETED
    )


def test_projection_against_a_hand_worked_least_squares_line():
    # years 2021..2023, values 54, 58, 60: mean year 2022, mean value 57⅓;
    # slope = Σ(x−x̄)(y−ȳ) / Σ(x−x̄)² = ((−1)(−3⅓) + 0 + (1)(2⅔)) / 2 = 3 a year;
    # at 2025: 57⅓ + 3 × 3 = 66⅓, short of 70 by 3⅔
    projection = project({2021: 54.0, 2022: 58.0, 2023: 60.0}, goal(value=70.0, baseline=54.0))
    assert projection is not None
    assert projection.slope == pytest.approx(3.0)
    assert projection.value == pytest.approx(66.0 + 1 / 3)
    assert (projection.met, projection.points) == (False, 3)
    assert projection.gap == pytest.approx(3.0 + 2 / 3)
    assert "2025年预计 66.33%" in projection.wording("%")
    reaching = project({2021: 54.0, 2023: 62.0}, goal(value=70.0, baseline=54.0))
    assert reaching is not None and reaching.met and reaching.value == pytest.approx(70.0)


def test_no_projection_from_one_year():
    assert project({2023: 60.0}, goal()) is None


def test_progress_is_a_percent_between_0_and_100_or_says_what_it_means():
    from expectations.progress import progress_words

    assert progress_words(0.5) == "50%" and progress_words(1.0) == "100%"
    assert progress_words(-1.67) == "倒退"  # behind its own baseline
    assert progress_words(2656.0) == "已超过目标"  # a per-1000 rate typed 100 times too large
    assert progress_words(None) == ""
