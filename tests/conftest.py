"""Shared fixtures: catalogs, and district workbooks built the way districts fill them in."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from expectations import validate
from indicators import load
from submissions import read_submission
from submissions.samples import plausible_values
from submissions.template import template_cell, write_template

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def yantai():
    return load("yantai")


def cell_of(catalog, report_year: int, code: str, value_year: int | None = None) -> str:
    return template_cell(catalog, report_year, code, value_year)


def district_file(
    folder: Path,
    loaded,
    *,
    district: str | None = None,
    year: int = 2023,
    changes: dict[str, object] | None = None,
    notes: dict[str, str] | None = None,
    name: str | None = None,
    share: float | None = None,
) -> Path:
    """A plausible district workbook in the template layout, with some cells changed."""
    catalog = loaded.catalog
    district = district or catalog.reporting_units.required[0]
    path = folder / (name or f"{district}-{year}.xlsx")
    write_template(path, catalog, district, year, plausible_values(catalog, year, share), notes)
    if changes:
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["指标填报"]
        for address, value in changes.items():
            sheet[address] = value
        workbook.save(path)
    return path


def run(paths, loaded, **kwargs):
    submissions = [read_submission(p, loaded.catalog, **kwargs) for p in paths]
    return validate(submissions, loaded)


def pairs(outcome, severity: str | None = None) -> list[tuple[str | None, str]]:
    """(cell, category) of every finding, the way the rules are asserted."""
    found = []
    for result in outcome.results:
        for finding in result.findings:
            if severity is None or finding.severity == severity:
                found.append((finding.cell, finding.category))
    return found


def rules_hit(outcome) -> list[tuple[str | None, str]]:
    return [(f.cell, f.rule) for r in outcome.results for f in r.findings]
