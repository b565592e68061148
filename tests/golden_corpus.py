"""Messy files for the golden comparison of findings: every layout, several catalogs, many
problems at once, all generated from fixed seeds so that the same files come out each time."""

from __future__ import annotations

import random
from pathlib import Path

from indicators import load
from tests.conftest import cell_of, district_file
from tests.samples import plausible_values
from tests.test_gx import _messy_corpus
from tests.test_targets import _clerk_rows, _xlsx

GOLDEN = Path(__file__).resolve().parent / "golden" / "findings.json"


def golden_corpus(folder: Path) -> dict[str, list[Path]]:
    """catalog id → files, each list validated together as one batch."""
    yantai, liuzhou = load("yantai"), load("liuzhou")
    corpus: dict[str, list[Path]] = {"yantai": _messy_corpus(folder / "yantai", yantai)}
    # two periods of one district, one 2022 value changed without a note: a revision
    periods = folder / "periods"
    periods.mkdir()
    changed = {cell_of(yantai.catalog, 2024, "institution_beds", 2022): 3800}
    corpus["yantai"] += [
        district_file(periods, yantai, district="芝罘区", year=2023),
        district_file(periods, yantai, district="芝罘区", year=2024, changes=changed),
    ]
    for cid, seed in (("lanzhou", 1), ("panzhihua", 2)):
        loaded = load(cid)
        chance = random.Random(seed)
        codes = [i.code for i in loaded.catalog.indicators if i.required]
        year = 2022 if cid == "panzhihua" else 2023
        changes = {
            (chance.choice(codes), chance.choice([2021, 2022, year])): chance.choice(
                [None, "—", "待统计", -1, 130, 1.5, "0.62", "3万", "约95%"]
            )
            for _ in range(12)
        }
        path = folder / f"{cid}.xlsx"
        corpus[cid] = [
            _xlsx(
                path,
                _clerk_rows(
                    loaded.catalog, loaded.catalog.reporting_units.required[0], year, changes
                ),
            )
        ]
    # a long export with random values: most rows have a problem
    chance = random.Random(3)
    values = plausible_values(liuzhou.catalog, 2023)
    lines = ["区县,年份,指标,数值,单位"]
    for district in liuzhou.catalog.reporting_units.required:
        for code, by_year in values.items():
            indicator = liuzhou.catalog.indicator(code)
            for value_year in by_year:
                value = round(chance.uniform(-50, 1000), chance.choice([0, 1, 2]))
                shown = chance.choice([value, value, value, "待统计", "", "1.2万"])
                lines.append(
                    f"{district},{value_year},{indicator.name},{shown},{indicator.unit or ''}"
                )
    long_csv = folder / "liuzhou-long.csv"
    long_csv.write_bytes("\n".join(lines).encode("gb18030"))
    corpus["liuzhou"] = [long_csv]
    return corpus


def findings_of(outcome) -> list[list]:
    """Every finding as (file name, sheet, cell, rule, category, severity, message)."""
    rows = []
    for result in outcome.results:
        for f in result.findings:
            rows.append([Path(f.file or result.submission.file).name, f.sheet, f.cell, f.rule,
                         f.category, f.severity, f.message])  # fmt: skip
    for f in outcome.batch_findings:
        rows.append(["", f.sheet, f.cell, f.rule, f.category, f.severity, f.message])
    return sorted(rows, key=lambda row: [str(part) for part in row])
