"""Regenerates the bundled example submissions: `python submissions/examples/make_examples.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from indicators import load  # noqa: E402
from submissions.template import template_cell, write_template  # noqa: E402
from tests.samples import plausible_values  # noqa: E402


def filled(
    path: Path, cid: str, district: str, year: int, changes=None, notes=None, values=None
) -> None:
    catalog = load(cid).catalog
    values = plausible_values(catalog, year) if values is None else values
    write_template(path, catalog, district, year, values, notes)
    if changes:
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["指标填报"]
        for (code, value_year), value in changes.items():
            sheet[template_cell(catalog, year, code, value_year)] = value
        workbook.save(path)


def yantai(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    filled(folder / "芝罘区-2023.xlsx", "yantai", "芝罘区", 2023)
    filled(
        folder / "福山区-2023.xlsx",
        "yantai",
        "福山区",
        2023,
        changes={
            ("nursing_bed_share", 2023): 0.62,  # a percent typed as a fraction
            ("childcare_places", 2023): "待统计",  # text where a number belongs
            ("institution_beds", 2022): 37270,  # a tenfold slip
            ("newborn_visit_rate", 2023): 125,  # a percent over 100
            ("inclusive_childcare_places", 2022): 2000,  # more 普惠托位 than 托位
        },
    )
    filled(
        folder / "牟平区-2023.xlsx",
        "yantai",
        "牟平区",
        2023,
        changes={
            ("places_per_1000_people", 2025): 4.0,  # a binding rate below the city's 4.6
            ("pension_insurance_coverage", 2023): 95.0,  # a decline, explained in 备注
            ("institution_beds", 2025): 3000,  # a target below the baseline
        },
        notes={"pension_insurance_coverage": "2023年参保统计口径调整，数值下降"},
    )
    catalog = load("yantai").catalog
    # Long layout, as exported by a statistics system: CSV in GB18030.
    lines = ["区县,年份,指标,数值,单位"]
    for code, by_year in plausible_values(catalog, 2023).items():
        indicator = catalog.indicator(code)
        for value_year, value in by_year.items():
            lines.append(f"莱山区,{value_year},{indicator.name},{value},{indicator.unit or ''}")
    lines.append("莱山区,2023,养老护理员数量,120,人")  # not in the catalog
    (folder / "莱山区-2023.csv").write_bytes("\n".join(lines).encode("gb18030"))
    (folder / "龙口市-2023.xlsx").write_bytes(b"PK\x03\x04 this upload was cut off in transit")


def yantai_final(folder: Path) -> None:
    """2025 actuals, reported at the end of the plan period (终期评估): most districts on
    target, some short on binding indicators, one value wrong, one district silent."""
    folder.mkdir(parents=True, exist_ok=True)
    shortfalls: dict[str, dict[tuple[str, int], object]] = {
        "福山区": {("nursing_bed_share", 2025): 64, ("vaccination_rate", 2025): 93.5},
        "牟平区": {("places_per_1000_people", 2025): 3.9},
        "莱州市": {("newborn_visit_rate", 2025): 125},  # a percent over 100: 数据有误
        "招远市": {("childcare_places", 2025): 2100},
        "莱阳市": {("pension_insurance_coverage", 2025): "待统计"},  # not a number: 数据有误
    }
    catalog = load("yantai").catalog
    for district in catalog.reporting_units.required:
        if district == "海阳市":
            continue  # has not reported
        changes = shortfalls.get(district, {})
        values = with_rate_parts(plausible_values(catalog, 2025), changes)
        filled(folder / f"{district}-2025.xlsx", "yantai", district, 2025, changes, values=values)


def with_rate_parts(values: dict, changes: dict) -> dict:
    """The figures the city's rates are composed of (选填: 护理型床位数, 常住人口), agreeing with
    the district's rates, its shortfalls included, so the city's own rate can be worked out."""

    def rate(code: str, year: int) -> float:
        changed = changes.get((code, year))
        return changed if isinstance(changed, int | float) else float(values[code][year])

    beds = values["institution_beds"]
    values["nursing_beds"] = {
        y: round(float(beds[y]) * rate("nursing_bed_share", y) / 100)
        for y in beds
        if y in values["nursing_bed_share"]
    }
    places = values["childcare_places"]
    values["resident_population"] = {
        y: round(float(places[y]) * 1000 / rate("places_per_1000_people", y))
        for y in places
        if y in values["places_per_1000_people"]
    }
    return values


def liuzhou(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    filled(folder / "城中区-2023.xlsx", "liuzhou", "城中区", 2023)
    filled(
        folder / "鱼峰区-2023.xlsx",
        "liuzhou",
        "鱼峰区",
        2023,
        changes={
            ("elderly_beds_total", 2023): 260000,  # a tenfold slip
            ("nursing_bed_share", 2023): "55%以上",
            ("childcare_places", 2023): 1500.5,  # a count that is not whole
        },
    )


if __name__ == "__main__":
    yantai(HERE / "yantai")
    yantai_final(HERE / "yantai-2025")
    liuzhou(HERE / "liuzhou")
    print(f"examples written under {HERE}")
