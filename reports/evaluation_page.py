"""The evaluation as one self-contained page: headline, classes with reasons, early warnings,
charts with their values, districts; printable on a few A4 pages."""

from __future__ import annotations

import datetime
from pathlib import Path

from markupsafe import Markup, escape

from expectations.evaluation import (
    NO_DATA,
    WRONG,
    DistrictStanding,
    Evaluation,
    IndicatorEvaluation,
)
from expectations.progress import (
    AHEAD,
    BEHIND,
    COMPLETED,
    EARLY,
    MISSED,
    ON_TRACK,
    UNKNOWN,
)
from reports.evaluation_report import METHOD, PROJECTION_METHOD, shown, target_label
from reports.html import environment
from submissions.output import write_text

# one colour and one short word per class, shared by the table, the matrix and the charts
CLASS_CLASSES = {
    COMPLETED: "ok",
    EARLY: "ok",
    AHEAD: "ok",
    ON_TRACK: "track",
    BEHIND: "warning",
    MISSED: "error",
    UNKNOWN: "none",
    None: "",
}
CLASS_SHORT = {
    COMPLETED: "完成",
    EARLY: "提前",
    AHEAD: "快于",
    ON_TRACK: "符合",
    BEHIND: "滞后",
    MISSED: "未完",
    UNKNOWN: "？",
    None: "·",
}
BAR_COLORS = {
    COMPLETED: "#2f855a",
    EARLY: "#2f855a",
    AHEAD: "#2f855a",
    ON_TRACK: "#3b6ea8",
    BEHIND: "#b7791f",
    MISSED: "#c0392b",
}


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
                    "class": CLASS_CLASSES[standing.klass],
                    "label": _short(standing),
                    "title": f"{item.indicator.name}：{_district_words(standing)}",
                }
            )
        matrix.append({"district": district, "cells": cells})
    binding_lagging = any(
        e.indicator.binding and e.klass in (BEHIND, MISSED) for e in evaluation.indicators
    )
    return {
        "title": f"{catalog.jurisdiction}“一老一小”规划目标完成情况（{evaluation.year}年）",
        "catalog_name": catalog.name,
        "year": evaluation.year,
        "generated": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "headline": evaluation.headline(),
        "headline_class": "error" if binding_lagging else "ok",
        "method": METHOD,
        "projection_method": PROJECTION_METHOD,
        "targets": summary["targets"],
        "lagging": summary["lagging_binding"],
        "wrong_data": summary["wrong_data"],
        "no_data": summary["no_data"],
        "missing": evaluation.missing_districts,
        "unreadable": evaluation.unreadable_districts,
        "indicators": [_indicator_row(item) for item in shown_items],
        "warnings": [
            {
                "name": w.indicator.name,
                "binding": w.indicator.binding,
                "who": w.who,
                "projected": shown(round(w.projection.value, 2)),
                "target": target_label(w.indicator),
                "gap": shown(round(w.projection.gap, 2)),
                "text": w.projection.wording(w.indicator.unit or ""),
            }
            for w in evaluation.warnings
        ],
        "projected": any(item.year < item.indicator.plan_target.year for item in shown_items),
        "warn_expected": evaluation.warn_expected,
        "columns": [item.indicator.name for item in shown_items],
        "matrix": matrix,
        "details_rows": sum(len(item.districts) for item in shown_items),
        "charts": [
            {"name": item.indicator.name, "caption": _caption(item), "svg": svg}
            for item in evaluation.indicators
            if item.indicator.binding and (svg := _chart(item))
        ],
    }


def _worth_showing(item: IndicatorEvaluation) -> bool:
    """Required indicators always; an optional one (选填) when some district reported it."""
    return item.indicator.required or any(s.value is not None for s in item.districts)


def _short(standing: DistrictStanding) -> str:
    if standing.standing == WRONG:
        return "有误"
    if standing.standing == NO_DATA:
        return "未报" if standing.judgement and standing.judgement.reason == "未报" else "无"
    return CLASS_SHORT[standing.klass]


def _district_words(standing: DistrictStanding) -> str:
    if standing.judgement is None:
        return f"{shown(standing.value)}（计入全市合计，不单独考核）"
    return f"{standing.judgement.label}：{standing.judgement.reason}"


def city_value_text(item: IndicatorEvaluation) -> str:
    unit = item.indicator.unit or ""
    if item.city_value is not None:
        return f"{shown(round(item.city_value, 2))}{unit}"
    if item.distribution:
        d = item.distribution
        if d["min"] == d["max"]:
            return f"各区县均为 {shown(d['min'])}{unit}"
        return f"各区县 {shown(d['min'])}～{shown(d['max'])}{unit}"
    return "—"


