"""The tidy table: one row per value cell with its position, built from collected cells."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import Catalog, parse
from indicators.notation import format_numbers
from indicators.units import unit_factor
from submissions.codes import (
    as_categorical,
    categorical,
    combinations,
    index_in,
    join,
    recode,
)
from submissions.finding import column_letters
from submissions.reading.cells import Collected, unreadable
from submissions.reading.layout import read_attribute, text_or_none
from submissions.reading.submission import Submission

# Columns of the tidy table, in order; documented in README ("The tidy table").
TIDY_COLUMNS = [
    "file", "district", "year", "role", "indicator", "label", "raw", "value", "sheet", "cell",
    "row", "col", "label_col", "empty", "reason", "comparator", "high", "percent",
    "unit_written", "unit_col", "cell_unit", "unit_ok", "unit_issue_cell", "attribute_written",
    "attribute_read", "attribute_col", "note", "header_marker",
]  # fmt: skip
# The label, unit and attribute cells are kept as column numbers (-1: none) on the value's
# row: few findings point at them (cell_addresses writes those), and writing the addresses of
# every row of a 375,000-row file cost 0.12 s.
EMPTY = pd.DataFrame({column: pd.Series(dtype=object) for column in TIDY_COLUMNS})

__all__ = [
    "EMPTY", "TIDY_COLUMNS", "Submission", "cell_addresses", "joined_table", "unpack",
    "unreadable_here",
]  # fmt: skip


def unpack(parcel: tuple[list[Submission], Collected], catalog: Catalog) -> list[Submission]:
    """The submissions a reading child sent, each with its part of the tidy table built from
    the cells the child collected (one DataFrame for all of them, then split per file)."""
    submissions, collected = parcel
    for submission in submissions:
        submission.table = EMPTY
    # A long file that says nowhere which year it reports: its latest year of actual values
    # (found while the table is built, and given to the submission too).
    undated: dict[str, int | None] = {
        s.file: None for s in submissions if s.layout == "long" and s.year is None
    }
    table = _tidy(collected, catalog, undated)
    for submission in submissions:
        if undated.get(submission.file) is not None:
            submission.year = undated[submission.file]
    if table.empty:
        return submissions
    by_file: dict[str, Submission] = {}
    for submission in submissions:
        by_file.setdefault(submission.file, submission)
    files = table["file"].cat.categories
    if len(files) == 1:  # one file (a big long workbook, say): no need to split a copy
        by_file[files[0]].table = table
        return submissions
    # Rows of one file are together unless a file mixes wide and long sheets: sorted (stably)
    # by file, each file is one slice. A groupby cost 0.55 s per 1,000 files, slices 0.1 s.
    codes = table["file"].cat.codes.to_numpy()
    if (np.diff(codes) < 0).any():
        table = table.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
        codes = table["file"].cat.codes.to_numpy()
    bounds = np.flatnonzero(np.diff(codes)) + 1
    for start, stop in zip([0, *bounds.tolist()], [*bounds.tolist(), len(table)], strict=True):
        part = table.iloc[start:stop]
        part.index = pd.RangeIndex(stop - start)
        submission = by_file[files[codes[start]]]
        submission.table, submission.chunk = part, (table, start, stop)
    return submissions


def joined_table(submissions: list[Submission]) -> pd.DataFrame:
    """The submissions' tables one under the other (index 0 … n-1). Consecutive slices that
    make up a whole batch table are that table: pd.concat of 1,000 per-file slices re-encodes
    every categorical 1,000 times (1.4 s); of the 16 batch tables they came from, 0.05 s."""
    pieces: list[pd.DataFrame] = []
    # consecutive slices of one batch table, in order: (slice, (whole, start, end))
    run: list[tuple[pd.DataFrame, tuple[pd.DataFrame, int, int]]] = []

    def close_run() -> None:
        whole = run[0][1][0]
        if run[-1][1][2] == len(whole) and run[0][1][1] == 0:
            pieces.append(whole)
        else:
            pieces.extend(table for table, _chunk in run)
        run.clear()

    for submission in submissions:
        table, chunk = submission.table, submission.chunk
        if table is None or table.empty:
            continue
        if run and (chunk is None or chunk[0] is not run[-1][1][0] or chunk[1] != run[-1][1][2]):
            close_run()
        if chunk is None:
            pieces.append(table)
        else:
            run.append((table, chunk))
    if run:
        close_run()
    if not pieces:
        return EMPTY
    if len(pieces) == 1:
        return pieces[0].reset_index(drop=True)
    return pd.concat(pieces, ignore_index=True)


def unreadable_here(
    name: str, reason: str, known: tuple[str, int], detail: str | None = None
) -> Submission:
    """An unreadable submission made in this process (its reader died): an empty table."""
    submission = unreadable(name, None, reason, known, detail)
    submission.table = EMPTY
    return submission


# Text columns with few distinct values are Categoricals: comparing, grouping and factorising
# them works on small integer codes (on 375,000 rows `==` takes 20 ms on an object column and
# 0.1 ms on a categorical). `raw` and the cell addresses stay plain object columns.
TEXT_FIELDS = (
    "file", "sheet", "label", "indicator", "district", "marker", "unit_written",
    "attribute_written", "note",
)  # fmt: skip
NUMBER_FIELDS = ("row", "col", "label_col", "unit_col", "attribute_col")  # -1 for none
FLOAT_FIELDS = ("year", "reporting_year")  # NaN for none


def _columns(collected: Collected) -> dict:
    """Every field as one array (numbers) or categorical (text), lists and chunks joined."""
    parts = list(collected.chunks)
    if collected.row:
        parts.insert(0, _lists_as_chunk(collected))
    joined = {}
    for name in TEXT_FIELDS:
        joined[name] = join([as_categorical(part[name]) for part in parts])
    for name in (*NUMBER_FIELDS, *FLOAT_FIELDS, "raw"):
        joined[name] = np.concatenate([part[name] for part in parts])
    return joined


def _lists_as_chunk(collected: Collected) -> dict:
    chunk: dict = {name: getattr(collected, name) for name in TEXT_FIELDS}
    for name in NUMBER_FIELDS:
        values = getattr(collected, name)
        chunk[name] = np.array([-1 if v is None else v for v in values], np.int64)
    for name in FLOAT_FIELDS:
        chunk[name] = np.array(getattr(collected, name), dtype="float64")  # None → NaN
    raw = np.empty(len(collected.raw), dtype=object)
    raw[:] = collected.raw
    chunk["raw"] = raw
    return chunk


def _tidy(out: Collected, catalog: Catalog, undated: dict | None = None) -> pd.DataFrame:
    if not len(out):
        return EMPTY
    fields = _columns(out)
    if undated:
        fields["reporting_year"] = _latest_years(fields, undated)
    index = pd.RangeIndex(len(fields["row"]))
    table = pd.DataFrame(
        {
            "file": fields["file"],
            "district": recode(fields["district"], lambda raw: catalog.district(str(raw)) or raw),
            "sheet": fields["sheet"],
            "label": fields["label"],
            "indicator": fields["indicator"],
            "header_marker": fields["marker"],
            "unit_written": fields["unit_written"],
            "attribute_written": fields["attribute_written"],
            # binding / expected / unrecognised, read once for every engine that checks it
            "attribute_read": recode(fields["attribute_written"], read_attribute),
            "note": fields["note"],
            "row": fields["row"],
            "col": fields["col"],
        },
        index=index,
    )
    _positions(table, fields)
    _roles(table, catalog, fields["year"], fields["reporting_year"])
    _values(table, fields["raw"], catalog)
    return table[TIDY_COLUMNS]


def _latest_years(fields: dict, undated: dict) -> np.ndarray:
    """The reporting year of each row, where a file leaves it out: the latest year of that
    file's values that are not marked as targets (a long export of 2022–2025 actuals reports
    2025; without this its 2025 values were read as targets, and never held to them). Each
    undated file's year is put in `undated`."""
    reporting = fields["reporting_year"].copy()
    files = fields["file"]
    codes = np.asarray(files.codes)
    marker = fields["marker"]
    is_target = np.asarray(pd.Series(marker).eq("target").fillna(False), dtype=bool)
    year = fields["year"]
    for position, file in enumerate(files.categories):
        if file not in undated:
            continue
        rows = (codes == position) & np.isnan(reporting)
        candidates = year[rows & ~is_target & ~np.isnan(year)]
        if candidates.size:
            reporting[rows] = candidates.max()
            undated[file] = int(candidates.max())
    return reporting


