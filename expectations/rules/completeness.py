"""Level 2 `missing`: a required indicator with no row at all in a district's submission."""

from expectations.rules.base import TableRule
from submissions import Finding, severity_for
from submissions.codes import combinations, present
from submissions.layout import text_or_none


def _run(t, catalog, submissions) -> list:
    findings = []
    required = [ind for ind in catalog.indicators if ind.required]
    seen: dict[tuple, set] = {}
    # the distinct (file, district, indicator) combinations, not every row
    for file, district, code in combinations(t["file"], t["district"], t["indicator"])[1]:
        if code is not None:
            seen.setdefault((file, text_or_none(district)), set()).add(code)
    for submission in submissions:
        if submission.unreadable or submission.table.empty:
            continue
        column = submission.table["district"]
        districts = present(column) + ([None] if column.isna().any() else [])
        for district in districts:
            codes = seen.get((submission.file, text_or_none(district)), set())
            for ind in required:
                if ind.code in codes:
                    continue
                where = f"{district}的" if district == district and district else ""
                findings.append(
                    Finding(
                        rule="indicator.missing",
                        category="missing",
                        severity=severity_for("missing"),
                        file=submission.file,
                        district=district if district == district else None,
                        indicator=ind.code,
                        indicator_name=ind.name,
                        expected=f"填报“{ind.label}”一行",
                        message=f"{where}填报表缺少指标“{ind.name}”：表中没有这一行（也没有其别名）",
                    )
                )
    return findings


RULE = TableRule(
    code="indicator.missing",
    category="missing",
    level=2,
    title="指标体系中的每个必填指标都要填报",
    run=_run,
)
