"""An evaluation written for people and programs: its JSON document and its terminal summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators import format_number
from indicators.model import SCOPE_LABELS

if TYPE_CHECKING:
    from expectations.evaluation import Evaluation
    from indicators import Indicator


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
                    }
                    for s in item.districts
                ],
            }
        )
    return {
        "catalog": evaluation.catalog.id,
        "year": evaluation.year,
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
    return "" if progress is None else f"{progress:.0%}"


def evaluation_text(evaluation: Evaluation) -> str:
    """The summary a leader reads in a minute, for the terminal."""
    catalog = evaluation.catalog
    summary = evaluation.summary()
    lines = [f"{catalog.name} {evaluation.year}年目标完成情况"]
    for key, label in (("binding", "约束性"), ("expected", "预期性")):
        c = summary["targets"][key]
        lines.append(
            f"  {label}指标 {c['total']} 项：全市达标 {c['met']} 项，未达标 {c['unmet']} 项，"
            f"无法判定 {c['not_judged']} 项（数据不全或不按全市合计考核）"
        )
    for item in evaluation.indicators:
        ind = item.indicator
        if item.city_met is False:
            if item.distribution:
                d = item.distribution
                found = f"{d['of'] - d['meeting']}/{d['of']} 个区县未达到"
            else:
                found = f"全市合计 {shown(item.city_value)}"
            lines.append(
                f"  全市未达标：{ind.name}（{found}，目标 {target_label(ind)}）"
                + ("〔约束性〕" if ind.binding else "")
            )
    for district, names in summary["lagging_binding"].items():
        lines.append(f"  {district} 未达到的约束性指标：{'、'.join(names)}")
    if evaluation.missing_districts:
        lines.append(f"  应报未报：{'、'.join(evaluation.missing_districts)}")
    if evaluation.unreadable_districts:
        lines.append(f"  已报送但文件无法读取：{'、'.join(evaluation.unreadable_districts)}")
    if summary["wrong_data"]:
        lines.append(f"  数据有误 {len(summary['wrong_data'])} 处（见评估表）")
    if summary["no_data"]:
        lines.append(f"  无数据 {len(summary['no_data'])} 处（见评估表）")
    return "\n".join(lines)
