"""Text columns as integer codes: categoricals built, recoded and combined without row loops."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


def categorical(codes: np.ndarray, per_code: Sequence | np.ndarray) -> pd.Categorical:
    """`per_code[codes]` as a Categorical; `per_code` has one extra last entry, for code -1.

    Entries may repeat or be None: equal ones become one category, None becomes missing.
    Only the few distinct entries are looked at, never each row.
    """
    slots = np.empty(len(per_code), dtype=object)
    slots[:] = list(per_code)
    slot_codes, categories = pd.factorize(slots, use_na_sentinel=True)
    return pd.Categorical.from_codes(slot_codes[codes], categories=categories)


def constant(value: object, size: int) -> pd.Categorical:
    return categorical(np.zeros(size, dtype=np.int64), [value, None])


def recode(values: pd.Categorical, function: Callable[[object], object]) -> pd.Categorical:
    """`function` applied once per category; categories it maps together merge."""
    mapped = [function(category) for category in values.categories]
    return categorical(values.codes, [*mapped, None])


def as_categorical(values) -> pd.Categorical:
    if isinstance(values, pd.Categorical):
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, categories=uniques)


def join(parts: list[pd.Categorical]) -> pd.Categorical:
    """Several categoricals as one, categories united."""
    if len(parts) == 1:
        return parts[0]
    if len({str(part.categories.dtype) for part in parts}) > 1:  # e.g. str and all-missing
        parts = [
            pd.Categorical.from_codes(part.codes, categories=part.categories.astype(object))
            for part in parts
        ]
    return pd.api.types.union_categoricals(parts, ignore_order=True)


def codes_of(column: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (-1 for missing) and the values they stand for, for any column."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), list(column.cat.categories)
    if pd.api.types.is_numeric_dtype(column.dtype):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    else:  # text of any dtype: one notion of missing
        codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def present(column: pd.Series) -> list:
    """The distinct values that occur, missing ones left out."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = np.unique(column.cat.codes.to_numpy())
        return column.cat.categories[used[used >= 0]].tolist()
    return column.dropna().unique().tolist()


def index_in(column: pd.Series, names: Sequence[str]) -> np.ndarray:
    """For each row, the position of its value in `names`, or -1."""
    codes, uniques = codes_of(column)
    where = {name: position for position, name in enumerate(names)}
    lookup = np.array([where.get(value, -1) for value in uniques] + [-1], dtype=np.int64)
    return lookup[codes]


def group_codes(*columns: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row for its combination of values (0 … n-1), and for each of those
    integers the first row that has it."""
    key, _ = _keys(columns)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def first_rows(*columns: pd.Series) -> np.ndarray:
    """The first row of each combination of values, in row order (hashed, not sorted)."""
    key, _ = _keys(columns)
    return np.flatnonzero(~pd.Series(key).duplicated().to_numpy())


def combination_codes(*columns: pd.Series) -> np.ndarray:
    """One integer per row for its combination of values, numbered as they first appear
    (hashed: group_codes sorts, for callers that need its order)."""
    key, _ = _keys(columns)
    return pd.factorize(key)[0]


def combinations(*columns: pd.Series) -> tuple[np.ndarray, list[tuple]]:
    """Codes of each row's combination of values, and the distinct combinations."""
    key, coded = _keys(columns)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    combos = list(zip(*(values[codes[first]].tolist() for codes, values in coded), strict=True))
    return inverse.reshape(-1), combos


def _keys(columns) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """An int64 per row that is equal exactly where all the columns are."""
    coded = []
    for column in columns:
        codes, uniques = codes_of(column)
        values = np.empty(len(uniques) + 1, dtype=object)  # code -1 (missing) picks the last
        values[:-1] = uniques
        coded.append((codes, values))
    return mixed_key([codes for codes, _values in coded]), coded


def mixed_key(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One int64 per row, equal exactly where every one of the integer columns is, and ordered
    as the rows are by those columns in turn: the columns as digits of a mixed radix, the
    digits so far renumbered (in order) when the next would not fit."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for column in columns:
        if not len(key):
            break
        low = int(column.min())
        width = int(column.max()) - low + 1
        if int(key.max()) > (2**62) // width:  # keep the mixed radix in range
            key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
        key = key * width + (column.astype(np.int64) - low)
    return key
