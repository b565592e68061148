"""Findings as columns: each rule's failing rows become a table, settled with group operations.

On a 375,000-row file with random values a rule can fail on 200,000 rows. Building a Finding
and formatting its message row by row cost 9 s there; here the fields are taken from the
enriched table column by column, messages are joined from the template's pieces one column at
a time, and follow-on suppression, de-duplication and ordering are group operations. `Finding`
records are made only for callers that iterate (materialise)."""

from __future__ import annotations

import string
from collections.abc import Callable

import numpy as np
import pandas as pd

from submissions import ERROR, WARNING, Finding
from submissions.finding import BINDING_DEPENDENT, FIXED_SEVERITY, SEVERITY_RANK

FIELDS = list(Finding.__dataclass_fields__)  # rule, category, severity, message, file, …
ROLE_LABELS = {"actual": "", "baseline": "（基期）", "target": "（目标）"}
DIRECTION_LABELS = {"increase": "应逐步提高", "decrease": "应逐步降低", "maintain": "应保持"}
MESSAGE_FIELD_LIMIT = 60  # cell text can be anything a user typed: messages stay readable
TEMPLATE_FIELDS = ("name", "year", "role_label", "district", "direction_label", "found",
                   "expected", "hint", "reason", "first_cell")  # fmt: skip


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({field: pd.Series(dtype=object) for field in FIELDS})
    frame["sort_row"] = frame["sort_col"] = pd.Series(dtype=np.int64)
    return frame