def _positions(table: pd.DataFrame, fields: dict) -> None:
    """The A1 address of each value; the column numbers of its label, unit and attribute."""
    table["cell"] = pd.Series(cell_addresses(fields["row"], fields["col"]), index=table.index,
                              dtype=object)  # fmt: skip
    for name in ("label_col", "unit_col", "attribute_col"):
        table[name] = fields[name]


def cell_addresses(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A1 addresses of 0-based (row, column) positions; None where the column is -1. Each
    column's letters are put in a format once ("D%d"), then filled with every row number."""
    rows, cols = np.asarray(rows), np.asarray(cols)
    result = np.full(len(rows), None, dtype=object)
    if not len(cols):
        return result
    distinct = (np.flatnonzero(np.bincount(cols + 1)) - 1).tolist()
    for col in distinct:
        if col < 0:
            continue
        where = slice(None) if len(distinct) == 1 else np.flatnonzero(cols == col)
        written = f"{column_letters(col)}%d".__mod__
        result[where] = list(map(written, (rows[where] + 1).tolist()))
    return result


def _roles(
    table: pd.DataFrame, catalog: Catalog, year: np.ndarray, reporting_year: np.ndarray
) -> None:
    """baseline / actual / target for each value, from the header marker and the years."""
    position = index_in(table["indicator"], [i.code for i in catalog.indicators])
    known = position >= 0
    position = np.maximum(position, 0)
    baseline_years = np.array(
        [i.baseline.year if i.baseline else np.nan for i in catalog.indicators] or [np.nan]
    )
    baseline_year = np.where(known, baseline_years[position], np.nan)
    # any year the plan sets the indicator a target for (a milestone or the last)
    target_year = np.zeros(len(table), dtype=bool)
    for k in range(max((len(i.targets) for i in catalog.indicators), default=0)):
        years_k = np.array(
            [i.targets[k].year if len(i.targets) > k else np.nan for i in catalog.indicators],
            dtype=float,
        )
        target_year |= known & (year == years_k[position])
    has_report = ~np.isnan(reporting_year)
    role = np.zeros(len(table), dtype=np.int8)  # index into ROLES
    # With a reporting year: later years are targets, the catalog's base year is the baseline.
    role[has_report & (year > reporting_year)] = 2
    role[has_report & (year == baseline_year) & (year < reporting_year)] = 1
    # Without one (a long file of many years): the catalog's own target and base years decide.
    role[~has_report & target_year] = 2
    role[~has_report & (year == baseline_year)] = 1
    marker = table["header_marker"]
    role[(marker == "baseline").to_numpy()] = 1
    role[(marker == "target").to_numpy()] = 2
    table["role"] = pd.Categorical.from_codes(role, categories=ROLES)
    missing = np.isnan(year)
    table["year"] = pd.arrays.IntegerArray(np.where(missing, 0, year).astype(np.int64), missing)


ROLES = ["actual", "baseline", "target"]


def _cell_codes(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct cell contents, with TRUE/FALSE kept apart from 1/0.

    Hashing treats True as 1 and False as 0, so a TRUE cell would be read as the number 1;
    only the rows whose content compares equal to 0 or 1 are looked at one by one.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    ambiguous = [
        i for i, v in enumerate(uniques) if isinstance(v, bool | int | float) and v in (0, 1)
    ]
    if ambiguous:
        suspects = np.flatnonzero(np.isin(codes, ambiguous)).tolist()
        flags = [i for i in suspects if type(raw[i]) is bool]
        if flags:
            raw = raw.copy()
            raw[flags] = [str(raw[i]) for i in flags]
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    return codes, uniques


def _readings(uniques: np.ndarray) -> dict[str, np.ndarray]:
    """What parse() reads in each distinct cell content, field by field, with one more entry
    (last) for a blank. A plain finite number — most cells of a long export, and all but a
    few of a file of random values — is read without a Reading each: its text is the number
    written as format_number writes it, and nothing else is set."""
    count = len(uniques)
    plain = np.fromiter((type(value) is float for value in uniques), bool, count)
    numbers = np.zeros(count, dtype="float64")
    numbers[plain] = uniques[plain].astype("float64")
    plain &= np.isfinite(numbers)
    others = np.flatnonzero(~plain).tolist()
    readings = [parse(uniques[position]) for position in others] + [parse(None)]
    rest = [*others, count]  # where each Reading goes

    def field(name: str, dtype, default, convert=None) -> np.ndarray:
        column = np.full(count + 1, default, dtype=dtype)
        got = [getattr(r, name) for r in readings]
        if convert is not None:
            got = [convert(value) for value in got]
        column[rest] = got
        return column

    nan = lambda v: np.nan if v is None else v  # noqa: E731
    text = field("text", object, None)
    text[np.flatnonzero(plain)] = format_numbers(numbers[plain].tolist())
    value = field("value", "float64", np.nan, nan)
    value[:count][plain] = numbers[plain]
    units = [r.unit or ("‰" if r.per_mille else None) for r in readings]
    cell_unit = np.full(count + 1, None, dtype=object)
    cell_unit[rest] = units
    return {
        "text": text,
        "value": value,
        "high": field("high", "float64", np.nan, nan),
        "empty": field("empty", bool, False),
        "percent": field("percent", bool, False),
        "multiplier": field("multiplier", bool, False, bool),
        "reason": field("reason", object, None),
        "comparator": field("comparator", object, None),
        "cell_unit": cell_unit,
    }


def _values(table: pd.DataFrame, raw: np.ndarray, catalog: Catalog) -> None:
    """Parse every value cell once per distinct content; convert to the catalog's unit."""
    codes, uniques = _cell_codes(raw)
    read = _readings(uniques)

    def take(field):
        return read[field][codes]

    table["raw"] = pd.Series(take("text"), index=table.index, dtype=object)
    table["empty"] = take("empty")
    table["reason"] = categorical(codes, read["reason"])
    table["comparator"] = categorical(codes, read["comparator"])
    table["percent"] = take("percent")
    table["cell_unit"] = categorical(codes, read["cell_unit"])
    value = take("value")
    high = take("high")
    own_multiplier = take("multiplier")

    # Unit conversion per distinct (indicator, written unit, unit in the cell).
    units = {i.code: i.unit for i in catalog.indicators}
    combo_codes, combo_uniques = combinations(
        table["indicator"], table["unit_written"], table["cell_unit"]
    )
    factors = np.ones(len(combo_uniques))
    ok = np.ones(len(combo_uniques), dtype=bool)
    culprit_is_value = np.zeros(len(combo_uniques), dtype=bool)
    for i, (code, written, cell_unit) in enumerate(combo_uniques):
        code, written, cell_unit = map(text_or_none, (code, written, cell_unit))
        if code is None or (written is None and cell_unit is None):
            continue
        sheet_factor = unit_factor(written, units[code])
        cell_factor = unit_factor(cell_unit, units[code])
        if sheet_factor is None or cell_factor is None:
            ok[i] = False
            culprit_is_value[i] = cell_factor is None
        else:
            factors[i] = sheet_factor
    factor = np.where(own_multiplier, 1.0, factors[combo_codes])
    unit_ok = ok[combo_codes]
    issue_cell = np.full(len(table), None, dtype=object)
    wrong = np.flatnonzero(~unit_ok)
    if len(wrong):
        from_value = culprit_is_value[combo_codes[wrong]]
        unit_cell = cell_addresses(
            table["row"].to_numpy()[wrong], table["unit_col"].to_numpy()[wrong]
        )
        issue_cell[wrong] = np.where(from_value, table["cell"].to_numpy(object)[wrong], unit_cell)
    table["value"] = value * factor
    table["high"] = high * factor
    table["unit_ok"] = unit_ok
    table["unit_issue_cell"] = pd.Series(issue_cell, index=table.index, dtype=object)
