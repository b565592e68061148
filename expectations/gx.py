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

from expectations.rules import ROW_RULES
from indicators import Catalog, LoadedCatalog

SUITES = Path(__file__).resolve().parent / "suites"

# The rules that declare their condition as Expect (expectations/rules/base.py); GX runs
# exactly those declarations. The rest need a district's other rows (trends, relations,
# duplicates), the catalog's reference level (a percent typed as a fraction) or whole-number
# arithmetic, which no GX expectation on the tidy table expresses, and stay with pandera.
GX_RULES = tuple(code for code, rule in ROW_RULES.items() if rule.expects is not None)
GX_TYPES = {
    "not_null": "expect_column_values_to_not_be_null",
    "null": "expect_column_values_to_be_null",
    "in_set": "expect_column_values_to_be_in_set",
    "between": "expect_column_values_to_be_between",
}


def expectation_specs(catalog: Catalog) -> list[tuple[str, dict, dict]]:
    """(expectation type, kwargs, meta) for every expectation of the catalog's suite: each
    rule's Expect declarations, translated."""
    specs: list[tuple[str, dict, dict]] = []
    for code in GX_RULES:
        for expect in ROW_RULES[code].declared(catalog):
            kwargs: dict = {"column": expect.column}
            if expect.kind == "in_set":
                kwargs["value_set"] = list(expect.value_set)
            if expect.min_value is not None:
                kwargs["min_value"] = expect.min_value
            if expect.max_value is not None:
                kwargs["max_value"] = expect.max_value
            if expect.where is not None:
                kwargs["row_condition"] = expect.where
                kwargs["condition_parser"] = "pandas"
            specs.append((GX_TYPES[expect.kind], kwargs, {"rule": code, "notes": expect.note}))
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
        config = outcome.expectation_config
        rule = config.meta.get("rule") if config is not None else None
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
