"""Rules, one module per kind, registered in one explicit table."""

from expectations.rules import (
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

# Row rules run through pandera, in this order; table rules run over whole submissions.
ROW_RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        required.RULE,
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
RULES: dict[str, Rule | TableRule] = {**ROW_RULES, **TABLE_RULES}

__all__ = ["ROW_RULES", "RULES", "TABLE_RULES", "Rule", "TableRule"]