def _indicator_row(item: IndicatorEvaluation) -> dict:
    ind = item.indicator
    return {
        "code": ind.code,
        "name": ind.name,
        "unit": ind.unit or "",
        "binding": ind.binding,
        "domain": ind.domain,
        "year": item.year,
        "target": target_label(ind),
        "city": city_value_text(item),
        "class": item.klass,
        "class_label": item.judgement.label + ("（暂定）" if item.provisional else ""),
        "css": CLASS_CLASSES[item.klass],
        "reason": item.judgement.reason,
        "projection": (
            item.projection.wording(ind.unit or "") if item.projection is not None else ""
        ),
        "reported": f"{item.reported}/{item.required}",
        "districts": [
            {
                "district": s.district,
                "value": shown(s.value),
                "target": shown(s.target) + ("（本区县）" if s.own_target else ""),
                "label": s.judgement.label if s.judgement else "不单独考核",
                "reason": s.judgement.reason if s.judgement else "计入全市合计",
                "class": CLASS_CLASSES[s.klass],
                "cell": s.cell or "",
            }
            for s in item.districts
        ],
    }


def _caption(item: IndicatorEvaluation) -> str:
    city = city_value_text(item)
    label = item.judgement.label + ("（暂定）" if item.provisional else "")
    return f"{item.indicator.name}　全市 {city}，{label}"


def _chart(item: IndicatorEvaluation) -> Markup | None:
    """Every district as a bar with its value; those with no usable value drawn as an empty,
    labelled slot (未报, 有误, 无); the target as a labelled dashed line (one per bar when each
    district is asked its own). An inline SVG, no chart library, no script."""
    slots = item.districts
    references = [s.target if s.target is not None else s.asked for s in slots]
    known = [r for r in references if r is not None]
    if not known and item.indicator.judged_per_district:
        known = [item.indicator.plan_target.value]
    values = [s.value for s in slots if s.value is not None and s.standing != WRONG]
    if not slots or not (values or known):
        return None
    width, height, pad, bottom, top_pad = 520, 170, 8, 30, 16
    top = max(values + known + [1e-9])
    step = (width - 2 * pad) / len(slots)
    scale = (height - bottom - top_pad) / top
    base_y = height - bottom
    parts = [
        f'<svg class="evaluation-chart" width="100%" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(item.indicator.name)}：各区县数值与目标">',
        f'<line x1="{pad}" y1="{base_y}" x2="{width - pad}" y2="{base_y}" stroke="#999"/>',
    ]
    single = len(set(known)) == 1 and all(r is not None for r in references)
    for position, standing in enumerate(slots):
        x = pad + position * step
        middle = x + step / 2
        name = standing.district
        usable = standing.value is not None and standing.standing != WRONG
        if usable:
            value = standing.value or 0.0
            h = max(value * scale, 0.5)
            color = BAR_COLORS.get(standing.klass or "", "#8a9bb0")
            parts.append(
                Markup(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                    "<title>{}：{}</title></rect>"
                    '<text class="value" x="{:.1f}" y="{:.1f}" font-size="9" '
                    'text-anchor="middle">{}</text>'
                ).format(
                    x + step * 0.15,
                    base_y - h,
                    step * 0.7,
                    h,
                    color,
                    name,
                    _district_words(standing),
                    middle,
                    base_y - h - 3,
                    shown(round(value, 2)),
                )
            )
        else:
            word = _short(standing)
            parts.append(
                Markup(
                    '<rect class="absent" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" '
                    'fill="none" stroke="#999" stroke-dasharray="3 2"><title>{}：{}</title></rect>'
                    '<text class="absent" x="{:.1f}" y="{:.1f}" font-size="9" fill="#c0392b" '
                    'text-anchor="middle">{}</text>'
                ).format(
                    x + step * 0.15,
                    base_y - 24,
                    step * 0.7,
                    24,
                    name,
                    _district_words(standing),
                    middle,
                    base_y - 9,
                    word,
                )
            )
        parts.append(
            Markup(
                '<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle">{}<title>{}</title>'
                "</text>"
            ).format(middle, height - 14, name[:3], name)
        )
        reference = references[position]
        if not single and reference is not None:
            y = base_y - reference * scale
            parts.append(
                f'<line x1="{x + 2:.1f}" y1="{y:.1f}" x2="{x + step - 2:.1f}" y2="{y:.1f}" '
                'stroke="#245a9a" stroke-width="1.5" stroke-dasharray="4 2"/>'
            )
    unit = item.indicator.unit or ""
    if single:
        y = base_y - known[0] * scale
        parts.append(
            f'<line class="target" x1="{pad}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" '
            'stroke="#245a9a" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        parts.append(
            Markup(
                '<text class="target" x="{}" y="{:.1f}" font-size="10" fill="#245a9a" '
                'text-anchor="end">目标 {}{}</text>'
            ).format(width - pad, max(y - 3, 10), shown(known[0]), unit)
        )
    else:
        parts.append(
            Markup(
                '<text class="target" x="{}" y="12" font-size="10" fill="#245a9a" '
                'text-anchor="end">虚线：各区县的目标</text>'
            ).format(width - pad)
        )
    parts.append(
        Markup('<text x="{}" y="{}" font-size="9" fill="#666">单位：{}</text>').format(
            pad, height - 2, unit or "—"
        )
    )
    parts.append("</svg>")
    return Markup("").join(Markup(p) if isinstance(p, str) else p for p in parts)
