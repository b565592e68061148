"""Workbooks a city compiles: districts as columns (with 合计, with two header rows), districts
as rows, one district's years as rows; clean and with defects, as .xlsx, .xls and CSV, in two
catalogs. Findings are compared as (cell, category); a clean file has none."""

import csv
import json

import openpyxl
import pytest
import xlwt

from expectations import validate
from indicators import load
from submissions import read_submissions
from tests.samples import plausible_values
from tests.test_cli import cli

YEAR = 2023


def required(catalog):
    return [i for i in catalog.indicators if i.required]


def summary(cid: str, defects: bool = False) -> list[list]:
    """Indicators down the side, one column per district and a 合计 column."""
    catalog = load(cid).catalog
    units = list(catalog.reporting_units.required)
    values = plausible_values(catalog, YEAR)
    rows = [[f"{catalog.jurisdiction}{YEAR}年“一老一小”指标汇总表"],
            ["序号", "指标", "单位", *units, "合计"]]  # fmt: skip
    for number, indicator in enumerate(required(catalog), 1):
        cells = [values[indicator.code][YEAR]] * len(units)
        rows.append(
            [number, indicator.name, indicator.unit or "", *cells, _total(indicator, cells)]
        )
    if defects:
        _spoil_summary(rows, catalog)
    return rows


def _total(indicator, cells):
    if not indicator.sums_across_districts:
        return None
    return sum(c for c in cells if isinstance(c, int | float))


def _spoil_summary(rows: list[list], catalog) -> None:
    """A percent over 100 (福山区), text in a number cell (牟平区), 普惠 more than all (芝罘区),
    a 合计 off by 1000, and a district that is not the catalog's (东城区) before the 合计."""
    names = [r[1] if len(r) > 1 else None for r in rows]
    codes = {i.name: i.code for i in catalog.indicators}
    header = rows[1]
    for row, name in zip(rows[2:], names[2:], strict=True):
        code = codes.get(name)
        if code in PERCENT:
            row[4] = 125
        if code in COUNT:
            row[5] = "待统计"
        if code in PART:
            row[-1] = (row[-1] or 0) + 99999 - row[3]  # the 合计 still adds up
            row[3] = 99999
        if code in TOTALLED:
            row[-1] = (row[-1] or 0) + 1000
        row.insert(len(row) - 1, row[3])
    header.insert(len(header) - 1, "东城区")


PERCENT = ("nursing_bed_share",)
COUNT = ("institution_beds", "elderly_beds_total")
PART = ("inclusive_childcare_places", "inclusive_childcare_slots")
TOTALLED = ("childcare_places", "childcare_places_total")


def district_rows(cid: str, defects: bool = False) -> list[list]:
    """Districts down the side, indicators across, one year; a 合计 row at the bottom."""
    catalog = load(cid).catalog
    units = list(catalog.reporting_units.required)
    values = plausible_values(catalog, YEAR)
    indicators = required(catalog)
    headings = [f"{i.name}（{i.unit}）" if i.unit else i.name for i in indicators]
    rows = [[f"{catalog.jurisdiction}{YEAR}年各区县“一老一小”指标"], ["区县", *headings]]
    for unit in units:
        rows.append([unit, *(values[i.code][YEAR] for i in indicators)])
    totals = ["合计"]
    for position, indicator in enumerate(indicators, 1):
        column = [row[position] for row in rows[2:]]
        totals.append(_total(indicator, column))
    rows.append(totals)
    if defects:
        position = {i.code: n for n, i in enumerate(indicators, 1)}
        for code in PERCENT:
            if code in position:
                rows[3][position[code]] = 125
        for code in COUNT:
            if code in position:
                rows[4][position[code]] = "待统计"
        for code in TOTALLED:
            if code in position:
                rows[-1][position[code]] += 1000
        rows.insert(5, ["东城区", *rows[2][1:]])
    return rows


def year_rows(cid: str, defects: bool = False) -> list[list]:
    """One district, years down the side (基期, actuals, target), indicators across."""
    catalog = load(cid).catalog
    district = catalog.reporting_units.required[0]
    values = plausible_values(catalog, YEAR)
    indicators = required(catalog)
    rows = [[f"{district}“一老一小”指标（{YEAR}年填报）"], [f"填报单位：{district}"],
            ["年份", *(i.name for i in indicators)]]  # fmt: skip
    years = sorted({y for by_year in values.values() for y in by_year})
    for year in years:
        label = f"{year}年"
        if year == min(years):
            label += "（基期）"
        elif year > YEAR:
            label += "目标"
        rows.append([label, *(values[i.code].get(year) for i in indicators)])
    if defects:
        position = {i.code: n for n, i in enumerate(indicators, 1)}
        for code in PERCENT:
            if code in position:
                rows[5][position[code]] = 125
    return rows


