"""The review page of a drafted catalog: the plan with its targets marked, beside the entries."""

from __future__ import annotations

from pathlib import Path

from indicators.drafting import Draft
from indicators.model import SCOPE_LABELS
from indicators.notation import format_number
from reports.html import environment
from submissions.output import write_text


def write_draft_page(path: Path, result: Draft, document: dict) -> Path:
    template = environment().get_template("draft.html")
    write_text(path, template.render(page=draft_page(result, document)))
    return path


def draft_page(result: Draft, document: dict) -> dict:
    """The plan cut into plain and marked pieces (targets numbered, relative goals, sentences
    that name a year and a number but gave no target), and one row per drafted entry."""
    entries = [i for i in document["indicators"] if i.get("target")]
    marks: list[tuple[int, int, str, int | None]] = []
    for number, target in enumerate(result.targets, 1):
        marks.append((target.start, target.end, "target", number))
    taken = [(a, b) for a, b, _kind, _n in marks]
    for goal in result.goals:
        if not any(a < goal.end and goal.start < b for a, b in taken):
            marks.append((goal.start, goal.end, "goal", None))
            taken.append((goal.start, goal.end))
    for start, end in result.unread:
        if not any(a < end and start < b for a, b in taken):
            marks.append((start, end, "unread", None))
    marks.sort()
    pieces: list[dict] = []
    position = 0
    for start, end, kind, label in marks:
        if start < position:
            continue
        pieces.append({"text": result.text[position:start], "kind": None})
        pieces.append({"text": result.text[start:end], "kind": kind, "number": label})
        position = end
    pieces.append({"text": result.text[position:], "kind": None})
    rows = []
    for number, entry in enumerate(entries, 1):
        target = entry["target"]
        value = format_number(target["value"])
        if target.get("high") is not None:
            value = f"{value}～{format_number(target['high'])}"
        rows.append(
            {
                "number": number,
                "code": entry["code"],
                "name": entry["name"],
                "unit": entry.get("unit") or "",
                "year": target["year"],
                "comparator": "" if target["comparator"] == "range" else target["comparator"],
                "value": value,
                "text": target["text"],
                "scope": SCOPE_LABELS[target.get("scope", "city")],
                "attribute": {"binding": "约束性", "expected": "预期性"}[entry["attribute"]],
                "baseline": (
                    f"{entry['baseline']['year']}年 {format_number(entry['baseline']['value'])}"
                    if entry.get("baseline")
                    else ""
                ),
                "review": entry.get("review", []),
            }
        )
    return {
        "title": f"指标体系草稿核对：{document['name']}",
        "catalog_id": document["id"],
        "seed": document["seed"],
        "sha256": document["seed_sha256"],
        "period": f"{result.first_year or '—'}—{result.final_year}",
        "pieces": pieces,
        "rows": rows,
        "pending": sum(1 for row in rows if row["review"]) + len(document.get("review", [])),
        "catalog_review": document.get("review", []),
        "goals": [{"words": g.words, "quote": g.quote} for g in result.goals],
        "unread": [result.text[a:b] for a, b in result.unread],
    }
