"""The catalog as a Great Expectations 1.x suite over the tidy table, and GX as a second engine.

GX is imported only inside these functions: importing it costs about 2.5 s and 200 MB, and the
default (pandera) path never pays that.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pandas as pd

from indicators import Catalog, LoadedCatalog, format_number

SUITES = Path(__file__).resolve().parent / "suites"

# The cell-level rules a GX expectation on the tidy table expresses exactly. The rest need a
# district's other rows (trends, relations across rows of a long table, duplicates) or the
# catalog's reference level (a percent typed as a fraction) and stay with pandera; whole
# numbers have no GX expectation for float columns.
GX_RULES = (
    "value.required",
    "value.number",
    "value.negative",
    "value.max",
    "unit.mismatch",
    "indicator.unknown",
    "attribute.mismatch",
)
ATTRIBUTE_TEXTS = {
    "binding": ["约束性", "约束", "约束性指标", "binding"],
    "expected": ["预期性", "预期", "预期性指标", "expected"],
}


def _quoted(values) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def expectation_specs(catalog: Catalog) -> list[tuple[str, dict, dict]]:
    """(expectation type, kwargs, meta) for every expectation of the catalog's suite."""
    specs: list[tuple[str, dict, dict]] = []
    codes = [i.code for i in catalog.indicators]

    def add(kind: str, rule: str, note: str, **kwargs) -> None:
        if "row_condition" in kwargs:
            kwargs["condition_parser"] = "pandas"
        specs.append((kind, kwargs, {"rule": rule, "notes": note}))

    add("expect_column_values_to_not_be_null", "indicator.unknown", "指标名称在指标体系中",
        column="indicator")  # fmt: skip
    add("expect_column_values_to_be_null", "value.number", "数值格必须是数字", column="reason",
        row_condition=f"indicator in {_quoted(codes)}")  # fmt: skip
    by_target_year: dict[int, list[str]] = {}
    for ind in catalog.indicators:
        if ind.required and ind.target is not None:
            by_target_year.setdefault(ind.target.year, []).append(ind.code)
    for year, group in sorted(by_target_year.items()):
        add(
            "expect_column_values_to_be_in_set",
            "value.required",
            f"必填数值格不能为空（目标年 {year}）",
            column="empty",
            value_set=[False],
            row_condition=(
                f'indicator in {_quoted(group)} and (role in ["baseline", "actual"] or '
                f'(role == "target" and (year == {year} or '
                f'(header_marker == "target" and year.isna()))))'
            ),
        )
    by_lower: dict[float, list[str]] = {}
    by_upper: dict[float, list[str]] = {}
    for ind in catalog.indicators:
        if ind.lower_bound is not None:
            by_lower.setdefault(ind.lower_bound, []).append(ind.code)
        if ind.upper_bound is not None:
            by_upper.setdefault(ind.upper_bound, []).append(ind.code)
    for lower, group in sorted(by_lower.items()):
        add("expect_column_values_to_be_between", "value.negative",
            f"数值不小于 {format_number(lower)}", column="value", min_value=lower,
            row_condition=f"indicator in {_quoted(group)}")  # fmt: skip
    for upper, group in sorted(by_upper.items()):
        for column in ("value", "high"):
            add("expect_column_values_to_be_between", "value.max",
                f"数值不超过 {format_number(upper)}", column=column, max_value=upper,
                row_condition=f"indicator in {_quoted(group)}")  # fmt: skip
    add("expect_column_values_to_be_in_set", "unit.mismatch", "单位能换算到指标体系的单位",
        column="unit_ok", value_set=[True],
        row_condition=f"indicator in {_quoted(codes)}")  # fmt: skip
    for attribute, texts in ATTRIBUTE_TEXTS.items():
        group = [i.code for i in catalog.indicators if i.attribute == attribute]
        if group:
            add("expect_column_values_to_be_in_set", "attribute.mismatch",
                f"指标属性为{texts[0]}", column="attribute_written", value_set=texts,
                row_condition=f"indicator in {_quoted(group)}")  # fmt: skip
    add("expect_column_values_to_be_in_set", "district.known", "区县在报送单位名单中",
        column="district", value_set=list(catalog.reporting_units.all))  # fmt: skip
    return specs


def suite_document(loaded: LoadedCatalog) -> dict:
    """The suite as GX 1.x serialises it; loads with great_expectations.ExpectationSuite(**doc)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.expectations as gxe

    gx.get_context(mode="ephemeral")  # GX 1.x builds suites only inside an active context
    suite = gx.ExpectationSuite(
        name=f"{loaded.catalog.id}_tidy",
        meta={
            "catalog": loaded.catalog.id,
            "catalog_version": loaded.version,
            "notes": "在 validate.py 的整理后表格（tidy table，列见 README）上运行",
        },
    )
    with warnings.catch_warnings():
        # String row conditions are deprecated from GX 1.9 in favour of Condition objects but
        # stay supported through 1.x (pinned below 2); they are also what the JSON carries.
        warnings.simplefilter("ignore", DeprecationWarning)
        for kind, kwargs, meta in expectation_specs(loaded.catalog):
            cls = getattr(gxe, "".join(part.capitalize() for part in kind.split("_")))
            suite.add_expectation(cls(**kwargs, meta=meta))
    document = suite.to_json_dict()
    document.pop("id", None)
    return document


def suite_path(catalog_id: str) -> Path:
    return SUITES / f"{catalog_id}.json"


def write_suite(loaded: LoadedCatalog, path: Path | None = None) -> Path:
    path = path or suite_path(loaded.catalog.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(suite_document(loaded), ensure_ascii=False, indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def gx_failing_rows(table: pd.DataFrame, loaded: LoadedCatalog) -> dict[str, pd.Index]:
    """rule code → failing row index, as Great Expectations finds them on the tidy table."""
    if table.empty:
        return {}
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    document = suite_document(loaded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        suite = gx.ExpectationSuite(**document)
    source = context.data_sources.add_pandas("tidy")
    batch = (
        source.add_dataframe_asset("submissions")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": _gx_frame(table)})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failing: dict[str, list] = {}
    for outcome in result.results:
        rule = outcome.expectation_config.meta.get("rule")
        if rule not in GX_RULES or outcome.success:
            continue
        failing.setdefault(rule, []).extend(outcome.result.get("unexpected_index_list") or [])
    return {rule: pd.Index(sorted(set(index))) for rule, index in failing.items()}


def _gx_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The tidy columns, as a user's pipeline would hold them (text as objects, None missing)."""
    from submissions import TIDY_COLUMNS

    frame = table[TIDY_COLUMNS].copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def build_data_docs(loaded: LoadedCatalog, table: pd.DataFrame, folder: Path) -> Path:
    """GX's own Data Docs for teams that want them (they load styles and scripts from CDNs)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    folder = folder.resolve()
    context = gx.get_context(mode="file", project_root_dir=str(folder))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    suite = context.suites.add_or_update(gx.ExpectationSuite(**suite_document(loaded)))
    source = context.data_sources.add_or_update_pandas("tidy")
    asset = next((a for a in source.assets if a.name == "submissions"), None) or (
        source.add_dataframe_asset("submissions")
    )
    definition = next((b for b in asset.batch_definitions if b.name == "all"), None) or (
        asset.add_batch_definition_whole_dataframe("all")
    )
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{loaded.catalog.id}_tidy", data=definition, suite=suite)
    )
    validation.run(batch_parameters={"dataframe": _gx_frame(table)})
    context.build_data_docs()
    found = sorted(folder.rglob("data_docs/local_site/index.html"))
    return found[0] if found else folder
