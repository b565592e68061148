"""The evaluation as an Excel workbook: a summary sheet and one sheet per domain, printable."""

from __future__ import annotations

from pathlib import Path

from expectations.evaluation import MET, NO_DATA, STANDING_LABELS, UNMET, WRONG, Evaluation
from reports.evaluation_report import progress_text, target_label
from submissions.output import replaced_path
from submissions.paper import PrintedTable, set_up_printing

FILLS = {MET: "C6EFCE", UNMET: "FFC7CE", WRONG: "D9D9D9", NO_DATA: "F2F2F2"}
CITY_FILLS = {True: "C6EFCE", False: "FFC7CE"}
CITY_LABELS = {True: "达标", False: "未达标", None: "无法判定"}
HEADER = ["指标", "属性", "单位", "规划目标", "区县", "实际值", "目标", "评判", "进度", "位置"]


def write_evaluation_workbook(evaluation: Evaluation, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    summary = workbook.active
    summary.title = "汇总"
    bold = Font(bold=True)
    catalog = evaluation.catalog
    summary.append([f"{catalog.jurisdiction}“一老一小”规划目标完成情况（{evaluation.year}年）"])
    summary["A1"].font = Font(size=14, bold=True)
    summary.append([f"依据：{catalog.name}"])
    summary.append([])
    header = ["指标", "属性", "单位", "规划目标", "全市值", "各区县分布", "达标", "已报区县"]
    summary.append(header)
    header_row = summary.max_row
    for cell in summary[header_row]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for item in evaluation.indicators:
        ind = item.indicator
        spread = ""
        if item.distribution:
            d = item.distribution
            spread = (
                f"最低 {d['min']:g}，中位 {d['median']:g}，最高 {d['max']:g}；"
                f"{d['meeting']}/{d['of']} 个达到"
            )
        summary.append(
            [ind.name, "约束性" if ind.binding else "预期性", ind.unit or "",
             target_label(ind), item.city_value, spread,
             CITY_LABELS[item.city_met], f"{item.reported}/{item.required}"]
        )  # fmt: skip
        if item.city_met is not None:
            summary.cell(summary.max_row, 7).fill = PatternFill(
                "solid", fgColor=CITY_FILLS[item.city_met]
            )
    notes = []
    for district, names in evaluation.summary()["lagging_binding"].items():
        notes.append(f"{district} 未达到约束性指标：{'、'.join(names)}")
    if evaluation.missing_districts:
        notes.append(f"应报未报：{'、'.join(evaluation.missing_districts)}")
    if evaluation.unreadable_districts:
        notes.append(f"已报送但文件无法读取：{'、'.join(evaluation.unreadable_districts)}")
    summary.append([])
    for note in notes:
        summary.append([note])
    for letter, width in zip("ABCDEFGH", (40, 8, 8, 22, 12, 36, 10, 10), strict=True):
        summary.column_dimensions[letter].width = width
    summary.freeze_panes = summary.cell(header_row + 1, 1)
    set_up_printing(summary, PrintedTable(summary.max_row, len(header), (header_row, header_row)))

    for domain in dict.fromkeys(item.indicator.domain for item in evaluation.indicators):
        sheet = workbook.create_sheet(domain)
        sheet.append(HEADER)
        for cell in sheet[1]:
            cell.font = bold
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center")
        for item in evaluation.indicators:
            if item.indicator.domain != domain:
                continue
            ind = item.indicator
            for standing in item.districts:
                sheet.append(
                    [ind.name, "约束性" if ind.binding else "预期性", ind.unit or "",
                     target_label(ind), standing.district, standing.value,
                     standing.target, STANDING_LABELS[standing.standing],
                     progress_text(standing.progress), standing.cell or ""]
                )  # fmt: skip
                fill = FILLS.get(standing.standing)
                if fill:
                    sheet.cell(sheet.max_row, 8).fill = PatternFill("solid", fgColor=fill)
        for letter, width in zip("ABCDEFGHIJ", (40, 8, 8, 22, 10, 12, 12, 10, 8, 18), strict=True):
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:J{sheet.max_row}"
        set_up_printing(sheet, PrintedTable(sheet.max_row, len(HEADER), (1, 1)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_path(path) as temporary:
        workbook.save(temporary)
    return path
