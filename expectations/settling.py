"""Settling and rendering findings: each rule's failing rows become a table of where and how bad,
settled with group operations (follow-ons dropped, duplicates merged, ordered); messages are
rendered only for those that stay, a block at a time.

On a 375,000-row file with random values a rule can fail on 200,000 rows. Building a Finding
and formatting its message row by row cost 9 s there; here the fields are taken from the
enriched table column by column, messages are joined from the template's pieces one column at
a time, and follow-on suppression, de-duplication and ordering are group operations. `Finding`
records are made only for callers that iterate (materialise)."""

from __future__ import annotations

import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from submissions import Finding
from submissions.codes import mixed_key
from submissions.finding import SEVERITY_RANK, cell_order, severity_for
from submissions.reading.tidy import cell_addresses

FIELDS = list(Finding.__dataclass_fields__)  # rule, category, severity, message, file, …
ROLE_LABELS = {"actual": "", "baseline": "（基期）", "target": "（目标）"}
DIRECTION_LABELS = {"increase": "应逐步提高", "decrease": "应逐步降低", "maintain": "应保持"}
MESSAGE_FIELD_LIMIT = 60  # cell text can be anything a user typed: messages stay readable


def empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({field: pd.Series(dtype=object) for field in FIELDS})
    frame["sort_row"] = frame["sort_col"] = pd.Series(dtype=np.int64)
    return frame


def texts(values: pd.Series) -> pd.Series:
    """Text where there is text; None for anything else (NaN, numbers, empty strings),
    decided once per distinct value."""
    return pd.Series(by_category(values, _text), index=values.index, dtype=object)


def addresses(values: pd.Series) -> pd.Series:
    """A column of cell addresses (the reader writes them: text or nothing), None for none."""
    array = values.to_numpy(dtype=object)
    return pd.Series(np.where(pd.isna(array), None, array), index=values.index, dtype=object)


def clipped(values: np.ndarray) -> np.ndarray:
    """Text longer than MESSAGE_FIELD_LIMIT cut to it, with an ellipsis (each distinct
    value looked at once)."""
    try:  # the usual case, all text and short: nothing to cut, found in one pass
        if max(map(len, values), default=0) <= MESSAGE_FIELD_LIMIT:
            return values
    except TypeError:  # not all text
        pass
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    limit = MESSAGE_FIELD_LIMIT
    long = [isinstance(v, str) and len(v) > limit for v in distinct]
    if not any(long):
        return values
    cut = np.array(
        [v[: limit - 1] + "…" if is_long else v for v, is_long in zip(distinct, long, strict=True)]
        + [None],
        dtype=object,
    )
    return np.where(codes >= 0, cut[codes], values)


