"""Declarative catalog models: what a jurisdiction asks its districts to report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from indicators.text import fold_text

Domain = Literal["养老", "托育", "综合"]
Kind = Literal["count", "percent", "rate", "amount", "years", "area", "ratio"]
Attribute = Literal["binding", "expected"]
Direction = Literal["increase", "decrease", "maintain"]
Comparator = Literal["≥", ">", "≤", "<", "≈", "range", "="]

ATTRIBUTE_LABELS: dict[str, str] = {"binding": "约束性", "expected": "预期性"}
KIND_LABELS: dict[str, str] = {
    "count": "数量",
    "percent": "百分比",
    "rate": "比率",
    "amount": "金额",
    "years": "年数",
    "area": "面积",
    "ratio": "比值",
}
DIRECTION_LABELS: dict[str, str] = {"increase": "提高", "decrease": "降低", "maintain": "保持"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    seed: str
    quote: str


class Baseline(Strict):
    year: int
    value: float
    text: str | None = None


Scope = Literal["city", "each_district", "each_sub_unit"]
SCOPE_LABELS: dict[str, str] = {
    "city": "全市",
    "each_district": "每个区县",
    "each_sub_unit": "每个街道（乡镇）",
}


class Target(Strict):
    year: int
    value: float
    comparator: Comparator = "≥"
    high: float | None = None
    text: str
    tolerance: float | None = Field(
        default=None, description="≈ 目标的允许偏差（与指标同单位）；缺省时用指标体系的相对容差"
    )
    scope: Scope = Field(
        default="city",
        description=(
            "city：全市合计或全市比率，不逐个评判区县；each_district：每个区县自己的数值都要达到"
            "（各县区至少建有1所）；each_sub_unit：每个街道（乡镇）都要达到，区县的数量按它填报的"
            "街道（乡镇）个数评判（每个街道1个 → 不少于街道数 × 1）"
        ),
    )
    units: str | None = Field(
        default=None,
        description="each_sub_unit：区县填报其街道（乡镇）个数的指标代码（该指标不设目标）",
    )

    @model_validator(mode="after")
    def _units_with_sub_unit_scope(self) -> Target:
        if self.scope == "each_sub_unit" and not self.units:
            raise ValueError("scope 为 each_sub_unit 时须用 units 指明街道（乡镇）个数的指标")
        if self.units and self.scope != "each_sub_unit":
            raise ValueError("只有 scope 为 each_sub_unit 的目标才有 units")
        return self


class Increment(Strict):
    """A target for what is added over the period ("新增护理型床位1.2万张"), not for a level:
    what a district's figures are summed into before they are compared with it."""

    reported: Literal["yearly", "level"] = Field(
        description=(
            "yearly：区县每年填报当年的新增数，目标年度比较 since 之后各年新增之和；"
            "level：区县填报总量，目标年度比较总量减去 since 年（基期）的总量"
        )
    )
    since: int = Field(description="从哪一年之后起算新增（基期年：2021 即计 2022 年起的新增）")


class Relation(Strict):
    """This indicator's value compared with another indicator of the same district and year."""

    op: Literal["≤", "<", "≥", ">"]
    other: str
    reason: str


class Composition(Strict):
    """How the city's own rate is made from what the districts report: a numerator and a
    denominator summed over the districts (城市护理型床位占比 = Σ护理型床位 ÷ Σ机构床位 × 100),
    or the districts' rates weighted by a count (常住人口)."""

    numerator: str | None = Field(default=None, description="分子：各区县相加的数量指标代码")
    denominator: str | None = Field(default=None, description="分母：各区县相加的数量指标代码")
    weight: str | None = Field(
        default=None, description="权数：各区县的比率按这个数量指标加权平均（与分子分母二选一）"
    )
    scale: float = Field(default=1.0, gt=0, description="分子 ÷ 分母 × scale，百分比为 100")

    @model_validator(mode="after")
    def _one_form(self) -> Composition:
        fraction = self.numerator is not None and self.denominator is not None
        if fraction == (self.weight is not None) or (
            not fraction and (self.numerator or self.denominator)
        ):
            raise ValueError(
                "composition 须写分子和分母（numerator、denominator），或只写权数 weight"
            )
        return self

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for p in (self.numerator, self.denominator, self.weight) if p)