def texts(values: pd.Series) -> pd.Series:
    """Text where there is text; None for anything else (NaN, numbers, empty strings)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # decided once per category
        categories = values.cat.categories.to_numpy(dtype=object)
        usable = np.array([isinstance(c, str) and c != "" for c in categories] + [False])
        codes = values.cat.codes.to_numpy()
        chosen = np.concatenate([categories, np.array([None], dtype=object)])[codes]
        return pd.Series(np.where(usable[codes], chosen, None), index=values.index, dtype=object)
    array = values.to_numpy(dtype=object)
    keep = np.fromiter((isinstance(v, str) and v != "" for v in array), bool, len(array))
    return pd.Series(np.where(keep, array, None), index=values.index, dtype=object)


def clipped(values: pd.Series) -> pd.Series:
    """Text longer than MESSAGE_FIELD_LIMIT cut to it, with an ellipsis (each distinct
    value looked at once)."""
    if values.dtype != object:
        return values
    codes, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    limit = MESSAGE_FIELD_LIMIT
    long = [isinstance(v, str) and len(v) > limit for v in distinct]
    if not any(long):
        return values
    cut = np.array(
        [v[: limit - 1] + "…" if is_long else v for v, is_long in zip(distinct, long, strict=True)]
        + [None],
        dtype=object,
    )
    return pd.Series(np.where(codes >= 0, cut[codes], values.to_numpy(dtype=object)),
                     index=values.index, dtype=object)  # fmt: skip


def as_text(values: pd.Series) -> pd.Series:
    """Each value as str.format would write it (None → "None", like the per-row path)."""
    return values.astype(str).astype(object)


def rendered(template: str, fields: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """`template.format(**row)` for every row: the template turned once into a %-format of
    its literal pieces, then filled row by row in C (one new string per row; joining column
    by column made a new string per piece, and held two of them at the peak)."""
    pattern, columns = [], []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        pattern.append(literal.replace("%", "%%"))
        if name is None:
            continue
        column = fields[name]
        if spec or conversion:  # not used by any rule today; correct, if slow, when it is
            column = column.map(lambda v, s=spec, c=conversion: format(_convert(v, c), s))
        pattern.append("%s")
        columns.append(as_text(column).to_numpy(dtype=object))
    form = "".join(pattern)
    if not columns:
        return pd.Series(form % (), index=index, dtype=object)
    filled = [form % row for row in zip(*columns, strict=True)]
    return pd.Series(filled, index=index, dtype=object)


def _convert(value, conversion):
    return {"r": repr, "s": str, "a": ascii}.get(conversion or "", lambda v: v)(value)


def severities(category: str, binding: pd.Series) -> np.ndarray:
    if category in FIXED_SEVERITY:
        return np.full(len(binding), FIXED_SEVERITY[category], dtype=object)
    if category in BINDING_DEPENDENT:
        return np.where(binding.fillna(False).astype(bool), ERROR, WARNING).astype(object)
    raise ValueError(f"unknown category {category!r}")


# What a finding and the columnar describes read; a rule without describe_all gets every
# column (its per-row describe may read any), on its few failing rows.
FINDING_COLUMNS = [
    "file", "district", "sheet", "cell", "label_cell", "unit_issue_cell", "attribute_cell",
    "indicator", "indicator_name", "label", "year", "role", "direction", "binding", "raw",
    "note", "value", "high", "lower", "upper", "kind", "catalog_unit", "previous",
    "previous_year", "previous_cell", "own_baseline", "own_baseline_cell", "row", "col",
]  # fmt: skip


def rule_skeleton(rule, table: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """What settling needs of a rule's findings, before any message is written: which rule,
    where (cell, related cell, sort position), how bad; `source_row` says which row of the
    table each came from, for rendering the ones that stay (render)."""
    rows = table.loc[index, _skeleton_columns(rule, table)]
    cell, sort_row, sort_col = _place(rule, rows)
    return pd.DataFrame(
        {
            "rule": rule.code,
            "category": rule.category,
            "severity": severities(rule.category, rows["binding"]),
            "message": None,
            "file": rows["file"].astype(object),
            "district": texts(rows["district"]),
            "sheet": rows["sheet"].astype(object),
            "cell": cell,
            "indicator": texts(rows["indicator"]),
            "year": rows["year"].astype("Float64").round().astype("Int64"),
            "related_cell": texts(rows[rule.related_column]) if rule.related_column else None,
            "sort_row": sort_row,
            "sort_col": sort_col,
            "source_row": index.to_numpy(),
        }
    ).reset_index(drop=True)


def _skeleton_columns(rule, table: pd.DataFrame) -> list[str]:
    wanted = ["file", "district", "sheet", "cell", "indicator", "year", "binding", "row", "col"]
    for extra in (rule.cell_column, rule.related_column):
        if extra and extra in table.columns and extra not in wanted:
            wanted.append(extra)
    return wanted


def _place(rule, rows: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The cell a finding points at, and its (row, column) for ordering: the value cell's own,
    or the address of the row's label, unit or attribute cell."""
    cell = texts(rows[rule.cell_column]) if rule.cell_column in rows else rows["cell"]
    cell = cell.where(cell.notna(), rows["cell"])
    if rule.cell_column == "cell":
        return cell, rows["row"].to_numpy() + 1, rows["col"].to_numpy() + 1
    sort_row, sort_col = _cell_positions(cell)
    return cell, sort_row, sort_col


def render(settled: pd.DataFrame, rules: dict, table: pd.DataFrame, catalog, engines: dict):
    """The settled findings with every field: rows from a rule's skeleton rendered by their
    rule (only those that stayed), the others as they are; the settled order kept."""
    if settled.empty or "source_row" not in settled or settled["source_row"].isna().all():
        return settled.drop(columns=["source_row"], errors="ignore")
    settled = settled.reset_index(drop=True)
    from_rules = settled["source_row"].notna().to_numpy()
    pieces = [settled[~from_rules].drop(columns=["source_row"])]
    for code, group in settled[from_rules].groupby("rule", sort=False):
        index = pd.Index(group["source_row"].astype(np.int64).to_numpy())
        done = rule_frame(rules[code], table, index, catalog, engines.get(code, "pandera"))
        done.index = group.index
        pieces.append(done)
    return pd.concat(pieces).sort_index()