def by_category(values: pd.Series, choose: Callable, missing: object = None) -> np.ndarray:
    """`choose(value)` for every value, decided once per distinct value (a categorical's
    categories, or those factorize finds); `missing` where there is none."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, distinct = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    chosen = np.empty(len(distinct) + 1, dtype=object)
    # as a list: a pandas str Index hands out its items one slow call at a time
    chosen[:-1] = [choose(value) for value in distinct.tolist()]
    chosen[-1] = missing
    return chosen[codes]


def rendered(template: str, fields: dict[str, np.ndarray], count: int) -> np.ndarray:
    """`template.format(**row)` for every row: the template turned once into a %-format of
    its literal pieces, then filled row by row in C (one new string per row; joining column
    by column made a new string per piece, and held two of them at the peak). `%s` writes a
    value as str.format does (None as "None")."""
    pattern, columns = [], []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        pattern.append(literal.replace("%", "%%"))
        if name is None:
            continue
        column = fields[name]
        if spec or conversion:  # not used by any rule today; correct, if slow, when it is
            column = np.array(
                [format(_convert(v, conversion), spec or "") for v in column], dtype=object
            )
        pattern.append("%s")
        columns.append(column)
    form = "".join(pattern)
    if not columns:
        return np.full(count, form % (), dtype=object)
    return np.array([form % row for row in zip(*columns, strict=True)], dtype=object)


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _convert(value, conversion):
    return {"r": repr, "s": str, "a": ascii}.get(conversion or "", lambda v: v)(value)


def severities(category: str, binding: pd.Series) -> pd.Categorical:
    """How bad each finding of a rule of `category` is, as submissions.finding.severity_for
    says for an expected (False) and a binding (True) indicator: decided twice, then taken
    for every row by its binding."""
    expected, binding_one = severity_for(category, False), severity_for(category, True)
    if expected == binding_one:
        return pd.Categorical.from_codes(np.zeros(len(binding), np.int8), [expected])
    binding_rows = binding.fillna(False).to_numpy(dtype=bool)
    return pd.Categorical.from_codes(np.where(binding_rows, 1, 0), [expected, binding_one])


# What rendering and the columnar describes (describe_all) read of a finding's row: where it
# is, whose and which year come from its skeleton. A rule without describe_all gets every
# column (its per-row describe may read any), on its few failing rows.
FINDING_COLUMNS = [
    "indicator_name", "label", "role", "direction", "note", "raw", "value", "high", "lower",
    "upper", "kind", "catalog_unit", "previous", "previous_year", "own_baseline",
]  # fmt: skip


def rule_skeleton(rule, table: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """What settling needs of a rule's findings, before any message is written: which rule,
    where (cell, related cell, sort position), how bad; `source_row` says which row of the
    table each came from, for rendering the ones that stay (render). Text with few distinct
    values stays categorical, as in the table: settling compares integer codes."""
    rows = table.loc[index, _skeleton_columns(rule, table)]
    cell, sort_row, sort_col = _place(rule, rows)
    constant = np.zeros(len(rows), dtype=np.int8)
    return pd.DataFrame(
        {
            "rule": pd.Categorical.from_codes(constant, [rule.code]),
            "category": pd.Categorical.from_codes(constant, [rule.category]),
            "severity": severities(rule.category, rows["binding"]),
            "message": None,
            "file": rows["file"],
            "district": coded_texts(rows["district"]),
            "sheet": rows["sheet"],
            "cell": cell,
            "indicator": coded_texts(rows["indicator"]),
            "year": _whole_years(rows["year"]),
            "related_cell": address_column(rows, rule.related_column)
            if rule.related_column
            else None,
            "sort_row": sort_row,
            "sort_col": sort_col,
            "source_row": index.to_numpy(),
        }
    ).reset_index(drop=True)


# Columns of a findings table kept as categoricals while it is settled.
CODED = ("rule", "category", "severity", "file", "district", "sheet", "indicator")


def coded_texts(values: pd.Series) -> pd.Series:
    """texts() for a column that may be categorical, kept categorical (its few categories
    looked at, not its rows)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return texts(values)
    keep = [c for c in values.cat.categories if isinstance(c, str) and c != ""]
    if len(keep) == len(values.cat.categories):  # nothing to drop: no recoding
        return values
    return values.cat.set_categories(keep)


def _whole_years(year: pd.Series) -> pd.Series:
    if isinstance(year.dtype, pd.Int64Dtype):
        return year
    return year.astype("Float64").round().astype("Int64")


def stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Findings tables one under the other, the CODED columns still categorical (pd.concat
    makes a column of categoricals with different categories a column of objects)."""
    frames = [frame for frame in frames if not frame.empty] or frames[:1]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    joined = pd.concat([frame.drop(columns=list(CODED)) for frame in frames], ignore_index=True)
    for column in CODED:
        parts = [
            frame[column].array
            if isinstance(frame[column].dtype, pd.CategoricalDtype)
            else pd.Categorical(frame[column].to_numpy(dtype=object))
            for frame in frames
        ]
        joined[column] = _united(parts)
    return joined[list(dict.fromkeys(c for frame in frames for c in frame.columns))]


def _united(parts: list) -> pd.Categorical:
    """Categoricals one after the other, over the union of their categories (whatever type
    each holds them as: union_categoricals insists they are the same)."""
    first = parts[0].categories
    if all(part.categories is first or part.categories.equals(first) for part in parts[1:]):
        return pd.Categorical.from_codes(np.concatenate([part.codes for part in parts]), first)
    categories = [part.categories.to_numpy(dtype=object) for part in parts]
    labels = pd.Index(pd.unique(np.concatenate(categories)), dtype=object)
    codes = [
        np.append(labels.get_indexer(own), -1)[part.codes]
        for part, own in zip(parts, categories, strict=True)
    ]
    return pd.Categorical.from_codes(np.concatenate(codes), labels)


# Cells a rule may point at that the table keeps as a column number on the value's row.
ADDRESS_OF = {"label_cell": "label_col", "unit_cell": "unit_col", "attribute_cell": "attribute_col"}


def _skeleton_columns(rule, table: pd.DataFrame) -> list[str]:
    wanted = ["file", "district", "sheet", "cell", "indicator", "year", "binding", "row", "col"]
    for extra in (rule.cell_column, rule.related_column):
        extra = ADDRESS_OF.get(extra, extra)
        if extra and extra in table.columns and extra not in wanted:
            wanted.append(extra)
    return wanted


def address_column(rows: pd.DataFrame, name: str) -> pd.Series | None:
    """The addresses of the cells `name` names for these rows (None: the table has none)."""
    if name in rows:
        return addresses(rows[name])
    if ADDRESS_OF.get(name) in rows:
        written = cell_addresses(rows["row"].to_numpy(), rows[ADDRESS_OF[name]].to_numpy())
        return pd.Series(written, index=rows.index, dtype=object)
    return None


def _place(rule, rows: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The cell a finding points at, and its (row, column) for ordering: the value cell's own,
    or the address of the row's label, unit or attribute cell."""
    if rule.cell_column == "cell":
        return addresses(rows["cell"]), rows["row"].to_numpy() + 1, rows["col"].to_numpy() + 1
    cell = address_column(rows, rule.cell_column)
    cell = rows["cell"] if cell is None else cell.where(cell.notna(), rows["cell"])
    sort_row, sort_col = _cell_positions(cell)
    return cell, sort_row, sort_col