class Indicator(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    aliases: tuple[str, ...] = ()
    domain: Domain
    unit: str | None
    kind: Kind
    per: str | None = Field(default=None, description="比率的分母，如“每千名老年人”")
    attribute: Attribute = "expected"
    direction: Direction = "increase"
    minimum: float | None = None
    maximum: float | None = None
    integer: bool | None = None
    baseline: Baseline | None = None
    # None only for a figure another indicator is judged with: the number of streets
    # (townships) an each_sub_unit target counts, or a part of a city rate's composition.
    target: Target | None = None
    # Earlier targets of the same indicator ("到2023年…40个以上，到2025年…60个以上"): the plan
    # sets one target per year; `target` is the last of them.
    milestones: tuple[Target, ...] = Field(
        default=(), description="早于 target 的阶段目标，每年一个（如 2023 年的目标）"
    )
    increment: Increment | None = Field(
        default=None, description="目标是规划期内的新增量（“新增…”）时写明区县怎样填报"
    )
    composition: Composition | None = Field(
        default=None, description="全市比率由各区县的哪些数量汇总而成（评估时计算全市值）"
    )
    relations: tuple[Relation, ...] = ()
    additive: bool | None = Field(
        default=None, description="各区县数值相加等于全市数值（数量、金额相加；比率不相加）"
    )
    required: bool = Field(default=True, description="区县必须填报；只在全市层面考核的指标为 false")
    not_applicable: tuple[str, ...] = Field(
        default=(),
        description="这一指标不适用的报送单位（如城区没有乡镇）：它们不填、不算缺报，评估时不计",
    )
    source: Source
    review: tuple[str, ...] = Field(
        default=(), description="起草时无法从原文确定、待人工确认的事项；确认后删去（lint 会列出）"
    )

    @model_validator(mode="after")
    def _range_has_high(self) -> Indicator:
        for target in self.targets:
            if target.comparator == "range" and target.high is None:
                raise ValueError("区间目标必须给出 high")
        if self.milestones and self.target is None:
            raise ValueError("有阶段目标（milestones）的指标必须有 target（最后一年的目标）")
        years = [t.year for t in self.targets]
        if years != sorted(set(years)):
            raise ValueError(
                f"阶段目标的年份应早于 target 的年份且各不相同（现为 {'、'.join(map(str, years))}）"
            )
        if self.increment is not None:
            if self.target is None:
                raise ValueError("新增类指标（increment）必须有目标")
            if self.increment.since >= years[0]:
                raise ValueError("increment.since（基期年）应早于第一个目标年份")
        return self

    @property
    def start(self) -> tuple[int, float] | None:
        """Where progress towards the targets is measured from: (year, value) of the baseline,
        or for an increment its base year, when nothing had been added yet."""
        if self.increment is not None:
            return self.increment.since, 0.0
        return (self.baseline.year, self.baseline.value) if self.baseline else None

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every target the plan sets this indicator, earliest first (milestones, then the last)."""
        if self.target is None:
            return ()
        return (*self.milestones, self.target)

    def target_for(self, year: int) -> Target | None:
        """The target the plan sets for exactly `year`, if any."""
        return next((t for t in self.targets if t.year == year), None)

    def governing(self, year: int) -> Target | None:
        """The target a value of `year` is measured against: the one for that year, else the
        next one ahead, else (past the plan's last target) the last."""
        ahead = [t for t in self.targets if t.year >= year]
        return ahead[0] if ahead else self.target

    def at(self, year: int) -> Indicator:
        """This indicator as judged in `year`: its `target` is the one governing that year
        (a copy; the catalog's own indicator is shared by every thread and stays as it is)."""
        governing = self.governing(year)
        if not self.milestones or governing is self.target:
            return self
        return self.model_copy(update={"target": governing})

    @property
    def binding(self) -> bool:
        return self.attribute == "binding"

    def sets_target_for(self, year: int) -> bool:
        """The plan sets this indicator a target (or milestone) for `year`: only then is a
        district's target cell for that year required (template and checks share this)."""
        return self.target_for(year) is not None

    @property
    def plan_target(self) -> Target:
        """The target, for code that handles only indicators the plan sets one for
        (Catalog.targeted): every indicator but a count of streets."""
        if self.target is None:
            raise ValueError(f"指标 {self.code} 没有目标")
        return self.target

    @property
    def target_summary(self) -> str:
        """One line for templates and reports: "2025年 2.6万张", "2022年 每个街道 1个"."""
        if self.target is None:
            return "不设目标（区县填报，用于评判按街道、乡镇设定的目标或汇总全市比率）"
        parts = []
        for target in self.targets:
            scope = SCOPE_LABELS[target.scope] if target.scope != "city" else ""
            parts.append(f"{target.year}年 {scope}{' ' if scope else ''}{target.text}")
        added = f"{self.increment.since}年后新增 " if self.increment else ""
        return added + "；".join(parts)

    @property
    def judged_per_district(self) -> bool:
        """Each district's own value is held to the target (not only the city's sum or rate)."""
        if self.target is None:
            return False
        return self.target.scope != "city" or not self.sums_across_districts

    @property
    def lower_bound(self) -> float | None:
        if self.minimum is not None:
            return self.minimum
        return 0.0

    @property
    def upper_bound(self) -> float | None:
        if self.maximum is not None:
            return self.maximum
        return 100.0 if self.kind == "percent" else None

    @property
    def whole(self) -> bool:
        if self.integer is not None:
            return self.integer
        return self.kind == "count"

    @property
    def sums_across_districts(self) -> bool:
        if self.additive is not None:
            return self.additive
        return self.kind in ("count", "amount")

    @property
    def label(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name


class ReportingUnits(Strict):
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


class Catalog(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    jurisdiction: str
    level: Literal["province", "city"]
    seed: str
    seed_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="规划原文文件的 SHA-256"
    )
    published: str
    approx_tolerance: float = Field(
        default=0.01, description="“左右/约”目标的缺省相对容差（0.01 即 ±1%）"
    )
    reporting_units: ReportingUnits
    indicators: tuple[Indicator, ...]
    review: tuple[str, ...] = Field(default=(), description="整个指标体系待人工确认的事项")

    @model_validator(mode="after")
    def _sub_unit_counts(self) -> Catalog:
        """A target's `units` names a count without a target; such a count serves a target."""
        by_code = {i.code: i for i in self.indicators}
        served = set()
        reporting = set(self.reporting_units.all)
        for ind in self.indicators:
            strangers = [d for d in ind.not_applicable if d not in reporting]
            if strangers:
                raise ValueError(
                    f"{ind.code} 的 not_applicable 里的“{'、'.join(strangers)}”不是报送单位"
                )
        for ind in self.indicators:
            if ind.composition is None:
                continue
            for part in ind.composition.parts:
                counted = by_code.get(part)
                if counted is None or not counted.sums_across_districts or counted.composition:
                    raise ValueError(
                        f"{ind.code} 的 composition 引用的“{part}”应为本指标体系中"
                        "各区县相加的数量指标"
                    )
                served.add(part)
        for ind in self.targeted:
            units = ind.plan_target.units
            if units is None:
                continue
            counted = by_code.get(units)
            if counted is None or counted.target is not None or counted.kind != "count":
                raise ValueError(
                    f"{ind.code} 的 units “{units}” 应为本指标体系中不设目标的数量指标"
                    "（如街道个数）"
                )
            served.add(units)
        for ind in self.indicators:
            if ind.target is None and ind.code not in served:
                raise ValueError(
                    f"{ind.code} 没有目标，也不是任何目标的街道（乡镇）个数（units）"
                    "或全市比率的组成部分（composition）"
                )
        return self

    @property
    def targeted(self) -> tuple[Indicator, ...]:
        """The indicators the plan sets a target for (all but counts of streets or townships)."""
        return tuple(i for i in self.indicators if i.target is not None)

    @property
    def last_target_year(self) -> int:
        return max(i.plan_target.year for i in self.targeted)

    def indicator(self, code: str) -> Indicator:
        return self._by_code()[code]

    def _by_code(self) -> dict[str, Indicator]:
        cached = self.__dict__.get("_code_index")
        if cached is None:
            cached = {i.code: i for i in self.indicators}
            object.__setattr__(self, "_code_index", cached)
        return cached

    def match(self, label: str) -> Indicator | None:
        """The indicator a sheet's label names, after folding width, spaces and a unit suffix."""
        index = self.__dict__.get("_name_index")
        if index is None:
            index = {}
            for ind in self.indicators:
                for name in (ind.code, ind.name, *ind.aliases):
                    index.setdefault(fold_name(name), ind)
            object.__setattr__(self, "_name_index", index)
        return index.get(fold_name(label))

    def district(self, text: str) -> str | None:
        """The reporting unit named in free text ("填报单位：芝罘区民政局" → 芝罘区)."""
        folded = fold_text(text)
        for unit in sorted(self.reporting_units.all, key=len, reverse=True):
            if unit in folded:
                return unit
        for unit in self.reporting_units.all:
            short = unit.rstrip("区县市州")
            if len(short) >= 2 and short in folded:
                return unit
        return None


def split_unit(label: str) -> tuple[str, str | None]:
    """Split "机构养老床位数（个）" into ("机构养老床位数", "个"); NFKC makes （） into ()."""
    folded = fold_text(label)
    if folded.endswith(")") and "(" in folded:
        start = folded.rfind("(")
        return folded[:start], folded[start + 1 : -1] or None
    return folded, None


def fold_name(label: str) -> str:
    name, _unit = split_unit(label)
    return name.rstrip(":：").lower()