def write(rows: list[list], path):
    if path.suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "汇总"
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    elif path.suffix == ".xls":
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("汇总")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    sheet.write(r, c, value)
        book.save(str(path))
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows([["" if v is None else v for v in row] for row in rows])
    return path


def found(path, cid: str) -> set[tuple]:
    loaded = load(cid)
    [result] = validate(read_submissions([path], loaded.catalog), loaded).results
    assert not result.submission.unreadable, result.findings
    return {(f.cell, f.category) for f in result.findings}


def column(rows: list[list], text: str) -> str:
    from openpyxl.utils import get_column_letter

    for row in rows:
        if text in row:
            return get_column_letter(row.index(text) + 1)
    raise AssertionError(text)


FORMATS = (".xlsx", ".xls", ".csv")


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("cid", ["yantai", "liuzhou"])
@pytest.mark.parametrize("layout", [summary, district_rows, year_rows])
def test_a_clean_compiled_workbook_has_no_finding(tmp_path, layout, cid, suffix):
    path = write(layout(cid), tmp_path / f"{layout.__name__}{suffix}")
    assert found(path, cid) == set()


def _row_of(rows: list[list], name: str) -> int:
    return next(n for n, row in enumerate(rows, 1) if len(row) > 1 and row[1] == name)


def expected_in_summary(rows: list[list], cid: str) -> set[tuple]:
    """What _spoil_summary broke, where: by the catalog's names, in either catalog."""
    catalog = load(cid).catalog
    codes = {i.code for i in catalog.indicators}

    def name(codes_of_kind) -> str | None:
        code = next((c for c in codes_of_kind if c in codes), None)
        return catalog.indicator(code).name if code else None

    expected = {
        (f"E{_row_of(rows, name(PERCENT))}", "range"),  # the 2nd district: 125%
        (f"F{_row_of(rows, name(COUNT))}", "type"),  # the 3rd: 待统计
        (f"{column(rows, '合计')}{_row_of(rows, name(TOTALLED))}", "aggregate"),  # + 1000
        (f"{column(rows, '东城区')}2", "structure"),  # not the catalog's
    }
    part = next((catalog.indicator(c) for c in PART if c in codes), None)
    if part is not None and part.relations:  # Yantai: 普惠托位 ≤ 托位总数; Liuzhou has none
        expected.add((f"D{_row_of(rows, part.name)}", "relation"))  # the 1st: 99999
    return expected


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("cid", ["yantai", "liuzhou"])
def test_districts_as_columns_with_defects(tmp_path, cid, suffix):
    rows = summary(cid, defects=True)
    path = write(rows, tmp_path / f"汇总表{suffix}")
    expected = expected_in_summary(rows, cid)
    assert found(path, cid) == expected
    if cid == "yantai":
        assert ("D18", "relation") in expected


def test_a_summary_saved_by_libreoffice_as_xls(tmp_path):
    """The .xls a real spreadsheet program writes (not xlwt's): the same findings."""
    from tests.conftest import needs_program

    needs_program("libreoffice")
    rows = summary("yantai", defects=True)
    source = write(rows, tmp_path / "汇总表-2023.xlsx")
    import subprocess

    result = subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "xls", "--outdir", str(tmp_path / "xls"), str(source)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    converted = tmp_path / "xls" / "汇总表-2023.xls"
    assert result.returncode == 0 and converted.exists(), result.stderr
    assert converted.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # BIFF in OLE
    assert found(converted, "yantai") == expected_in_summary(rows, "yantai")


