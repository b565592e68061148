"""An evaluation written for people and programs: its JSON document and its terminal summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.progress import CLASS_LABELS, ON_TRACK_TOLERANCE, progress_words
from indicators import format_number
from indicators.model import SCOPE_LABELS

if TYPE_CHECKING:
    from expectations.evaluation import Evaluation
    from expectations.progress import Progress, Projection
    from indicators import Indicator

# How the classes are decided, in the words the page, the Word draft and the JSON carry.
METHOD = (
    f"目标年已到：达到目标为“已完成”，未达到为“未完成”（写明差距）。目标年之前：已达到目标为"
    f"“提前实现”（要求保持的指标保持住为“基本符合预期”）；否则比较完成进度（实际值 − 基期值）÷"
    f"（目标值 − 基期值）与时序进度（评估年 − 基期年）÷（目标年 − 基期年）：高出 "
    f"{ON_TRACK_TOLERANCE * 100:.0f} 个百分点以上为“快于预期”，相差不超过 "
    f"{ON_TRACK_TOLERANCE * 100:.0f} 个百分点为“基本符合预期”，落后更多为“滞后”。"
    "缺数据或数据有误、结论会因未报区县而改变时为“无法判定”，并写明原因。"
)
PROJECTION_METHOD = (
    "预警：对每个区县和全市，用基期及各年实际值（至少两个年度）做最小二乘直线拟合，外推到目标年；"
    "预计达不到目标的列出预计值和差距。"
)


def judgement_document(judgement: Progress | None) -> dict:
    if judgement is None:
        return {"class": None, "class_label": "不单独考核", "reason": ""}
    return {
        "class": judgement.klass,
        "class_label": judgement.label,
        "reason": judgement.reason,
    }


def projection_document(projection: Projection | None, unit: str) -> dict | None:
    if projection is None:
        return None
    return {
        "year": projection.year,
        "value": round(projection.value, 4),
        "slope": round(projection.slope, 4),
        "points": projection.points,
        "met": projection.met,
        "gap": round(projection.gap, 4),
        "text": projection.wording(unit),
    }


def evaluation_document(evaluation: Evaluation) -> dict:
    """The JSON documented in the README (pinned by a test)."""
    indicators = []
    for item in evaluation.indicators:
        ind = item.indicator
        indicators.append(
            {
                "code": ind.code,
                "name": ind.name,
                "unit": ind.unit,
                "domain": ind.domain,
                "binding": ind.binding,
                "year": item.year,
                "scope": ind.plan_target.scope,
                **judgement_document(item.judgement),
                "provisional": item.provisional,
                "lacking": item.lacking,
                "projection": projection_document(item.projection, ind.unit or ""),
                "city": {
                    "value": item.city_value,
                    "target": ind.plan_target.value,
                    "comparator": ind.plan_target.comparator,
                    "text": ind.plan_target.text,
                    "target_year": ind.plan_target.year,
                    "met": item.city_met,
                    "reported": item.reported,
                    "required": item.required,
                    "distribution": item.distribution,
                },
                "districts": [
                    {
                        "district": s.district,
                        "value": s.value,
                        "target": s.target,
                        "own_target": s.own_target,
                        "met": s.met,
                        "status": s.standing,
                        "progress": None if s.progress is None else round(s.progress, 4),
                        "cell": s.cell,
                        **judgement_document(s.judgement),
                        "projection": projection_document(s.projection, ind.unit or ""),
                    }
                    for s in item.districts
                ],
            }
        )
    return {
        "catalog": evaluation.catalog.id,
        "year": evaluation.year,
        "headline": evaluation.headline(),
        "method": {
            "classes": CLASS_LABELS,
            "on_track_tolerance": ON_TRACK_TOLERANCE,
            "text": METHOD,
            "projection": PROJECTION_METHOD,
        },
        "warnings": [
            {
                "code": w.indicator.code,
                "name": w.indicator.name,
                "binding": w.indicator.binding,
                "who": w.who,
                **(projection_document(w.projection, w.indicator.unit or "") or {}),
            }
            for w in evaluation.warnings
        ],
        "summary": evaluation.summary(),
        "indicators": indicators,
        "missing_districts": evaluation.missing_districts,
        "unreadable_districts": evaluation.unreadable_districts,
    }


def shown(value: float | None) -> str:
    return "—" if value is None else format_number(value)


def target_label(indicator: Indicator) -> str:
    """The plan's words where it has them ("81.5左右"), else comparator, number and unit."""
    target = indicator.plan_target
    text = target.text.strip()
    if text.replace(".", "", 1).isdigit():
        comparator = "" if target.comparator == "=" else f"{target.comparator} "
        text = f"{comparator}{text}{indicator.unit or ''}"
    if target.scope == "each_sub_unit":
        text = f"{SCOPE_LABELS[target.scope]} {text}"
    return f"{target.year}年 {text}"


def progress_text(progress: float | None) -> str:
    return progress_words(progress)


def evaluation_text(evaluation: Evaluation) -> str:
    """The summary a leader reads in a minute, for the terminal."""
    catalog = evaluation.catalog
    summary = evaluation.summary()
    lines = [f"{catalog.name} {evaluation.year}年目标完成情况", f"  {evaluation.headline()}"]
    for item in evaluation.indicators:
        ind = item.indicator
        if ind.binding and item.klass in ("behind", "missed", "unknown"):
            label = item.judgement.label + ("（暂定）" if item.provisional else "")
            lines.append(f"  {ind.name}〔约束性〕{label}：{item.judgement.reason}")
    for district, names in summary["lagging_binding"].items():
        lines.append(f"  {district} 滞后或未完成的约束性指标：{'、'.join(names)}")
    for warning in evaluation.warnings:
        unit = warning.indicator.unit or ""
        lines.append(
            f"  预警：{warning.indicator.name}（{warning.who}）{warning.projection.wording(unit)}"
        )
    if evaluation.missing_districts:
        lines.append(f"  应报未报：{'、'.join(evaluation.missing_districts)}")
    if evaluation.unreadable_districts:
        lines.append(f"  已报送但文件无法读取：{'、'.join(evaluation.unreadable_districts)}")
    if summary["wrong_data"]:
        lines.append(f"  数据有误 {len(summary['wrong_data'])} 处（见评估表）")
    if summary["no_data"]:
        lines.append(f"  无数据 {len(summary['no_data'])} 处（见评估表）")
    return "\n".join(lines)
