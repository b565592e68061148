"""The evaluation as an Excel workbook: a summary sheet and one sheet per domain, printable."""

from __future__ import annotations

from pathlib import Path

from expectations.evaluation import Evaluation
from expectations.progress import AHEAD, BEHIND, COMPLETED, EARLY, MISSED, ON_TRACK, UNKNOWN
from reports.evaluation_report import METHOD, PROJECTION_METHOD, progress_text, target_label
from submissions.output import replaced_path
from submissions.paper import PrintedTable, set_up_printing

FILLS = {
    COMPLETED: "C6EFCE",
    EARLY: "C6EFCE",
    AHEAD: "C6EFCE",
    ON_TRACK: "DDEBF7",
    BEHIND: "FFEB9C",
    MISSED: "FFC7CE",
    UNKNOWN: "F2F2F2",
}
HEADER = [
    "指标",
    "属性",
    "单位",
    "规划目标",
    "区县",
    "实际值",
    "目标",
    "评判",
    "进度",
    "理由",
    "位置",
]


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
    summary.append([evaluation.headline()])
    summary.append([])
    header = [
        "指标",
        "属性",
        "单位",
        "规划目标",
        "全市值",
        "各区县分布",
        "评判",
        "理由",
        "已报区县",
    ]
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
        label = item.judgement.label + ("（暂定）" if item.provisional else "")
        summary.append(
            [ind.name, "约束性" if ind.binding else "预期性", ind.unit or "",
             target_label(ind), item.city_value, spread, label, item.judgement.reason,
             f"{item.reported}/{item.required}"]
        )  # fmt: skip
        summary.cell(summary.max_row, 7).fill = PatternFill("solid", fgColor=FILLS[item.klass])
        summary.cell(summary.max_row, 8).alignment = Alignment(wrap_text=True, vertical="top")
    notes = [f"评判方法：{METHOD}", PROJECTION_METHOD]
    for warning in evaluation.warnings:
        unit = warning.indicator.unit or ""
        notes.append(
            f"预警：{warning.indicator.name}（{warning.who}）{warning.projection.wording(unit)}"
        )
    for district, names in evaluation.summary()["lagging_binding"].items():
        notes.append(f"{district} 滞后或未完成的约束性指标：{'、'.join(names)}")
    if evaluation.missing_districts:
        notes.append(f"应报未报：{'、'.join(evaluation.missing_districts)}")
    if evaluation.unreadable_districts:
        notes.append(f"已报送但文件无法读取：{'、'.join(evaluation.unreadable_districts)}")
    summary.append([])
    for note in notes:
        summary.append([note])
    for letter, width in zip("ABCDEFGHI", (36, 8, 8, 20, 12, 30, 14, 60, 9), strict=True):
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
                judgement = standing.judgement
                sheet.append(
                    [ind.name, "约束性" if ind.binding else "预期性", ind.unit or "",
                     target_label(ind), standing.district, standing.value,
                     standing.target, judgement.label if judgement else "不单独考核",
                     progress_text(standing.progress),
                     judgement.reason if judgement else "计入全市合计", standing.cell or ""]
                )  # fmt: skip
                if standing.klass is not None:
                    fill = PatternFill("solid", fgColor=FILLS[standing.klass])
                    sheet.cell(sheet.max_row, 8).fill = fill
        widths = (32, 8, 8, 20, 10, 10, 10, 12, 8, 50, 16)
        for letter, width in zip("ABCDEFGHIJK", widths, strict=True):
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:K{sheet.max_row}"
        set_up_printing(sheet, PrintedTable(sheet.max_row, len(HEADER), (1, 1)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_path(path) as temporary:
        workbook.save(temporary)
    return path
