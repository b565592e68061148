"""Reading spreadsheets laid out the way districts really fill them in."""

import io
import zipfile

import openpyxl
import pytest
import xlwt
from hypothesis import given
from hypothesis import strategies as st

from submissions import read_submission
from submissions.reading.limits import Limits
from tests.conftest import cell_of, district_file, pairs, run

SEED_ELDERLY = [
    ("机构养老床位数(个)", 3545, 4273, "预期性"),
    ("每千名老人拥有养老床位(张)", 44.8, 46.5, "预期性"),
    ("护理型床位占比(%)", 54, 70, "约束性"),
]


def _seed_shaped(path, rows_a, rows_b=(), district_cells=True):
    """Like the Yantai document: title, two tables each with its own header, notes after."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet["A1"] = "烟台市“一老一小”整体解决方案(2022-2025年)具体指标"
    sheet.merge_cells("A1:E1")
    if district_cells:
        sheet["A2"] = "填报单位："
        sheet["B2"] = "芝罘区"
        sheet["D2"] = "填报年度：2023年"
    sheet.append([])
    sheet.append(["养老服务发展指标表"])
    sheet.append(["序号", "指    标", "2021年", "2025年", "指标属性"])
    for n, row in enumerate(rows_a, 1):
        sheet.append([n, *row])
    if rows_b:
        sheet.append([])
        sheet.append(["托育服务发展指标表"])
        sheet.append(["序号", "指    标", "2021年", "2025年", "指标属性"])
        for n, row in enumerate(rows_b, 1):
            sheet.append([n, *row])
    sheet.append(["注：2025年为规划目标值。"])
    workbook.save(path)
    return path


def test_seed_shaped_table_with_two_tables_and_notes(tmp_path, yantai):
    path = _seed_shaped(tmp_path / "a.xlsx", SEED_ELDERLY, [("托位总数(个)", 1045, 3000, "预期性")])
    sub = read_submission(path, yantai.catalog)
    assert (sub.district, sub.year, sub.layout) == ("芝罘区", 2023, "wide")
    table = sub.table
    assert set(table["indicator"]) == {
        "institution_beds", "beds_per_1000_elderly", "nursing_bed_share", "childcare_places"
    }  # fmt: skip
    beds = table[table["indicator"] == "institution_beds"].set_index("year")
    assert beds.loc[2021, "cell"] == "C6" and beds.loc[2021, "role"] == "baseline"
    assert beds.loc[2025, "role"] == "target" and beds.loc[2025, "value"] == 4273
    places = table[table["indicator"] == "childcare_places"]
    assert places["cell"].tolist() == ["C12", "D12"]


def test_messy_notations_parse_without_findings(tmp_path, yantai):
    y = 2023
    changes = {
        cell_of(yantai.catalog, y, "institution_beds", 2022): "3,727",
        cell_of(yantai.catalog, y, "institution_beds", 2023): " 3909 ",
        cell_of(yantai.catalog, y, "nursing_bed_share", 2023): "６２",
        cell_of(yantai.catalog, y, "nursing_bed_share", 2025): "70%以上",
        cell_of(yantai.catalog, y, "childcare_places", 2025): "0.3万",
        cell_of(yantai.catalog, y, "pension_insurance_coverage", 2023): "96.1%",
    }
    outcome = run([district_file(tmp_path, yantai, changes=changes)], yantai)
    assert pairs(outcome) == []


def test_rows_in_any_order_and_split_over_sheets(tmp_path, yantai):
    path = district_file(tmp_path, yantai)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["指标填报"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=29)]
    header = [c.value for c in sheet[4]]
    second = workbook.create_sheet("托育", 1)
    second.append(["填报单位：芝罘区", None, None, "填报年度：2023"])
    second.append(header)
    for row in reversed(rows[14:]):
        second.append(row)
    sheet.delete_rows(19, 11)
    workbook.save(path)
    outcome = run([path], yantai)
    assert pairs(outcome) == []
    sheets = set(outcome.table["sheet"])
    assert sheets == {"指标填报", "托育"}


def test_percent_formatted_cells_are_read_as_shown(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    path = district_file(tmp_path, yantai, changes={cell: 0.62})
    workbook = openpyxl.load_workbook(path)
    workbook["指标填报"][cell].number_format = "0%"
    workbook.save(path)
    outcome = run([path], yantai)
    assert pairs(outcome) == []
    assert outcome.table.loc[outcome.table["cell"] == cell, "value"].tolist() == [62.0]


def test_district_and_year_from_file_name_then_flags(tmp_path, yantai):
    path = district_file(tmp_path, yantai, name="福山区2023年一老一小.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["指标填报"]["A2"] = None
    workbook["指标填报"]["D2"] = None
    workbook.save(path)
    sub = read_submission(path, yantai.catalog)
    assert (sub.district, sub.year) == ("福山区", 2023)
    anonymous = tmp_path / "submission.xlsx"
    anonymous.write_bytes(path.read_bytes())
    sub = read_submission(anonymous, yantai.catalog, year=2023, district="牟平区")
    assert (sub.district, sub.year) == ("牟平区", 2023)
    outcome = run([anonymous], yantai)
    assert sorted(f.rule for f in outcome.results[0].findings if f.category == "structure") == [
        "district.missing",
        "year.missing",
    ]


def test_district_not_in_the_catalog_is_a_structure_finding(tmp_path, yantai):
    path = district_file(tmp_path, yantai, changes={"A2": "填报单位：市民政局"})
    outcome = run([path], yantai)
    assert ("A2", "structure") in pairs(outcome)


def _long_rows(loaded, district="芝罘区"):
    from tests.samples import plausible_values

    values = plausible_values(loaded.catalog, 2023)
    for code, by_year in values.items():
        name = loaded.catalog.indicator(code).name
        for year, value in by_year.items():
            yield [district, year, name, value]


def test_long_layout_xlsx(tmp_path, yantai):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["区县", "年份", "指标", "数值"])
    for row in _long_rows(yantai):
        sheet.append(row)
    sheet.append(["芝罘区", 2023, "护理型床位占比", 130])
    path = tmp_path / "long.xlsx"
    workbook.save(path)
    outcome = run([path], yantai)
    sub = outcome.results[0].submission
    assert (sub.layout, sub.district) == ("long", "芝罘区")
    last = sheet.max_row
    assert (f"D{last}", "range") in pairs(outcome)
    assert (f"D{last}", "duplicate") not in pairs(outcome)  # flagged at the name
    assert (f"C{last}", "duplicate") in pairs(outcome)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_long_layout_csv_in_any_common_encoding(tmp_path, yantai, encoding, delimiter):
    lines = [delimiter.join(["区县", "年份", "指标名称", "数值", "单位"])]
    for district, year, name, value in _long_rows(yantai):
        unit = yantai.catalog.match(name).unit or ""
        lines.append(delimiter.join([district, str(year), name, str(value), unit]))
    path = tmp_path / "long.csv"
    path.write_bytes("\n".join(lines).encode(encoding))
    outcome = run([path], yantai)
    assert outcome.results[0].submission.layout == "long"
    assert pairs(outcome) == []


def test_xls_is_read(tmp_path, yantai):
    book = xlwt.Workbook()
    book.add_sheet("说明")
    sheet = book.add_sheet("指标", cell_overwrite_ok=True)
    sheet.write(0, 0, "填报单位：芝罘区")
    sheet.write(0, 3, "填报年度：2023")
    for col, text in enumerate(["序号", "指标", "2021年", "2025年", "指标属性"]):
        sheet.write(2, col, text)
    for r, (name, base, target, attribute) in enumerate(SEED_ELDERLY, 3):
        for col, value in enumerate([r - 2, name, base, target, attribute]):
            sheet.write(r, col, value)
    sheet.write(5, 2, "待统计")
    path = tmp_path / "old.xls"
    book.save(str(path))
    outcome = run([path], yantai)
    assert outcome.results[0].submission.kind == "xls"
    assert ("C6", "type") in pairs(outcome)


def _zip_with(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02garbage" * 100,
        b"%PDF-1.7 not a sheet",
        b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        b"just one line of prose, nothing else\n",
        _zip_with({"hello.txt": "not a workbook"}),
        _zip_with(
            {
                "[Content_Types].xml": '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Types>&lol2;</Types>'
            }
        ),
    ],
    ids=["empty", "binary", "pdf", "html", "prose", "zip", "xml-entities"],
)
def test_broken_and_non_spreadsheet_files_are_unreadable(tmp_path, yantai, content):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    outcome = run([path], yantai)
    result = outcome.results[0]
    assert result.status == "unreadable"
    assert [(f.cell, f.category) for f in result.findings] == [(None, "file")]


def test_truncated_workbook_is_unreadable(tmp_path, yantai):
    good = district_file(tmp_path, yantai)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:2000])
    assert run([broken], yantai).results[0].status == "unreadable"


def test_workbook_with_no_table_is_a_structure_finding(tmp_path, yantai):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "这里什么表也没有"
    path = tmp_path / "notable.xlsx"
    workbook.save(path)
    outcome = run([path], yantai)
    assert pairs(outcome) == [(None, "structure")]
    assert outcome.results[0].status == "error"


def test_hostile_cell_text_is_kept_as_text(tmp_path, yantai):
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    payload = "<script>alert(1)</script>" + "x" * 5000
    outcome = run([district_file(tmp_path, yantai, changes={cell: payload})], yantai)
    finding = next(f for f in outcome.results[0].findings if f.cell == cell)
    assert finding.category == "type" and finding.value == payload
    assert len(finding.message) < 400


def test_wide_table_with_a_district_column(tmp_path, yantai):
    """Several districts in one sheet: 区县 | 指标 | 2021年 | 2025年, the year in the title."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "2023年度一老一小指标汇总"
    sheet.append(["区县", "指标", "单位", "2021年", "2023年", "2025年"])
    for district in ("芝罘区", "福山区"):
        sheet.append([district, "护理型床位占比", "%", 54, 60, 70])
        sheet.append([district, "托位总数", "个", 1045, 1800, 3000])
    sheet["E5"] = 160
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    outcome = run([path], yantai)
    table = outcome.results[0].submission.table
    assert set(table["district"]) == {"芝罘区", "福山区"}
    assert ("E5", "range") in pairs(outcome)
    assert not [p for p in pairs(outcome) if p[1] == "structure"]


