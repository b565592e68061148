"""Level 0 `target`: a report for a year after the plan's last target year (the plan has ended)."""

from expectations.rules.base import TableRule
from submissions import Finding, severity_for


def _run(t, catalog, submissions) -> list:
    last = catalog.last_target_year
    findings = []
    for submission in submissions:
        if submission.unreadable or submission.year is None or submission.year <= last:
            continue
        findings.append(
            Finding(
                rule="year.after_plan",
                category="target",
                severity=severity_for("target", binding=False),
                file=submission.file,
                district=submission.district,
                year=submission.year,
                value=f"{submission.year}年",
                expected=f"不晚于 {last} 年（{catalog.name}的规划期）",
                message=(
                    f"填报年度 {submission.year} 年已在《{catalog.name}》的规划期之后"
                    f"（最后的目标年为 {last} 年）：仍按这一期的指标体系校验；"
                    "新一期规划的指标体系发布后，请改用新的指标体系"
                ),
            )
        )
    return findings


RULE = TableRule(
    code="year.after_plan",
    category="target",
    level=0,
    title="填报年度在规划期之内",
    run=_run,
)