def test_the_unknown_district_names_the_nearest_and_is_not_read(tmp_path, yantai):
    rows = summary("yantai")
    rows[1][3] = "芝罘"  # a shortened name: 芝罘区 is not read from this column
    rows[1][7] = "蓬莱市"  # 蓬莱 became a 区
    path = write(rows, tmp_path / "汇总表.xlsx")
    [result] = validate(read_submissions([path], yantai.catalog), yantai).results
    unknown = {f.cell: f for f in result.findings if f.rule == "district.unknown"}
    assert set(unknown) == {"D2", "H2"}
    assert "是不是“芝罘区”" in unknown["D2"].message and unknown["H2"].expected == "蓬莱区"
    districts = set(result.submission.table["district"].dropna())
    assert "芝罘区" not in districts and "蓬莱区" not in districts and len(districts) == 9
    # the two districts not read are missing from the batch, not given wrong findings
    assert not [f for f in result.findings if f.rule == "indicator.missing"]


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("cid", ["yantai", "liuzhou"])
def test_districts_as_rows_with_defects(tmp_path, cid, suffix):
    from openpyxl.utils import get_column_letter

    catalog = load(cid).catalog
    codes = [i.code for i in required(catalog)]
    rows = district_rows(cid, defects=True)
    path = write(rows, tmp_path / f"各区县{suffix}")

    def cell(kind, row: int) -> str:
        code = next(c for c in kind if c in codes)
        return f"{get_column_letter(codes.index(code) + 2)}{row}"

    expected = {
        (cell(PERCENT, 4), "range"),  # the 2nd district: 125%
        (cell(COUNT, 5), "type"),  # the 3rd: 待统计
        ("A6", "structure"),  # 东城区
        (cell(TOTALLED, len(rows)), "aggregate"),  # 合计 + 1000
    }
    assert found(path, cid) == expected


@pytest.mark.parametrize("suffix", FORMATS)
def test_years_as_rows_with_defects(tmp_path, suffix):
    rows = year_rows("yantai", defects=True)
    path = write(rows, tmp_path / f"芝罘区-{YEAR}{suffix}")
    names = rows[2]
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(names.index("护理型床位占比") + 1)
    assert found(path, "yantai") == {(f"{letter}6", "range")}


def test_two_header_rows_districts_over_years(tmp_path, yantai):
    """芝罘区 over 2022年 | 2023年, 福山区 over its two years …: each column its district's
    year; a 合计 per year is checked against that year's districts."""
    catalog = yantai.catalog
    units = list(catalog.reporting_units.required)
    values = plausible_values(catalog, YEAR)
    top = ["序号", "指标", "单位"]
    second = ["", "", ""]
    for unit in units:
        top += [unit, ""]
        second += ["2022年", "2023年"]
    top += ["合计", ""]
    second += ["2022年", "2023年"]
    rows = [["烟台市“一老一小”指标汇总表（2022—2023年）"], top, second]
    for number, indicator in enumerate(required(catalog), 1):
        cells = [values[indicator.code][y] for _ in units for y in (2022, 2023)]
        totals = [
            _total(indicator, cells[0::2]),
            _total(indicator, cells[1::2]),
        ]
        rows.append([number, indicator.name, indicator.unit or "", *cells, *totals])
    rows[-1][-1] = (rows[-1][-1] or 0) + 5 if rows[-1][-1] is not None else None
    path = write(rows, tmp_path / f"汇总表-{YEAR}.xlsx")
    [result] = validate(read_submissions([path], catalog), yantai).results
    table = result.submission.table
    assert set(table["year"].dropna().astype(int)) == {2022, 2023}
    assert len(set(table["district"].dropna())) == 11
    zhifu = table[(table["district"] == "芝罘区") & (table["indicator"] == "institution_beds")]
    assert sorted(zip(zhifu["year"].astype(int), zhifu["cell"], strict=True)) == [
        (2022, "D4"),
        (2023, "E4"),
    ]
    last = catalog.indicator([i for i in required(catalog)][-1].code)
    aggregate = {(f.cell, f.category) for f in result.findings}
    if last.sums_across_districts:
        assert aggregate == {(f"Z{len(rows)}", "aggregate")}
    else:
        assert aggregate == set()


def test_a_number_in_the_years_range_is_never_a_year(tmp_path, yantai):
    """2023 beds in every district once made a row of values into a row of year headings (and
    findings for a "2099年目标" no cell held)."""
    rows = summary("yantai")
    for row in rows[2:]:
        row[3:-1] = [2099] * (len(row) - 4)
    path = write(rows, tmp_path / "汇总表-2023.xlsx")
    assert not {f for f in found(path, "yantai") if f[1] in ("target", "structure")}


