"""Rules, one module per kind, registered in one explicit table."""

from expectations.rules import (
    applicability,
    attribute,
    bounds,
    completeness,
    direction,
    districts,
    duplicate,
    integer,
    number,
    path,
    period,
    relation,
    required,
    revision,
    scale,
    target,
    unknown,
)
from expectations.rules.base import Rule, TableRule
from submissions.finding import READING_CODES, ReadingCode

# Row rules run through pandera, in this order; table rules run over whole submissions.
ROW_RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        required.RULE,
        applicability.RULE,
        number.RULE,
        integer.RULE,
        bounds.NEGATIVE,
        bounds.MAXIMUM,
        scale.FRACTION,
        scale.UNIT,
        unknown.RULE,
        duplicate.RULE,
        attribute.RULE,
        relation.RULE,
        direction.TARGET,
        direction.DECLINE,
        path.RULE,
        target.BELOW_CITY,
        target.UNMET,
        districts.OUTLIER,
    )
}
TABLE_RULES: dict[str, TableRule] = {
    rule.code: rule for rule in (period.RULE, completeness.RULE, revision.RULE, districts.AGGREGATE)
}
# Every code the tool emits: the findings of reading and intake (made where the file is read,
# an earlier stage), then the rules.
RULES: dict[str, Rule | TableRule | ReadingCode] = {**READING_CODES, **ROW_RULES, **TABLE_RULES}

# Rules whose instruction is not in a template's 填报说明: who uploads is the service's concern,
# and the districts' targets adding up to the city's is the city's.
NOT_IN_INSTRUCTIONS = frozenset({"district.account", "districts.aggregate"})

# What a person reads where a tool reads the code: pages, CSV, terminal and annotated copies.
RULE_TITLES: dict[str, str] = {code: rule.title for code, rule in RULES.items()}


def rule_title(code: str) -> str:
    return RULE_TITLES.get(code, code)


__all__ = ["ROW_RULES", "RULES", "RULE_TITLES", "TABLE_RULES", "Rule", "TableRule", "rule_title"]