# What Result.overview gives without writing messages.
OVERVIEW = ("rule", "category", "severity", "file", "district", "sheet", "cell", "indicator",
            "year")  # fmt: skip


@dataclass(frozen=True, eq=False)
class Renderer:
    """render() with one run's rules, enriched table, catalog and engines, over the run's
    settled findings in the order they are written (file by file): what a Result keeps to
    write its findings' messages when they are asked for. They are rendered BLOCK findings of
    the run at a time, the last block kept: a batch of 1,000 small files is rendered in one
    go (a render per file cost 50 ms each), a file with 386,000 findings a block at a time.
    A rule's details (a median over all districts, the partner of a relation) are worked out
    once, for every settled finding of that rule, and kept: some look at the whole table.

    Shared by every Result of a run, and so by whichever threads hold those results (the
    service hands the results of one batch to as many request threads): the kept block and
    details are read and replaced only under `_lock`. A block, once made, is never changed,
    so the slices handed out of it need no lock. The table, rules and settled findings are
    never written after construction."""

    rules: dict
    table: pd.DataFrame
    catalog: object
    engines: dict
    settled: pd.DataFrame | None = None  # every finding of the run, settled, as written
    _details: dict = field(default_factory=dict)
    _block: list = field(default_factory=list)  # [first row, rendered rows] of the last block
    # re-entrant: rendering a block under it asks for the rules' details, which take it too
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    BLOCK = 50_000

    def __call__(self, settled: pd.DataFrame) -> pd.DataFrame:
        return render(settled, self.rules, self.table, self.catalog, self.engines, self.details_of)

    def rows(self, first: int, stop: int) -> pd.DataFrame:
        """The findings at positions first … stop-1 of `settled`, rendered. A block starts at
        the first row asked for that the kept block lacks, so writers that share the work
        (a forked copy writing from the middle on) never render the same block twice."""
        assert self.settled is not None
        if stop <= first:
            return empty_frame()
        pieces = []
        stop = min(stop, len(self.settled))
        while first < stop:
            start, block = self._block_holding(first)
            pieces.append(block.iloc[first - start : stop - start])
            first = start + len(block)
        if not pieces:
            return empty_frame()
        if len(pieces) == 1:
            return pieces[0]
        return pd.concat(pieces, ignore_index=True)

    def _block_holding(self, first: int) -> tuple[int, pd.DataFrame]:
        """The kept block if it holds row `first`, else the block that starts there, made and
        kept in its place (one block's messages held at a time)."""
        with self._lock:
            if self._block:
                start, block = self._block
                if start <= first < start + len(block):
                    return start, block
            self._block.clear()  # before the next is made: one block's messages at a time
            assert self.settled is not None
            block = self(self.settled.iloc[first : first + self.BLOCK])
            self._block.extend((first, block))
            return first, block

    def names(self, settled: pd.DataFrame) -> np.ndarray:
        """The indicator_name of these settled findings, without writing their messages."""
        if "indicator_name" in settled:
            names = settled["indicator_name"].to_numpy(dtype=object).copy()
            names[pd.isna(names)] = None
        else:
            names = np.full(len(settled), None, dtype=object)
        from_rules = settled["source_row"].notna().to_numpy()
        if from_rules.any():
            source = settled["source_row"].to_numpy()[from_rules].astype(np.int64)
            written = indicator_names(self.table.loc[source, ["indicator_name", "label"]])
            names[from_rules] = np.where(written == "", NONE, written)
        return names

    def work_out_details(self) -> None:
        """Every rule's details now (processes forked after this inherit them)."""
        if self.settled is not None:
            for code in self.settled["rule"].astype(object).unique():
                if code in self.rules:
                    self.details_of(code)

    def details_of(self, code: str):
        """The rule's details for all its settled findings (None: work them out per slice)."""
        rule = self.rules[code]
        if rule.details is None or self.settled is None:
            return None
        with self._lock:
            if code not in self._details:
                mine = self.settled["source_row"][(self.settled["rule"] == code).to_numpy()]
                index = pd.Index(mine.dropna().astype(np.int64).to_numpy())
                self._details[code] = rule.details(self.table, self.catalog, index)
            return self._details[code]