def test_a_long_file_with_a_district_that_is_not_the_catalogs(tmp_path, yantai):
    values = plausible_values(yantai.catalog, YEAR)
    lines = [["区县", "年份", "指标", "数值"]]
    for district in ("芝罘区", "东城区"):
        for indicator in required(yantai.catalog):
            lines.append([district, YEAR, indicator.name, values[indicator.code][YEAR]])
    path = write(lines, tmp_path / "长表.csv")
    first = 1 + len(required(yantai.catalog)) + 1
    assert found(path, "yantai") == {(f"A{first}", "structure")}


def test_every_layout_through_the_command_line_and_both_engines(tmp_path):
    """check with pandera and with GX: the same findings on a compiled workbook."""
    path = write(summary("yantai", defects=True), tmp_path / "汇总表-2023.xlsx")
    documents = []
    for engine in ("pandera", "gx"):
        out = tmp_path / f"{engine}.json"
        result = cli("check", path, "--catalog", "yantai", "--engine", engine, "--json", out)
        assert result.returncode == 1, result.stderr
        document = json.loads(out.read_text("utf-8"))
        documents.append(
            sorted((f["cell"], f["rule"]) for f in document["submissions"][0]["findings"])
        )
    assert documents[0] == documents[1] and len(documents[0]) == 5


@pytest.mark.parametrize("cid", ["yantai", "liuzhou"])
def test_the_summary_template_checks_clean_when_filled(tmp_path, cid):
    from submissions.template import write_summary_template

    catalog = load(cid).catalog
    path = tmp_path / "汇总表.xlsx"
    result = cli("template", "--catalog", cid, "--layout", "summary", "--year", "2025", "-o", path)
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(path)["汇总表"]
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$3:$3"
    assert [c.value for c in sheet[3]][3:-1] == list(catalog.reporting_units.all)
    values = plausible_values(catalog, 2025)
    filled = {
        code: {unit: by_year[2025] for unit in catalog.reporting_units.all}
        for code, by_year in values.items()
        if 2025 in by_year
    }
    write_summary_template(path, catalog, 2025, filled)
    assert found(path, cid) == set()


def test_a_sheet_that_maps_to_no_layout_says_what_was_found(tmp_path, yantai):
    rows = [["某某统计表"], ["序号", "项目名称", "单位", "本期数", "上期数"],
            [1, "机构养老床位数", "个", 3000, 2900]]  # fmt: skip
    path = write(rows, tmp_path / "芝罘区-2023.xlsx")
    [result] = validate(read_submissions([path], yantai.catalog), yantai).results
    [finding] = result.findings
    assert (finding.rule, finding.sheet, finding.cell) == ("table.not_found", "汇总", "A2")
    assert "第 2 行像表头" in finding.message and "D“本期数”" in finding.message
    assert "汇总表（指标 × 各区县列" in finding.message  # and which layouts are read


def test_a_summary_is_evaluated_and_batched_like_eleven_district_files(tmp_path, yantai):
    """evaluate reads each district's column as that district's report; batch checks it."""
    from expectations.evaluation import evaluate
    from tests.conftest import run

    catalog = yantai.catalog
    units = list(catalog.reporting_units.required)
    values = plausible_values(catalog, 2025)
    rows = [["烟台市2025年“一老一小”指标汇总表"], ["序号", "指标", "单位", *units, "合计"]]
    for number, indicator in enumerate(required(catalog), 1):
        cells = [values[indicator.code][2025]] * len(units)
        rows.append(
            [number, indicator.name, indicator.unit or "", *cells, _total(indicator, cells)]
        )
    (tmp_path / "summary").mkdir()
    path = write(rows, tmp_path / "summary" / "汇总表-2025.xlsx")
    evaluation = evaluate(run([path], yantai), 2025)
    assert evaluation.missing_districts == []
    beds = next(i for i in evaluation.indicators if i.indicator.code == "institution_beds")
    assert beds.reported == 11 and beds.klass != "unknown"
    result = cli("batch", tmp_path / "summary", "--catalog", "yantai", "--force")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_service_takes_a_summary_from_a_reviewer_and_only_its_own_column_from_a_district(
    tmp_path, service
):
    from fastapi.testclient import TestClient

    from tests.conftest import post_file

    app, _store, _names, tokens = service
    payload = write(summary("yantai", defects=True), tmp_path / "汇总表-2023.xlsx").read_bytes()
    client = TestClient(app)
    city = post_file(client, "/api/submissions", tokens["rev"], payload, "汇总表-2023.xlsx")
    assert city.status_code == 201, city.text
    cells = {(f["cell"], f["rule"]) for f in city.json()["findings"]}
    assert {("E5", "value.max"), ("F3", "value.number"), ("O2", "district.unknown")} <= cells
    own = post_file(client, "/api/submissions", tokens["zf"], payload, "汇总表-2023.xlsx").json()
    rules = [f["rule"] for f in own["findings"]]
    assert own["district"] == "芝罘区" and "district.account" in rules
    assert "indicator.duplicate" not in rules and "value.max" not in rules  # 福山区's, not read