def rule_frame(rule, table: pd.DataFrame, index: pd.Index, catalog, engine: str) -> pd.DataFrame:
    """The findings of one rule on the rows `index` of the enriched table."""
    if rule.describe_all is not None:
        wanted = [c for c in FINDING_COLUMNS if c in table.columns]
        if rule.related_column and rule.related_column not in wanted:
            wanted.append(rule.related_column)
        rows = table.loc[index, wanted]
    else:
        rows = table.loc[index]
    details = rule.details(table, catalog, index) if rule.details else {}
    extra = _details_frame(details, index)
    if rule.describe_all is not None:
        found, expected = rule.describe_all(rows, extra)
        found = pd.Series(found, index=index, dtype=object)
        expected = pd.Series(expected, index=index, dtype=object)
    else:  # a rule with few findings: its per-row describe
        found, expected = _described(rule.describe, rows, details)
    cell, sort_row, sort_col = _place(rule, rows)
    name = texts(rows["indicator_name"])
    name = name.where(name.notna(), texts(rows["label"])).fillna("")
    district = texts(rows["district"])
    year = rows["year"].astype("Float64").round().astype("Int64")
    year_field = pd.Series(["" if pd.isna(v) else int(v) for v in year], index=index, dtype=object)
    fields: dict[str, pd.Series] = {
        "name": name,
        "year": year_field,
        "role_label": _labels(rows["role"], ROLE_LABELS),
        "district": district.fillna(""),
        "direction_label": _labels(rows["direction"], DIRECTION_LABELS),
        "found": found,
        "expected": expected,
        "hint": pd.Series("", index=index, dtype=object),
        "reason": pd.Series("", index=index, dtype=object),
        "first_cell": pd.Series("", index=index, dtype=object),
    }
    for column in extra.columns:  # a row without a detail reads as blank (hint, reason …)
        fields[column] = extra[column].astype(object).where(extra[column].notna(), "")
    fields = {key: clipped(value) for key, value in fields.items()}
    fields["the sheet"] = clipped(rows["sheet"].astype(object))
    fields["the cell"] = cell
    message = rendered("工作表“{the sheet}”{the cell}：" + rule.template, fields, index)
    note = texts(rows["note"])
    has_note = note.notna() & (note.fillna("").str.strip() != "")
    raw = rows["raw"].astype(object).to_numpy()
    missing_raw = np.fromiter((v is None for v in raw), bool, len(raw))
    value = np.where(missing_raw, None, raw.astype(str).astype(object))
    frame = pd.DataFrame(
        {
            "rule": rule.code,
            "category": rule.category,
            "severity": severities(rule.category, rows["binding"]),
            "message": message,
            "file": rows["file"].astype(object),
            "district": district,
            "sheet": rows["sheet"].astype(object),
            "cell": cell,
            "indicator": texts(rows["indicator"]),
            "indicator_name": name.where(name != "", None),
            "year": year,
            "value": value,
            "expected": expected,
            "explanation": note.where(has_note, None),
            "engine": engine,
            "related_cell": (texts(rows[rule.related_column]) if rule.related_column else None),
            "sort_row": sort_row,
            "sort_col": sort_col,
        },
        index=index,
    )
    return frame.reset_index(drop=True)


