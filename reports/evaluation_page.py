"""The evaluation as one self-contained page: summary, citywide table, districts, charts."""

from __future__ import annotations

import datetime
from pathlib import Path

from markupsafe import Markup

from expectations.evaluation import (
    MET,
    NO_DATA,
    NOT_JUDGED,
    STANDING_LABELS,
    UNMET,
    WRONG,
    Evaluation,
    IndicatorEvaluation,
)
from reports.evaluation_report import progress_text, shown, target_label
from reports.html import environment
from submissions.output import write_text

STANDING_CLASSES = {MET: "ok", UNMET: "error", WRONG: "unreadable", NO_DATA: "none", NOT_JUDGED: ""}
CITY_LABELS = {True: "达标", False: "未达标", None: "无法判定"}
BAR_COLORS = {MET: "#2f855a", UNMET: "#c0392b"}  # others (not judged this year): grey


def write_evaluation_page(evaluation: Evaluation, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "evaluation.html"
    template = environment().get_template("evaluation.html")
    write_text(page, template.render(page=evaluation_page(evaluation)))
    return page


def evaluation_page(evaluation: Evaluation) -> dict:
    catalog = evaluation.catalog
    summary = evaluation.summary()
    units = (
        [s.district for s in evaluation.indicators[0].districts] if evaluation.indicators else []
    )
    shown_items = [item for item in evaluation.indicators if _worth_showing(item)]
    matrix = []
    for position, district in enumerate(units):
        cells = []
        for item in shown_items:
            standing = item.districts[position]
            cells.append(
                {
                    "class": STANDING_CLASSES[standing.standing],
                    "label": STANDING_LABELS[standing.standing],
                    "title": f"{item.indicator.name}：{shown(standing.value)}",
                }
            )
        matrix.append({"district": district, "cells": cells})
    return {
        "title": f"{catalog.jurisdiction}“一老一小”规划目标完成情况（{evaluation.year}年）",
        "catalog_name": catalog.name,
        "year": evaluation.year,
        "generated": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "targets": summary["targets"],
        "lagging": summary["lagging_binding"],
        "wrong_data": summary["wrong_data"],
        "no_data": summary["no_data"],
        "missing": evaluation.missing_districts,
        "unreadable": evaluation.unreadable_districts,
        "indicators": [_indicator_row(item) for item in shown_items],
        "columns": [item.indicator.name for item in shown_items],
        "matrix": matrix,
        "charts": [
            {"name": item.indicator.name, "svg": svg}
            for item in evaluation.indicators
            if item.indicator.binding and (svg := _chart(item))
        ],
    }


def _worth_showing(item: IndicatorEvaluation) -> bool:
    """Required indicators always; an optional one (选填) when some district reported it."""
    return item.indicator.required or any(s.value is not None for s in item.districts)


def _indicator_row(item: IndicatorEvaluation) -> dict:
    ind = item.indicator
    if item.distribution:
        d = item.distribution
        city = (
            f"最低 {shown(d['min'])}，中位 {shown(d['median'])}，最高 {shown(d['max'])}；"
            f"{d['meeting']}/{d['of']} 个区县达到全市目标"
        )
    else:
        city = shown(item.city_value)
    return {
        "name": ind.name,
        "unit": ind.unit or "",
        "binding": ind.binding,
        "domain": ind.domain,
        "year": item.year,
        "target": target_label(ind),
        "city": city,
        "met": CITY_LABELS[item.city_met],
        "met_class": {True: "ok", False: "error", None: "none"}[item.city_met],
        "reported": f"{item.reported}/{item.required}",
        "districts": [
            {
                "district": s.district,
                "value": shown(s.value),
                "target": shown(s.target) + ("（本区县）" if s.own_target else ""),
                "standing": STANDING_LABELS[s.standing],
                "class": STANDING_CLASSES[s.standing],
                "progress": progress_text(s.progress),
                "cell": s.cell or "",
            }
            for s in item.districts
        ],
    }


def _chart(item: IndicatorEvaluation) -> Markup | None:
    """Districts' values as bars against the target line (an inline SVG, no chart library)."""
    bars = [
        (s.district, s.value, s.standing)
        for s in item.districts
        if s.value is not None and s.standing != WRONG
    ]
    reference = next((s.target for s in item.districts if s.target is not None), None)
    if reference is None:
        reference = item.indicator.plan_target.value if item.indicator.judged_per_district else None
    if not bars or reference is None:
        return None
    width, height, pad, label = 560, 150, 6, 24
    top = max([v for _, v, _ in bars] + [reference]) or 1.0
    step = (width - 2 * pad) / len(bars)
    scale = (height - label - pad) / top
    parts = [
        f'<svg class="evaluation-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="各区县与目标">'
    ]
    for position, (district, value, standing) in enumerate(bars):
        x = pad + position * step
        h = value * scale
        y = height - label - h
        color = BAR_COLORS.get(standing, "#8a9bb0")  # as judged: the same tolerance as the table
        parts.append(
            Markup(
                '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                "<title>{}：{}</title></rect>"
                '<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle">{}</text>'
            ).format(
                x + step * 0.15,
                y,
                step * 0.7,
                h,
                color,
                district,
                shown(value),
                x + step / 2,
                height - 8,
                district[:3],
            )
        )
    target_y = height - label - reference * scale
    parts.append(
        f'<line x1="{pad}" y1="{target_y:.1f}" x2="{width - pad}" y2="{target_y:.1f}" '
        'stroke="#245a9a" stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    parts.append("</svg>")
    return Markup("").join(Markup(p) if isinstance(p, str) else p for p in parts)