def test_not_applicable_with_a_reason_is_a_warning_without_one_an_error(tmp_path, yantai):
    """An urban district writes "—" in a township indicator and "本区无乡镇" in 备注: one
    warning for the row (the reviewer confirms); "/" with no reason stays 未填."""
    from tests.conftest import cell_of, district_file

    code = "township_center_coverage"
    cells = [cell_of(yantai.catalog, YEAR, code, y) for y in (2022, YEAR)]
    explained = district_file(
        tmp_path, yantai, changes=dict.fromkeys(cells, "—"), notes={code: "本区无乡镇"}
    )
    assert found(explained, "yantai") == {(cells[0], "applicability")}
    bare = district_file(tmp_path, yantai, changes={cells[1]: "/"}, name="bare.xlsx")
    assert found(bare, "yantai") == {(cells[1], "missing")}
    for engine in ("pandera", "gx"):
        result = cli("check", explained, "--catalog", "yantai", "--engine", engine, "--json", "-")
        document = json.loads(result.stdout)
        [finding] = document["submissions"][0]["findings"]
        assert (finding["cell"], finding["severity"]) == (cells[0], "warning"), engine


def test_a_catalog_says_where_an_indicator_does_not_apply(tmp_path, yantai):
    """Declared per indicator: the district leaves it blank or leaves the row out, and is not
    counted for it in the evaluation."""
    import yaml

    from expectations.evaluation import evaluate
    from tests.conftest import cell_of, district_file, run

    data = yantai.catalog.model_dump(mode="json")
    data["id"] = "yantai_urban"
    for indicator in data["indicators"]:
        if indicator["code"] == "township_center_coverage":
            indicator["not_applicable"] = ["芝罘区", "莱山区"]
    path = tmp_path / "yantai_urban.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    loaded = load(str(path))
    cells = [cell_of(loaded.catalog, YEAR, "township_center_coverage", y) for y in (2022, YEAR)]
    blank = district_file(tmp_path, loaded, changes=dict.fromkeys(cells, None))
    assert found(blank, str(path)) == set()
    assert found(blank, "yantai") == {(cell, "missing") for cell in cells}  # where it applies
    evaluation = evaluate(run([blank], loaded), YEAR)
    township = next(
        i for i in evaluation.indicators if i.indicator.code == "township_center_coverage"
    )
    assert "芝罘区" not in [s.district for s in township.districts]
    assert township.required == len(loaded.catalog.reporting_units.required) - 2
    wrong = dict(data, id="wrong")
    wrong["indicators"] = [dict(i) for i in data["indicators"]]
    wrong["indicators"][0]["not_applicable"] = ["东城区"]
    bad = tmp_path / "wrong.yaml"
    bad.write_text(yaml.safe_dump(wrong, allow_unicode=True, sort_keys=False), "utf-8")
    assert "不是报送单位" in cli("catalog", "lint", bad).stdout


def test_other_headings_of_a_summary_are_not_taken_for_districts(tmp_path, yantai):
    """平均, 本期数, 排名: headings of no district, not read and not reported as districts."""
    rows = summary("yantai")
    for heading in ("平均", "排名"):
        rows[1].append(heading)
        for row in rows[2:]:
            row.append(1)
    assert found(write(rows, tmp_path / "汇总表-2023.xlsx"), "yantai") == set()


def test_one_districts_years_take_the_district_from_the_title(tmp_path, yantai):
    rows = year_rows("yantai")
    del rows[1]  # no 填报单位 line: the title "芝罘区“一老一小”指标（2023年填报）" says it
    path = write(rows, tmp_path / "各年.xlsx")
    [result] = validate(read_submissions([path], yantai.catalog), yantai).results
    assert result.submission.district == "芝罘区" and result.findings == []