def _labels(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """A label per value (a categorical maps its few categories), "" where none."""
    return values.map(labels).astype(object).fillna("")


def _details_frame(details, index: pd.Index) -> pd.DataFrame:
    if isinstance(details, pd.DataFrame):
        return details.reindex(index)
    if not details:
        return pd.DataFrame(index=index)
    return pd.DataFrame.from_dict(details, orient="index").reindex(index)


def _described(describe: Callable, rows: pd.DataFrame, details) -> tuple[pd.Series, pd.Series]:
    found, expected = [], []
    for position, row in zip(rows.index, rows.itertuples(index=False), strict=True):
        one, other = describe(row, details.get(position, {}) if isinstance(details, dict) else {})
        found.append(one)
        expected.append(other)
    return (
        pd.Series(found, index=rows.index, dtype=object),
        pd.Series(expected, index=rows.index, dtype=object),
    )


def records_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings made one by one (reading, whole-submission rules) as rows of the table."""
    if not findings:
        return empty_frame()
    rows = [[getattr(f, field) for field in FIELDS] for f in findings]
    frame = pd.DataFrame(rows, columns=FIELDS)
    frame["year"] = frame["year"].astype("Float64").round().astype("Int64")
    frame["sort_row"], frame["sort_col"] = _cell_positions(frame["cell"])
    return frame


def settle(frame: pd.DataFrame, level_of: dict[str, int]) -> pd.DataFrame:
    """No trend or outlier noise on a cell already wrong, nor on one whose reference cell is
    wrong; one finding per rule and position; ordered by severity, file, sheet, row, column,
    rule (the order of the per-row engine, ties kept in the order found). Worked out on
    integer codes (hashing 500,000 text keys cost a second), the table taken once."""
    if frame.empty:
        return frame
    level = frame["rule"].map(level_of).fillna(0).astype(int).to_numpy()
    file, sheet = _codes(frame["file"]), _codes(frame["sheet"])
    cells = _codes(pd.concat([frame["cell"], frame["related_cell"]], ignore_index=True))
    cell, related = cells[: len(frame)], cells[len(frame) :]
    width_sheet, width_cell = int(sheet.max()) + 2, int(cells.max()) + 2
    place = ((file + 1) * width_sheet + (sheet + 1)) * width_cell
    here, depends_on = place + cell + 1, place + related + 1
    broken = here[(cell >= 0) & (level <= 2)]
    doubtful = np.concatenate([broken, here[(frame["category"] == "outlier").to_numpy()]])
    follow_on = (level >= 3) & (np.isin(here, broken) | np.isin(depends_on, doubtful))
    kept = np.flatnonzero(~follow_on)
    # np.lexsort sorts by its last key first, and is stable: ties keep the order found
    keys = [
        _codes(frame["rule"], ordered=True)[kept],
        frame["sort_col"].to_numpy()[kept],
        frame["sort_row"].to_numpy()[kept],
        _codes(frame["sheet"], ordered=True)[kept],
        _codes(frame["file"], ordered=True)[kept],
        frame["severity"].map(SEVERITY_RANK).to_numpy()[kept],
    ]
    ordered = kept[np.lexsort(keys)]
    without_cell = (cell < 0)[ordered]
    same = np.column_stack(
        [
            *(_codes(frame[column])[ordered] for column in ("rule", "indicator", "district")),
            file[ordered],
            sheet[ordered],
            cell[ordered],
            np.where(without_cell, _codes(frame["year"].astype(object))[ordered], -2),
            np.where(without_cell, _codes(frame["message"])[ordered], -2),
        ]
    )
    first = pd.DataFrame(same).duplicated().to_numpy()
    return frame.take(ordered[~first]).reset_index(drop=True)


def _codes(values: pd.Series, ordered: bool = False) -> np.ndarray:
    """An integer per distinct value (-1 for none); in the values' sort order if `ordered`
    (None and "" first, as Finding.sort_key puts them)."""
    array = values.to_numpy(dtype=object)
    if ordered:
        array = np.where(pd.isna(array), "", array)
    codes, _uniques = pd.factorize(array, sort=ordered, use_na_sentinel=True)
    return codes.astype(np.int64)


def _cell_positions(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of A1 addresses as Finding.sort_key orders them; no cell sorts last."""
    text = cells.fillna("").astype(str)
    letters = text.str.replace(r"[^A-Za-z]", "", regex=True).str.upper()
    digits = text.str.replace(r"[^0-9]", "", regex=True)
    row = pd.to_numeric(digits, errors="coerce").fillna(0).astype(np.int64).to_numpy()
    col = np.zeros(len(text), dtype=np.int64)
    for position in range(int(letters.str.len().max() or 0)):
        char = letters.str[position]
        present = char.notna().to_numpy() & (char.fillna("") != "").to_numpy()
        codes = char.fillna("@").map(ord).to_numpy() - 64
        col = np.where(present, col * 26 + codes, col)
    missing = cells.isna().to_numpy()
    row = np.where(missing, 10**9, row)
    col = np.where(missing, 0, col)
    return row, col


def materialise(frame: pd.DataFrame) -> list[Finding]:
    """The rows as Finding records."""
    if frame is None or frame.empty:
        return []
    values = frame[FIELDS].astype(object)
    values = values.where(values.notna(), None)
    # an object column by hand: a Series of ints and None would be inferred as floats
    years = np.array([None if v is None else int(v) for v in values["year"]], dtype=object)
    values["year"] = pd.Series(years, index=values.index, dtype=object)
    return [Finding(*row) for row in values.itertuples(index=False, name=None)]