def test_long_table_keyed_by_indicator_code(tmp_path, yantai):
    lines = ["区县,年份,指标代码,数值", "芝罘区,2023,nursing_bed_share,62", "芝罘区,2023,no_such,1"]
    path = tmp_path / "codes.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = run([path], yantai)
    table = outcome.results[0].submission.table
    assert table["indicator"].tolist()[0] == "nursing_bed_share"
    assert table["indicator"].isna().tolist() == [False, True]
    assert ("C3", "unknown") in pairs(outcome)


def test_two_row_header_with_years_under_a_merged_cell(tmp_path, yantai):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "填报单位：芝罘区"
    sheet["D1"] = "填报年度：2023"
    sheet.append(["序号", "指标", "单位", "年度", None, None])
    sheet.merge_cells("D2:F2")
    sheet.append([None, None, None, "2021年", "2023年", "2025年"])
    sheet.append([1, "护理型床位占比", "%", 54, 160, 70])
    sheet.append([2, "托位总数", "个", 1045, 1800, 3000])
    path = tmp_path / "two-rows.xlsx"
    workbook.save(path)
    outcome = run([path], yantai)
    assert ("E4", "range") in pairs(outcome)
    table = outcome.results[0].submission.table
    assert sorted(table["cell"]) == ["D4", "D5", "E4", "E5", "F4", "F5"]