def render(
    settled: pd.DataFrame,
    rules: dict,
    table: pd.DataFrame,
    catalog,
    engines: dict,
    details_of: Callable | None = None,
) -> pd.DataFrame:
    """The settled findings with every field: rows from a rule's skeleton get their RENDERED
    fields from their rule (only those that stayed), the others are as they came; where they
    are, which rule and how bad are the skeleton's. The settled order kept.
    `details_of(code)` may give a rule's details worked out before, for more rows."""
    if settled.empty or "source_row" not in settled or settled["source_row"].isna().all():
        done = settled.drop(columns=["source_row"], errors="ignore")
        missing = {field: None for field in FIELDS if field not in done.columns}
        return done.assign(**missing) if missing else done
    settled = settled.reset_index(drop=True)
    columns = {
        name: (
            settled[name].to_numpy(dtype=object).copy()
            if name in settled.columns
            else np.full(len(settled), None, dtype=object)
        )
        for name in RENDERED
    }
    from_rules = settled[settled["source_row"].notna().to_numpy()]
    for code, placed in from_rules.groupby("rule", sort=False, observed=True):
        known = details_of(code) if details_of is not None else None
        engine = engines.get(code, "pandera")
        done = rule_frame(rules[code], table, placed, catalog, engine, known)
        where = placed.index.to_numpy()
        for name in RENDERED:
            columns[name][where] = done[name]
    if "detail" not in settled.columns:  # only a file that could not be read has one
        columns["detail"] = np.full(len(settled), None, dtype=object)
    return settled.drop(columns=["source_row"]).assign(**columns)


# The fields of a finding its rule writes (the skeleton has the others).
RENDERED = ("message", "indicator_name", "value", "expected", "explanation", "engine")


def rule_frame(
    rule, table: pd.DataFrame, placed: pd.DataFrame, catalog, engine: str, details=None
) -> dict[str, np.ndarray]:
    """The RENDERED fields of one rule's findings: `placed` are their settled rows (where,
    whose, which year; `source_row` their row of the enriched table). `details`, if given,
    were worked out for these rows and maybe more."""
    index = pd.Index(placed["source_row"].astype(np.int64).to_numpy())
    if rule.describe_all is not None:
        rows = table.loc[index, [c for c in FINDING_COLUMNS if c in table.columns]]
    else:
        rows = table.loc[index]
    if details is None:
        details = rule.details(table, catalog, index) if rule.details else {}
    elif isinstance(details, dict):  # per-row details: this slice's
        details = {position: details[position] for position in index if position in details}
    extra = _details_frame(details, index)
    if rule.describe_all is not None:
        found, expected = rule.describe_all(rows, extra)
        found = pd.Series(found, index=index, dtype=object)
        expected = pd.Series(expected, index=index, dtype=object)
    else:  # a rule with few findings: its per-row describe
        found, expected = _described(rule.describe, rows, details)
    count = len(index)
    name = indicator_names(rows)
    fields: dict[str, np.ndarray] = {
        "name": name,
        "year": _years(placed["year"]),
        "role_label": by_category(rows["role"], lambda v: ROLE_LABELS.get(v, ""), ""),
        "district": by_category(placed["district"], lambda v: v, ""),
        "direction_label": by_category(
            rows["direction"], lambda v: DIRECTION_LABELS.get(v, ""), ""
        ),
        "found": pd.Series(found, index=index, dtype=object).to_numpy(),
        "expected": pd.Series(expected, index=index, dtype=object).to_numpy(),
    }
    blank = np.full(count, "", dtype=object)
    fields.update(hint=blank, reason=blank, first_cell=blank)
    for name_of_detail in extra.columns:  # a row without a detail reads as blank (hint …)
        detail = extra[name_of_detail].to_numpy(dtype=object)
        fields[name_of_detail] = np.where(pd.isna(detail), "", detail)
    template = "工作表“{the sheet}”{the cell}：" + rule.template
    used = {key: clipped(fields[key]) for key in template_fields(rule.template)}
    used["the sheet"] = clipped(by_category(placed["sheet"], lambda v: v))
    used["the cell"] = placed["cell"].to_numpy(dtype=object)
    raw = rows["raw"].to_numpy(dtype=object)
    missing_raw = _none(raw)
    if pd.api.types.infer_dtype(raw[~missing_raw], skipna=False) not in ("string", "empty"):
        raw = np.where(missing_raw, None, raw.astype(str).astype(object))
    return {
        "message": rendered(template, used, count),
        "indicator_name": np.where(name == "", NONE, name),
        "value": raw,
        "expected": fields["expected"],
        "explanation": by_category(rows["note"], _explanation),
        "engine": np.full(count, engine, dtype=object),
    }


