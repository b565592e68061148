"""What a clerk must do for each rule a filled-in sheet can break, in the words of the template's
填报说明: the template prints these, the rule table (expectations.rules) names each of its rules
here, and a test keeps the two the same set in the same order, so the instructions cannot
drift from the checks."""

from __future__ import annotations

# rule code → the sentence in 填报说明, in the rule table's order
CLERK_WORDS: dict[str, str] = {
    "file.unreadable": "上传 Excel（.xlsx、.xls）或 CSV 文件，不要设打开密码。",
    "table.not_found": "不要改动表头（序号、指标、单位和各年度列）和表的位置。",
    "district.missing": "填报单位写在表头“填报单位：”之后（或文件名里），不要删改。",
    "year.missing": "填报年度写在标题或文件名里（如“2025年”），不要删改。",
    "district.unknown": "填报单位写下方“报送单位”名单中的名称。",
    "summary.total": "汇总表的“合计”（全市）应等于各区县之和（可以相加的数量、金额）。",
    "value.required": "数值格不能空着；确实没有数据的格填“—”，并在“备注”列写明原因。",
    "value.not_applicable": (
        "本单位确实没有的指标（如城区没有乡镇），数值格填“—”并在“备注”列写明原因（如“本区无乡镇”），"
        "由审核人确认；只填“—”不写原因，仍算未填。"
    ),
    "value.number": (
        "数值格只填数字；也可以写“2.6万”“55%以上”“81.5左右”，不要写“待统计”“见附件”这类文字。"
    ),
    "count.integer": "数量类指标（个、张、所、人等）填整数。",
    "value.negative": "数值不能是负数。",
    "value.max": "百分比不超过 100；其他指标不超过“指标一览”中写明的上限。",
    "percent.fraction": "百分比填百分数：93.2 表示 93.2%，不要填 0.932。",
    "unit.mismatch": "按表中的单位填写；写了“万”“亿”的数会自动换算。",
    "indicator.unknown": "不要改动指标名称，也不要增加表中没有的指标行。",
    "indicator.duplicate": "每个指标只填一行，不要复制行。",
    "attribute.mismatch": "“指标属性”列不要改动：约束性指标不能改为预期性。",
    "relation": ("相互包含的指标要对得上：部分不能大于整体（见下方“指标之间的关系”）。"),
    "target.direction": (
        "本区县的目标不能低于本区县自己的基期值（要提高的指标；要降低的指标不能高于基期值），"
        "直接抄全市目标时要先和本区县的基期值比一比。"
    ),
    "trend.decline": "实际值与上年相比反向变化（该提高的下降了）时，在“备注”列写明原因。",
    "path.outlier": (
        "实际值明显偏离从基期到目标的进度时（常见是多写或少写一个 0、百分数多乘了 100），请核对。"
    ),
    "target.below_city": "约束性指标的区县目标不能低于全市对每个区县的要求。",
    "target.unmet": "目标年度的实际值应达到目标；没有达到时在“备注”列写明原因。",
    "districts.outlier": "数值与其他区县相差很大时请核对；确实如此的在“备注”列说明。",
    "year.after_plan": "填报年度应在规划期之内（规划期之后的年度照常校验，但会提示）。",
    "indicator.missing": "每个必填指标都要填报，不要删除指标行。",
    "value.revised": "以前年度已经报送的数值如需改动，在“备注”列写明改动的原因。",
}