def test_files_parsed_in_the_background_read_the_same(tmp_path, yantai, monkeypatch):
    """Inside a reading child: big files are parsed in a thread while pandas loads."""
    import submissions.reading.opening as workbook
    from submissions.reading.cells import read_here
    from submissions.reading.dispatch import ReadOptions
    from submissions.reading.tidy import unpack

    bad = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    paths = [
        district_file(tmp_path, yantai, changes={bad: "待统计"}),
        broken,
        tmp_path / "gone.xlsx",
        district_file(tmp_path, yantai, district="福山区"),
    ]
    items = [(path, str(path), None) for path in paths]

    def read():
        found = unpack(read_here(items, yantai.catalog, ReadOptions()), yantai.catalog)
        return [
            (s.unreadable, s.district, len(s.table), [(f.cell, f.category) for f in s.findings])
            for s in found
        ]

    opened_here = read()
    monkeypatch.setattr(workbook.Readahead, "BIG", 0)  # every file through the thread
    assert read() == opened_here
    assert [unreadable for unreadable, *_ in opened_here] == [False, True, True, False]

    def crash(path, limits=None):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(workbook, "open_path", crash)
    # A failure in the thread reaches the reader, never a hang (the pool then reports it).
    with pytest.raises(RuntimeError, match="parser bug"):
        read_here(items[:1], yantai.catalog, ReadOptions())


