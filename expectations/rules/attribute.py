"""Level 2 `attribute`: 指标属性 written in the sheet differs from the catalog's."""

from expectations.rules.base import Expect, Rule, held, quoted

LABELS = {"binding": "约束性", "expected": "预期性"}


def _expects(catalog) -> list[Expect]:
    # `attribute_read` is what the sheet says, folded once when the table is built
    # (submissions.reading.layout.read_attribute): "约 束 性" and "约束性指标" are binding
    expects = []
    for attribute, label in LABELS.items():
        codes = [i.code for i in catalog.indicators if i.attribute == attribute]
        if codes:
            expects.append(
                Expect(
                    "attribute_read", "in_set", f"indicator in {quoted(codes)}",
                    value_set=(attribute,), note=f"指标属性为{label}",
                )
            )  # fmt: skip
    return expects


def _describe(row, extra: dict) -> tuple[str, str]:
    expected = LABELS["binding" if row.binding else "expected"]
    return f"“{row.attribute_written}”", expected


RULE = Rule(
    code="attribute.mismatch",
    category="attribute",
    level=2,
    title="指标属性必须与指标体系一致（不能把约束性指标改为预期性）",
    template="{name} 的指标属性填写为{found}，指标体系规定为“{expected}”",
    passes=held(_expects),
    describe=_describe,
    cell_column="attribute_cell",
    expects=_expects,
)
