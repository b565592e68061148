"""What must be reported: catalogs of indicators and the parser of Chinese numeric notation."""

from indicators.catalog import (
    CatalogError,
    LintProblem,
    LoadedCatalog,
    catalog_ids,
    lint,
    lint_catalog,
    load,
)
from indicators.model import Catalog, Indicator, fold_name, fold_text, split_unit
from indicators.notation import Reading, format_number, parse

__all__ = [
    "Catalog",
    "CatalogError",
    "Indicator",
    "LintProblem",
    "LoadedCatalog",
    "Reading",
    "catalog_ids",
    "fold_name",
    "fold_text",
    "format_number",
    "lint",
    "lint_catalog",
    "load",
    "parse",
    "split_unit",
]
