"""The notation parser: one passing and one failing example per notation, plus properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.notation import format_number, format_numbers, parse


@pytest.mark.parametrize(
    ("text", "value", "comparator"),
    [
        ("39000", 39000, None),
        (" 44.8 ", 44.8, None),
        ("1,234,567", 1234567, None),
        ("９３．２", 93.2, None),
        ("５５％", 55, None),
        ("55%", 55, None),
        ("2.6万", 26000, None),
        ("2.6万张", 26000, None),
        ("2亿元", 200000000, None),
        ("5千", 5000, None),
        ("81.5左右", 81.5, "≈"),
        ("约3.07个", 3.07, "≈"),
        ("近20", 20, "≈"),
        ("55%以上", 55, "≥"),
        ("不低于50%", 50, "≥"),
        ("不少于3000人次", 3000, "≥"),
        ("至少1个", 1, "≥"),
        ("达到60%", 60, "≥"),
        ("超过50%", 50, ">"),
        ("高于10", 10, ">"),
        ("大于10", 10, ">"),
        ("80%以下", 80, "≤"),
        ("不高于80%", 80, "≤"),
        ("不超过80%", 80, "≤"),
        ("达到81.5左右", 81.5, "≈"),
        ("-5", -5, None),
    ],
)
def test_numbers_parse(text, value, comparator):
    reading = parse(text)
    assert reading.reason is None
    assert reading.value == pytest.approx(value)
    assert reading.comparator == comparator


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("2~3", 2, 3), ("2～3个", 2, 3), ("2-3", 2, 3), ("2至3", 2, 3), ("5千至1.2万", 5000, 12000)],
)
def test_ranges_parse(text, low, high):
    reading = parse(text)
    assert (reading.comparator, reading.value, reading.high) == ("range", low, high)


@pytest.mark.parametrize(
    "text", ["", "  ", "—", "——", "-", "…", "/", "无", "暂无", "N/A", "n/a", None]
)
def test_no_value_markers_are_empty_not_zero(text):
    reading = parse(text)
    assert reading.empty and reading.value is None and reading.reason is None


@pytest.mark.parametrize(
    "text", ["待统计", "约", "1e5", "100（已完成）", "3-2", "不低于50%以下", "五十", "12.5.3"]
)
def test_non_numbers_give_a_reason(text):
    reading = parse(text)
    assert reading.value is None and not reading.empty
    assert reading.reason and "“" in reading.reason


def test_percent_sign_is_recorded():
    assert parse("54%").percent and not parse("54").percent


def test_typed_cells_pass_through():
    assert parse(39000.0).value == 39000 and parse(39000.0).text == "39000"
    assert parse(float("nan")).reason is not None
    assert parse(True).reason is not None


@given(st.text(max_size=60))
def test_arbitrary_text_never_raises(text):
    reading = parse(text)
    assert reading.value is not None or reading.empty or reading.reason


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_formatted_numbers_round_trip(number):
    assert parse(format_number(number)).value == number


@given(st.integers(min_value=0, max_value=10**9))
def test_thousands_separators_round_trip(number):
    assert parse(f"{number:,}").value == number
    assert parse(f"{number:,}%").percent


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_full_width_digits_round_trip(number):
    full_width = str(number).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    assert parse(full_width).value == float(number)


@given(st.lists(st.floats(allow_nan=False), max_size=50))
def test_many_numbers_are_written_as_one_is(values):
    assert format_numbers(values) == [format_number(v) for v in values]
