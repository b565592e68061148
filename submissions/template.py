"""The blank wide-layout workbook a district fills in, with Excel data validation on value cells."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indicators import Catalog, Indicator, format_number
from indicators.model import ATTRIBUTE_LABELS
from submissions.instructions import CLERK_WORDS
from submissions.paper import PrintedTable, add_signatures, set_up_printing, write_wrapped

SHEET = "指标填报"
NOT_ASKED_COLOR = "D9D9D9"
FIRST_DATA_ROW = 5  # 1-based: title, 填报单位/年度, blank, header, then indicators
OPTIONAL_TITLE = "以下为选填指标（全市层面考核，区县有数据时填写）"


@dataclass(frozen=True)
class Columns:
    baseline_year: int | None
    actual_years: tuple[int, ...]
    target_year: int | None

    @property
    def headers(self) -> list[str]:
        cells = []
        if self.baseline_year:
            cells.append(f"{self.baseline_year}年（基期）")
        cells += [f"{year}年" for year in self.actual_years]
        if self.target_year:
            cells.append(f"{self.target_year}年目标")
        return cells

    @property
    def years(self) -> list[tuple[int, str]]:
        """(year, role) per value column, left to right."""
        out = [(self.baseline_year, "baseline")] if self.baseline_year else []
        out += [(year, "actual") for year in self.actual_years]
        if self.target_year:
            out.append((self.target_year, "target"))
        return out


def columns_for(catalog: Catalog, year: int) -> Columns:
    baselines = [i.baseline.year for i in catalog.indicators if i.baseline]
    target_year = catalog.last_target_year
    baseline_year = min(baselines) if baselines else None
    if baseline_year is not None and baseline_year >= year:
        baseline_year = None
    first_actual = baseline_year + 1 if baseline_year else year - 1
    actual_years = tuple(range(first_actual, year + 1))
    return Columns(baseline_year, actual_years, target_year if target_year > year else None)


def template_cell(catalog: Catalog, year: int, code: str, value_year: int | None = None) -> str:
    """A1 address, in a template for reporting year `year`, of an indicator's value for
    `value_year` (or of its name when value_year is None)."""
    from openpyxl.utils import get_column_letter

    required, optional = ordered_indicators(catalog)
    order = [i.code for i in required + optional]
    row = FIRST_DATA_ROW + order.index(code)
    if code in [i.code for i in optional]:
        row += 1  # the "选填指标" title row
    if value_year is None:
        return f"B{row}"
    years = [y for y, _ in columns_for(catalog, year).years]
    return f"{get_column_letter(4 + years.index(value_year))}{row}"


def ordered_indicators(catalog: Catalog) -> tuple[list[Indicator], list[Indicator]]:
    required = [i for i in catalog.indicators if i.required]
    optional = [i for i in catalog.indicators if not i.required]
    return required, optional


def write_template(
    path: Path,
    catalog: Catalog,
    district: str,
    year: int,
    values: dict[str, dict[int, object]] | None = None,
    notes: dict[str, str] | None = None,
) -> Path:
    """Write the workbook; `values` (code → year → cell) fills it, as a district would."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    values = values or {}
    notes = notes or {}
    columns = columns_for(catalog, year)
    headers = ["序号", "指标", "单位", *columns.headers, "指标属性", "备注"]
    last_col = len(headers)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    header_row = FIRST_DATA_ROW - 1
    border = _title_and_header(
        sheet, f"{catalog.jurisdiction}“一老一小”指标填报表", headers, header_row
    )
    sheet.cell(2, 1, f"填报单位：{district}")
    sheet.cell(2, 4, f"填报年度：{year}")
    not_asked = PatternFill("solid", fgColor=NOT_ASKED_COLOR)

    required, optional = ordered_indicators(catalog)
    row = FIRST_DATA_ROW
    validations: dict[str, DataValidation] = {}
    for number, indicator in enumerate(required + optional, 1):
        if indicator is (optional[0] if optional else None):
            sheet.cell(row, 2, OPTIONAL_TITLE).font = Font(italic=True, color="666666")
            row += 1
        sheet.cell(row, 1, number)
        name_cell = sheet.cell(row, 2, indicator.label)
        name_cell.comment = Comment(_definition(indicator), "指标体系")
        sheet.cell(row, 3, indicator.unit or "")
        for offset, (value_year, role) in enumerate(columns.years):
            cell = sheet.cell(row, 4 + offset)
            cell.border = border
            given = values.get(indicator.code, {}).get(value_year)
            if given is not None:
                cell.value = given
            if role == "target" and not indicator.sets_target_for(value_year):
                cell.fill = not_asked  # the plan sets no target for this year: left blank
            if role != "target":
                kind = _validation_kind(indicator)
                if kind not in validations:
                    validations[kind] = _validation(kind)
                validations[kind].add(cell.coordinate)
        sheet.cell(row, 4 + len(columns.years), ATTRIBUTE_LABELS[indicator.attribute])
        if indicator.code in notes:
            sheet.cell(row, 5 + len(columns.years), notes[indicator.code])
        row += 1
    for validation in validations.values():
        sheet.add_data_validation(validation)
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 46
    sheet.column_dimensions["C"].width = 8
    for offset in range(len(columns.years) + 2):
        sheet.column_dimensions[_letter(4 + offset)].width = 14
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 4)
    last_row = add_signatures(sheet, row + 1, last_col)
    set_up_printing(sheet, PrintedTable(last_row, last_col, (header_row, header_row)))
    instructions = workbook.create_sheet("填报说明")
    _instructions(instructions, catalog, district, year, columns)
    set_up_printing(instructions, PrintedTable(instructions.max_row, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _title_and_header(
    sheet, title: str, headers: list[str], header_row: int, vertical: str | None = None
):
    """A template's title across its columns and its header row, as every template has them;
    the thin border its value cells take."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    sheet.cell(1, 1, title)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.cell(1, 1).font = Font(size=14, bold=True)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, text in enumerate(headers, 1):
        cell = sheet.cell(header_row, col, text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical=vertical, wrap_text=True)
    return border


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _validation_kind(indicator: Indicator) -> str:
    if indicator.whole:
        return "whole"
    if indicator.upper_bound is not None:
        return f"decimal≤{format_number(indicator.upper_bound)}"
    return "decimal"


def _validation(kind: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    if kind == "whole":
        validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
        validation.error = "请填写不小于 0 的整数（数量类指标）"
    elif kind.startswith("decimal≤"):
        upper = kind.removeprefix("decimal≤")
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2=upper
        )
        validation.error = f"请填写 0 到 {upper} 之间的数字（百分比填 93，不要填 0.93）"
    else:
        validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
        validation.error = "请填写不小于 0 的数字"
    validation.errorTitle = "数值不符合要求"
    validation.showErrorMessage = True
    validation.allow_blank = True
    return validation


def _definition(indicator: Indicator) -> str:
    lines = [
        f"{indicator.name}（{ATTRIBUTE_LABELS[indicator.attribute]}）",
        f"目标：{indicator.target_summary}",
        f"依据：{indicator.source.quote[:120]}",
    ]
    if indicator.baseline:
        lines.insert(
            1, f"全市基期：{indicator.baseline.year}年 {format_number(indicator.baseline.value)}"
        )
    return "\n".join(lines)


CHINESE_DIGITS = "零一二三四五六七八九"
INSTRUCTIONS_WIDTH = 64  # characters: within one A4 portrait page as LibreOffice prints it


def chinese_number(number: int) -> str:
    """一 … 九十九, as Chinese documents number their clauses."""
    tens, ones = divmod(number, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    return (
        ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")
    )


def _relations(catalog: Catalog):
    for indicator in catalog.indicators:
        for relation in indicator.relations:
            if relation.other in {i.code for i in catalog.indicators}:
                yield indicator.code, relation


def _instructions(sheet, catalog: Catalog, district: str, year: int, columns: Columns) -> None:
    from openpyxl.styles import Font

    lines = [
        "填报说明",
        f"本表依据《{catalog.name}》制定，由{district}填报{year}年度数据。"
        "只在“指标填报”表的数值格中填写；提交前逐条对照下面的要求（校验按同样的要求进行）：",
    ]
    for number, words in enumerate(CLERK_WORDS.values(), 1):
        lines.append(f"{chinese_number(number)}、{words}")
    lines += [
        "“选填指标”只在全市层面考核或用于汇总全市比率，区县有数据时填写即可；灰色的目标格是规划"
        "没有为该指标设定这一年的目标（它的目标在其他年份），不必填写。",
        "",
        f"报送单位：{'、'.join(catalog.reporting_units.all)}",
    ]
    relations = [
        f"{catalog.indicator(code).name} {relation.op} {catalog.indicator(relation.other).name}"
        f"（{relation.reason}）"
        for code, relation in _relations(catalog)
    ]
    if relations:
        lines += ["", "指标之间的关系：" + "；".join(relations)]
    lines += ["", "指标一览（名称｜单位｜属性｜全市目标）"]
    required, optional = ordered_indicators(catalog)
    for number, indicator in enumerate(required + optional, 1):
        mark = "" if indicator.required else "〔选填〕"
        lines.append(
            f"{number}. {mark}{indicator.name}｜{indicator.unit or '—'}｜"
            f"{ATTRIBUTE_LABELS[indicator.attribute]}｜{indicator.target_summary}"
        )
    write_wrapped(sheet, lines, INSTRUCTIONS_WIDTH)
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.row_dimensions[1].height = 22


SUMMARY_SHEET = "汇总表"


def write_summary_template(
    path: Path,
    catalog: Catalog,
    year: int,
    values: dict[str, dict[str, object]] | None = None,
) -> Path:
    """The city's compilation sheet (validate.py template --layout summary): indicators down
    the side, one column per reporting unit and a 合计 column, for a city that collects the
    figures by phone or e-mail and types them in itself. `values`: code → district → cell."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    values = values or {}
    units = list(catalog.reporting_units.all)
    headers = ["序号", "指标", "单位", *units, "合计"]
    last_col = len(headers)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SUMMARY_SHEET
    header_row = 3
    title = f"{catalog.jurisdiction}{year}年“一老一小”指标汇总表"
    border = _title_and_header(sheet, title, headers, header_row, vertical="center")
    sheet.cell(2, 1, f"填报年度：{year}")
    required, _optional = ordered_indicators(catalog)
    validations: dict = {}
    row = header_row
    for number, indicator in enumerate(required, 1):
        row = header_row + number
        sheet.cell(row, 1, number)
        sheet.cell(row, 2, indicator.label).comment = Comment(_definition(indicator), "指标体系")
        sheet.cell(row, 3, indicator.unit or "")
        kind = _validation_kind(indicator)
        if kind not in validations:
            validations[kind] = _validation(kind)
            sheet.add_data_validation(validations[kind])
        for offset, unit in enumerate(units):
            cell = sheet.cell(row, 4 + offset)
            cell.border = border
            given = values.get(indicator.code, {}).get(unit)
            if given is not None:
                cell.value = given
            validations[kind].add(cell.coordinate)
        total = sheet.cell(row, last_col)
        total.border = border
        if indicator.sums_across_districts:  # the districts' sum, kept by Excel itself
            first, last = _letter(4), _letter(3 + len(units))
            total.value = f"=SUM({first}{row}:{last}{row})"
        else:
            total.fill = PatternFill("solid", fgColor=NOT_ASKED_COLOR)  # a rate: no sum
    sheet.column_dimensions["A"].width = 5
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 6
    for offset in range(len(units) + 1):
        sheet.column_dimensions[_letter(4 + offset)].width = 9
    sheet.row_dimensions[header_row].height = 45
    sheet.freeze_panes = sheet.cell(header_row + 1, 4)
    last_row = add_signatures(sheet, row + 2, last_col)
    set_up_printing(sheet, PrintedTable(last_row, last_col, (header_row, header_row)))
    sheet.page_setup.orientation = "landscape"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
