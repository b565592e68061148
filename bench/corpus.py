"""Builds the benchmark inputs under out/bench: a 375,000-row workbook and 1,000 district files."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators import load  # noqa: E402
from submissions.template import write_template  # noqa: E402
from tests.samples import plausible_values  # noqa: E402

OUT = ROOT / "out" / "bench"


def long_workbook(
    districts: int = 3000,
    path: Path | None = None,
    percent_cell: bool = False,
    random_values: bool = False,
) -> Path:
    """districts × 25 indicators × 5 years, one value per row (openpyxl write-only mode).
    percent_cell: the first percent value is 0.62 in a cell formatted 0%, as Excel shows 62%.
    random_values: every value drawn at random (0–1000 with decimals, one in twenty negative):
    a file with findings on most of its rows, as a shifted column or a foreign export gives."""
    import random

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    chance = random.Random(20261129)
    suffix = ("-percent" if percent_cell else "") + ("-random" if random_values else "")
    path = path or OUT / f"long-{districts}{suffix}.xlsx"
    if path.exists():
        return path
    catalog = load("yantai").catalog
    values = plausible_values(catalog, 2024)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("数据")
    sheet.append(["区县", "年份", "指标", "数值", "单位"])
    names = {
        code: (catalog.indicator(code).name, catalog.indicator(code).unit or "") for code in values
    }
    for number in range(districts):
        district = f"第{number + 1:04d}区"
        for code, by_year in values.items():
            name, unit = names[code]
            for year, value in by_year.items():
                if random_values:
                    sign = -1 if chance.random() < 0.05 else 1
                    value = round(chance.uniform(0, 1000), 2) * sign
                if percent_cell and unit == "%":
                    value = WriteOnlyCell(sheet, 0.62)
                    value.number_format = "0%"
                    percent_cell = False
                sheet.append([district, year, name, value, unit])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def long_csv(rows: int = 1_000_000, path: Path | None = None) -> Path:
    """A long export (区县,年份,指标,数值,单位) of `rows` rows, one value in a hundred wrong
    (text, negative, a percent over 100): 8,000 districts × 25 indicators × 5 years."""
    import random

    path = path or OUT / f"long-{rows}.csv"
    if path.exists():
        return path
    chance = random.Random(20261129)
    catalog = load("yantai").catalog
    values = plausible_values(catalog, 2024)
    per_district = sum(len(by_year) for by_year in values.values())
    lines = ["区县,年份,指标,数值,单位"]
    for number in range(rows // per_district + 1):
        for code, by_year in values.items():
            indicator = catalog.indicator(code)
            for year, value in by_year.items():
                if chance.random() < 0.01:
                    value = chance.choice(["待统计", -5, 130, "—"])
                lines.append(
                    f"第{number + 1:05d}区,{year},{indicator.name},{value},{indicator.unit or ''}"
                )
                if len(lines) > rows:
                    break
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")
    return path


def district_files(count: int = 1000, folder: Path | None = None) -> Path:
    """`count` wide-layout district workbooks of the 25 Yantai table indicators."""
    folder = folder or OUT / f"inbox-{count}"
    if folder.is_dir() and len(list(folder.glob("*.xlsx"))) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    loaded = load("yantai")
    catalog = loaded.catalog.model_copy(
        update={"indicators": tuple(i for i in loaded.catalog.indicators if i.required)}
    )
    first = folder / "district-0000.xlsx"
    units = catalog.reporting_units.required
    write_template(first, catalog, units[0], 2023, plausible_values(catalog, 2023))
    content = first.read_bytes()
    for number in range(1, count):
        (folder / f"district-{number:04d}.xlsx").write_bytes(content)
    return folder


if __name__ == "__main__":
    print(long_workbook())
    print(district_files())