NONE = np.array(None, dtype=object)


def indicator_names(rows: pd.DataFrame) -> np.ndarray:
    """The indicator's name as a finding on these rows of the table writes it: the catalog's,
    else the label as written, "" for neither."""
    name = by_category(rows["indicator_name"], _text)
    return np.where(_none(name), by_category(rows["label"], _text_or_blank, ""), name)


def _none(values: np.ndarray) -> np.ndarray:
    return np.equal(values, NONE).astype(bool)


def _text(value) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _text_or_blank(value) -> str:
    return value if isinstance(value, str) else ""


def _explanation(note) -> str | None:
    return note if isinstance(note, str) and note.strip() != "" else None


def _years(year: pd.Series) -> np.ndarray:
    """A year as its digits, "" where there is none (each distinct year written once)."""
    codes, distinct = pd.factorize(year, use_na_sentinel=True)
    written = np.array([*(str(int(y)) for y in distinct), ""], dtype=object)
    return written[codes]


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
    integer codes: categories for text, (row, column) for a cell (hashing 500,000 text keys
    cost a second); the table taken once."""
    if frame.empty:
        return frame
    level = _mapped(frame["rule"], level_of, 0)
    file, sheet = _codes(frame["file"]), _codes(frame["sheet"])
    sort_row, sort_col = frame["sort_row"].to_numpy(), frame["sort_col"].to_numpy()
    cell = _cell_keys(sort_row, sort_col)
    related = np.full(len(frame), -1, dtype=np.int64)
    has_related = frame["related_cell"].notna().to_numpy()
    if has_related.any():
        related[has_related] = _cell_keys(*_cell_positions(frame["related_cell"][has_related]))
    width_sheet, width_cell = int(sheet.max()) + 2, int(max(cell.max(), related.max())) + 2
    place = ((file + 1) * width_sheet + (sheet + 1)) * width_cell
    here, depends_on = place + cell + 1, place + related + 1
    broken = here[(cell >= 0) & (level <= 2)]
    doubtful = np.concatenate([broken, here[_mapped(frame["category"], {"outlier": True}, False)]])
    # hashed (pandas' isin): the keys span too wide a range for numpy's table method
    follow_on = (level >= 3) & (
        pd.Series(here).isin(broken).to_numpy() | pd.Series(depends_on).isin(doubtful).to_numpy()
    )
    kept = np.flatnonzero(~follow_on)
    # np.lexsort sorts by its last key first, and is stable: ties keep the order found
    keys = [
        _codes(frame["rule"], ordered=True)[kept],
        sort_col[kept],
        sort_row[kept],
        _codes(frame["sheet"], ordered=True)[kept],
        _codes(frame["file"], ordered=True)[kept],
        _mapped(frame["severity"], SEVERITY_RANK, 0)[kept],
    ]
    ordered = kept[np.lexsort(keys)]
    without_cell = ordered[cell[ordered] < 0]  # told apart by year and message instead
    same = mixed_key(
        [
            *(_codes(frame[column])[ordered] for column in ("rule", "indicator", "district")),
            file[ordered],
            sheet[ordered],
            cell[ordered],
            _codes_where(frame["year"], ordered, without_cell),
            _codes_where(frame["message"], ordered, without_cell),
        ]
    )
    first = pd.Series(same).duplicated().to_numpy()
    return frame.take(ordered[~first]).reset_index(drop=True)


def by_file(settled: pd.DataFrame, files: list) -> tuple[pd.DataFrame, dict]:
    """The settled findings file by file, in the order of `files` (each file's in their
    settled order), and where each file's are: file → (first, stop). Findings of a file not
    in `files` go last, in no file's range."""
    order = {file: position for position, file in enumerate(dict.fromkeys(files))}
    if settled.empty:
        return settled, {}
    rank = _mapped(settled["file"], order, len(order))
    moved = np.argsort(rank, kind="stable")
    ranked = rank[moved]
    starts = np.searchsorted(ranked, np.arange(len(order)), side="left")
    stops = np.searchsorted(ranked, np.arange(len(order)), side="right")
    places = {
        file: (int(starts[position]), int(stops[position])) for file, position in order.items()
    }
    return settled.take(moved).reset_index(drop=True), places


