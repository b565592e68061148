"""Level 2 `missing`: a required indicator with no row at all in a district's submission."""

import numpy as np

from expectations.rules.base import TableRule
from submissions import Finding, severity_for
from submissions.codes import group_codes, index_in
from submissions.reading.layout import text_or_none


def _run(t, catalog, submissions) -> list:
    """Per (file, district), which required indicators have no row: a districts × indicators
    table of flags, so that a 3,000-district long file is not walked in Python."""
    required = [ind for ind in catalog.indicators if ind.required]
    if t.empty or not required:
        return []
    group, first = group_codes(t["file"], t["district"])
    position = index_in(t["indicator"], [ind.code for ind in required])
    present = np.zeros((len(first), len(required)), dtype=bool)
    known = position >= 0
    present[group[known], position[known]] = True
    files, districts = t["file"].to_numpy(object), t["district"].to_numpy(object)
    findings = []
    for incomplete in np.flatnonzero(~present.all(axis=1)).tolist():
        file, district = files[first[incomplete]], text_or_none(districts[first[incomplete]])
        if district and catalog.district(district) is None:
            continue  # not one of the catalog's districts: said once, where its name is written
        where = f"{district}的" if district else ""
        for slot in np.flatnonzero(~present[incomplete]).tolist():
            ind = required[slot]
            if district in ind.not_applicable:
                continue  # the catalog says it does not apply here
            findings.append(
                Finding(
                    rule="indicator.missing",
                    category="missing",
                    severity=severity_for("missing"),
                    file=file,
                    district=district,
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
