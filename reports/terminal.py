"""A readable Chinese summary on the terminal when no --json is asked for."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from submissions import ERROR, SEVERITY_LABELS, WARNING

if TYPE_CHECKING:  # types only: nothing here runs rules
    from expectations.engine import Outcome

STATUS_LABELS = {"ok": "通过", "warning": "有警告", "error": "有错误", "unreadable": "无法读取"}
SHOWN_PER_FILE = 30


def _by_rule(overview) -> list[str]:
    """Each rule's count and its first cells: what a long list is made of, in a few lines
    (from the findings table: no message is written for this)."""
    from expectations.rules import rule_title

    lines = []
    counts = Counter(overview["rule"].astype(object).tolist())
    placed = overview[overview["cell"].notna()]
    for rule, count in counts.most_common():
        first = placed[placed["rule"] == rule].head(5)
        cells = zip(first["sheet"], first["cell"], strict=True)
        where = "、".join(f"{sheet}!{cell}" for sheet, cell in cells)
        lines.append(f"    {rule_title(rule)} {count} 条" + (f"（{where} 等）" if where else ""))
    return lines


def summary(outcome: Outcome) -> str:
    lines = []
    for result in outcome.results:
        sub = result.submission
        who = " ".join(str(x) for x in (sub.district, f"{sub.year}年" if sub.year else None) if x)
        lines.append(
            f"【{STATUS_LABELS[result.status]}】{sub.file}  {who}  "
            f"错误 {result.count(ERROR)} 条，警告 {result.count(WARNING)} 条"
        )
        for finding in result.first(SHOWN_PER_FILE):
            line = f"  [{SEVERITY_LABELS[finding.severity]}] {finding.message}"
            if finding.explanation:
                line += f"（备注：{finding.explanation}）"
            lines.append(line)
        if len(result) > SHOWN_PER_FILE:
            more = len(result) - SHOWN_PER_FILE
            lines.append(f"  ……另有 {more} 条，用 --json 或 --csv 查看全部；按规则：")
            lines.extend(_by_rule(result.overview))
    if outcome.batch_findings:
        lines.append("【跨区县检查】")
        for finding in outcome.batch_findings:
            lines.append(f"  [{SEVERITY_LABELS[finding.severity]}] {finding.message}")
    total = len(outcome.results)
    failed = sum(1 for r in outcome.results if r.status in ("error", "unreadable"))
    lines.append(f"共 {total} 个文件，{failed} 个有错误或无法读取。")
    return "\n".join(lines)