def _mapped(values: pd.Series, mapping: dict, default) -> np.ndarray:
    """mapping[value] for every row (default where absent): each category looked up once."""
    coded = (
        values.array
        if isinstance(values.dtype, pd.CategoricalDtype)
        else pd.Categorical(values.to_numpy(dtype=object))
    )
    looked_up = [mapping.get(c, default) for c in coded.categories] + [default]
    return np.asarray(looked_up)[coded.codes]


def _codes_where(values: pd.Series, rows: np.ndarray, where: np.ndarray) -> np.ndarray:
    """For each of `rows`: a code of its value if it is one of `where`, else -2."""
    codes = np.full(len(values), -2, dtype=np.int64)
    codes[where] = _codes(values.iloc[where])
    return codes[rows]


def _cell_keys(row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """One integer per cell position (-1 for none): Excel has 16,384 columns."""
    return np.where(row >= NO_ROW, -1, row * 16_385 + col).astype(np.int64)


def _codes(values: pd.Series, ordered: bool = False) -> np.ndarray:
    """An integer per distinct value (-1 for none); in the values' sort order if `ordered`
    (None and "" first, as Finding.sort_key puts them)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        if not ordered:
            return codes
        # the categories and "" (for none, taken by code -1) ranked in sort order
        labels = np.concatenate([values.cat.categories.to_numpy(dtype=object), [""]])
        ranks, _uniques = pd.factorize(labels, sort=True)
        return ranks.astype(np.int64)[codes]
    array = values.to_numpy(dtype=object)
    if ordered:
        array = np.where(pd.isna(array), "", array)
    codes, _uniques = pd.factorize(array, sort=ordered, use_na_sentinel=True)
    return codes.astype(np.int64)


NO_ROW = 10**9  # the sort row of a finding without a cell: after every cell
ADDRESS_WIDTH = 16  # the longest cell address read column-wise (XFD1048576 is 10)


def _cell_positions(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of A1 addresses as Finding.sort_key orders them (the letters of the
    text give the column, its digits the row); no cell sorts last. Read a character column
    at a time over the addresses as fixed-width text, not address by address."""
    array = cells.to_numpy(dtype=object)
    missing = pd.isna(array)
    text = np.where(missing, "", array)
    lengths = np.fromiter(map(len, map(str, text)), np.int64, len(text))
    row = np.zeros(len(text), dtype=np.int64)
    col = np.zeros(len(text), dtype=np.int64)
    short = lengths <= ADDRESS_WIDTH
    if short.any():
        chars = text[short].astype(f"U{max(int(lengths[short].max()), 1)}")
        grid = chars.view(np.uint32).reshape(len(chars), -1).astype(np.int64)
        short_row = np.zeros(len(chars), dtype=np.int64)
        short_col = np.zeros(len(chars), dtype=np.int64)
        for char in grid.T:
            upper = char & ~32
            letter = (upper >= 65) & (upper <= 90)
            digit = (char >= 48) & (char <= 57)
            short_col = np.where(letter, np.minimum(short_col * 26 + upper - 64, NO_ROW), short_col)
            short_row = np.where(digit, np.minimum(short_row * 10 + char - 48, NO_ROW), short_row)
        row[short], col[short] = short_row, short_col
    for position in np.flatnonzero(~short).tolist():  # not an address: as the key orders it
        row[position], col[position] = (
            min(part, NO_ROW) for part in cell_order(str(text[position]))
        )
    row = np.where(missing, NO_ROW, row)
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