def test_percent_formats_come_from_the_workbooks_styles(tmp_path, yantai):
    """Built-in 0.00%, a custom format with %, and a % in quotes (shown as text: not a percent)."""
    from submissions.reading.screening import screen_zip
    from submissions.reading.sheet_xml import percent_styles

    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    plain = district_file(tmp_path, yantai, name="plain.xlsx")
    facts = screen_zip(plain.read_bytes(), Limits())
    assert percent_styles(plain.read_bytes(), facts.styles) == frozenset()  # nothing to look up
    for number_format, shown in (("0.00%", 62.0), ("#,##0.0%;-0.0%", 62.0), ('0.00"%"', None)):
        path = district_file(tmp_path, yantai, changes={cell: 0.62}, name="f.xlsx")
        workbook = openpyxl.load_workbook(path)
        workbook["指标填报"][cell].number_format = number_format
        workbook.save(path)
        outcome = run([path], yantai)
        values = outcome.table.loc[outcome.table["cell"] == cell, "value"].tolist()
        if shown is None:  # "0.62%" as text after the number: the stored 0.62 is what is meant
            assert (cell, "scale") in pairs(outcome), number_format
        else:
            assert values == [shown] and pairs(outcome) == [], number_format


def test_percent_formatted_cells_of_a_long_sheet(tmp_path, yantai):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["区县", "年份", "指标", "数值"])
    sheet.append(["芝罘区", 2023, "护理型床位占比", 0.62])
    sheet.append(["芝罘区", 2023, "新生儿访视率", 0.97])
    sheet["D2"].number_format = "0%"
    path = tmp_path / "long.xlsx"
    workbook.save(path)
    outcome = run([path], yantai)
    values = dict(zip(outcome.table["cell"], outcome.table["value"], strict=True))
    assert values["D2"] == 62.0 and values["D3"] == 0.97  # D3 is not formatted as a percent
    assert ("D3", "scale") in pairs(outcome) and ("D2", "scale") not in pairs(outcome)


@given(
    st.lists(
        st.one_of(
            st.floats(),
            st.integers(-(10**30), 10**30),
            st.booleans(),
            st.text(max_size=12),
            st.sampled_from(["62%", "约3,600", "1.2万", "—", "=A1", "#DIV/0!", "3～5个"]),
        ),
        max_size=30,
    )
)
def test_distinct_cells_are_read_as_parse_reads_each(values):
    """The columnar reading of distinct cell contents (plain numbers without a Reading each)
    gives what parse() gives for every one of them, and a blank last."""
    import numpy as np

    from indicators import parse
    from submissions.reading.tidy import _readings

    uniques = np.empty(len(values), dtype=object)
    uniques[:] = values
    read = _readings(uniques)
    for position, value in enumerate([*values, None]):
        reading = parse(value)
        assert read["text"][position] == reading.text
        assert read["reason"][position] == reading.reason
        assert read["comparator"][position] == reading.comparator
        assert read["empty"][position] == reading.empty
        assert read["percent"][position] == reading.percent
        assert read["multiplier"][position] == bool(reading.multiplier)
        assert read["cell_unit"][position] == (reading.unit or ("‰" if reading.per_mille else None))
        for name in ("value", "high"):
            expected = getattr(reading, name)
            got = read[name][position]
            assert (np.isnan(got) and expected is None) or got == expected


@given(st.lists(st.tuples(st.integers(0, 1_048_575), st.integers(-1, 16_383)), max_size=40))
def test_cell_addresses_are_excel_addresses(positions):
    """0-based (row, column) as A1 addresses, None for column -1, whatever mix of columns."""
    import numpy as np
    from openpyxl.utils import get_column_letter

    from submissions.reading.tidy import cell_addresses

    rows = np.array([row for row, _ in positions], dtype=np.int64)
    cols = np.array([col for _, col in positions], dtype=np.int64)
    expected = [None if col < 0 else f"{get_column_letter(col + 1)}{row + 1}"
                for row, col in positions]  # fmt: skip
    assert cell_addresses(rows, cols).tolist() == expected
