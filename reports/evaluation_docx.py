"""A Word draft of the evaluation report (评估报告初稿): headline, indicator table with class and
reason, lagging and early-warning lists, data-quality notes; written with python-docx."""

from __future__ import annotations

import datetime
from pathlib import Path

from expectations.evaluation import Evaluation
from expectations.progress import BEHIND, MISSED, UNKNOWN
from reports.evaluation_page import city_value_text
from reports.evaluation_report import METHOD, PROJECTION_METHOD, target_label
from submissions.output import replaced_path

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def write_evaluation_docx(evaluation: Evaluation, path: Path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    section.top_margin = section.bottom_margin = Cm(2.2)

    def east_asian(style, font: str, size: float) -> None:
        style.font.name = font
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)

    east_asian(document.styles["Normal"], BODY_FONT, 11)
    for name in ("Title", "Heading 1", "Heading 2"):
        east_asian(document.styles[name], HEADING_FONT, {"Title": 18}.get(name, 14))

    catalog = evaluation.catalog
    document.add_heading(
        f"{catalog.jurisdiction}“一老一小”规划{evaluation.year}年目标完成情况评估报告（初稿）", 0
    )
    document.add_paragraph(
        f"依据：{catalog.name}。本稿由填报校验工具根据各区县报送的数据于"
        f"{datetime.date.today():%Y年%m月%d日}生成，数字和结论请核对后使用。"
    )

    document.add_heading("一、总体情况", 1)
    document.add_paragraph(evaluation.headline() + "。")
    _bullets(document, _silent(evaluation))

    document.add_heading("二、各项指标完成情况", 1)
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, title in zip(
        table.rows[0].cells, ("指标", "属性", "规划目标", "全市", "评判", "理由"), strict=True
    ):
        cell.text = title
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for item in evaluation.indicators:
        ind = item.indicator
        row = table.add_row().cells
        texts = (
            ind.name,
            "约束性" if ind.binding else "预期性",
            target_label(ind),
            city_value_text(item),
            item.judgement.label + ("（暂定）" if item.provisional else ""),
            item.judgement.reason,
        )
        for cell, text in zip(row, texts, strict=True):
            cell.text = text
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    # LibreOffice lays a table out by its grid columns, Word by each cell's width: set both
    table.autofit = False
    widths = [Cm(w) for w in (3.2, 1.5, 2.3, 2.0, 2.0, 6.0)]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width

    document.add_heading("三、滞后和未完成的指标", 1)
    lagging = [
        f"{item.indicator.name}{'（约束性）' if item.indicator.binding else ''}："
        f"{item.judgement.label}{'（暂定）' if item.provisional else ''}。{item.judgement.reason}"
        for item in evaluation.indicators
        if item.klass in (BEHIND, MISSED)
    ]
    for district, names in evaluation.summary()["lagging_binding"].items():
        lagging.append(f"{district}滞后或未完成的约束性指标：{'、'.join(names)}。")
    _bullets(document, lagging or ["全市没有滞后或未完成的指标。"])

    document.add_heading("四、预警", 1)
    document.add_paragraph(PROJECTION_METHOD)
    warnings = [
        f"{w.indicator.name}（{w.who}）：{w.projection.wording(w.indicator.unit or '')}。"
        for w in evaluation.warnings
    ]
    if not warnings:
        projected = any(i.year < i.indicator.plan_target.year for i in evaluation.indicators)
        warnings = [
            "按已报各年的实际值外推，没有预计达不到目标的约束性指标。"
            if projected
            else "评估年度已到目标年，按实际值评判，不再外推。"
        ]
    _bullets(document, warnings)

    document.add_heading("五、数据质量说明", 1)
    summary = evaluation.summary()
    notes = _silent(evaluation)
    if summary["wrong_data"]:
        notes.append(
            f"数据有误 {len(summary['wrong_data'])} 处：{'；'.join(summary['wrong_data'])}。"
        )
    if summary["no_data"]:
        notes.append(f"区县未填 {len(summary['no_data'])} 处。")
    unknown = [i.indicator.name for i in evaluation.indicators if i.klass == UNKNOWN]
    if unknown:
        notes.append(f"无法判定 {len(unknown)} 项（原因见第二部分）：{'、'.join(unknown)}。")
    provisional = [i.indicator.name for i in evaluation.indicators if i.provisional]
    if provisional:
        notes.append(
            f"按已报区县得出的暂定结论 {len(provisional)} 项，未报区县报来后可能改变："
            f"{'、'.join(provisional)}。"
        )
    notes.append(f"评判方法：{METHOD}")
    _bullets(document, notes)

    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_path(path) as temporary:
        document.save(str(temporary))
    return path


def _silent(evaluation: Evaluation) -> list[str]:
    lines = []
    if evaluation.missing_districts:
        lines.append(f"应报未报：{'、'.join(evaluation.missing_districts)}。")
    if evaluation.unreadable_districts:
        lines.append(f"已报送但文件无法读取：{'、'.join(evaluation.unreadable_districts)}。")
    return lines


def _bullets(document, lines: list[str]) -> None:
    for line in lines:
        document.add_paragraph(line, style="List Bullet")
