"""Finding, loading and linting catalog YAML files."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from indicators.model import Catalog, fold_name
from indicators.notation import parse

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"


class CatalogError(Exception):
    """A catalog cannot be found or does not load: validation cannot go on."""


@dataclass(frozen=True)
class LoadedCatalog:
    catalog: Catalog
    path: Path
    version: str  # content hash, so that a changed catalog re-validates stored submissions


# What a catalog without reporting units is told, wherever it is used (lint, template, check,
# evaluate): how to add them, with an example.
REPORTING_UNITS_HINT = (
    "没有报送单位：在指标体系 YAML 中写明应报送的区县，例如 "
    "reporting_units: {required: [甲区, 乙区, 丙县], optional: [某开发区]}"
    "（required 必须报送，optional 可选报送）"
)


@dataclass(frozen=True)
class LintProblem:
    path: str  # YAML path, e.g. indicators[3].target.value
    message: str
    # a thing a person must still decide (a review note, the reporting units of a draft),
    # not a mistake in what is written
    pending: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def catalog_ids() -> list[str]:
    return sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))


def resolve(id_or_path: str) -> Path:
    candidate = Path(id_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    named = CATALOG_DIR / f"{id_or_path}.yaml"
    if named.is_file():
        return named
    known = "、".join(catalog_ids())
    raise CatalogError(f"未知的指标体系“{id_or_path}”（可用：{known}）")


# libyaml's safe loader when PyYAML was built with it (the PyPI wheels are): the same
# documents, parsed about ten times faster than the pure-Python one, which cost 0.15 s of a
# cold `check`.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> tuple[object, bytes]:
    content = path.read_bytes()
    try:
        return yaml.load(content.decode("utf-8"), Loader=SAFE_LOADER), content
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name} 不是有效的 UTF-8 YAML：{exc}".splitlines()[0]) from exc


_CACHE: dict[Path, LoadedCatalog] = {}


def load(id_or_path: str) -> LoadedCatalog:
    path = resolve(id_or_path).resolve()
    if path in _CACHE:
        return _CACHE[path]
    data, content = _read_yaml(path)
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        first = _pydantic_problems(exc)[0]
        raise CatalogError(
            f"指标体系 {path.name} 有误：{first}（运行 validate.py catalog lint 查看全部）"
        ) from exc
    loaded = LoadedCatalog(catalog, path, hashlib.sha256(content).hexdigest()[:12])
    _CACHE[path] = loaded
    return loaded


def _yaml_path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(根)"


def _pydantic_problems(exc: ValidationError) -> list[LintProblem]:
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-after"))
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f"未知的键“{loc[-1]}”"
        elif kind == "missing":
            message = "缺少必填的键"
        else:
            message = error["msg"]
        problems.append(LintProblem(_yaml_path(loc), message))
    return problems


def lint(id_or_path: str) -> list[LintProblem]:
    """Every problem in one catalog file, each with its YAML path."""
    path = resolve(id_or_path)
    try:
        data, _ = _read_yaml(path)
    except CatalogError as exc:
        return [LintProblem("(文件)", str(exc))]
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        return _pydantic_problems(exc)
    return lint_catalog(catalog)


def lint_catalog(catalog: Catalog) -> list[LintProblem]:
    problems: list[LintProblem] = []
    codes: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, ind in enumerate(catalog.indicators):
        here = f"indicators[{i}]"
        if ind.code in codes:
            problems.append(
                LintProblem(
                    f"{here}.code", f"代码“{ind.code}”与 indicators[{codes[ind.code]}] 重复"
                )
            )
        codes.setdefault(ind.code, i)
        for name in (ind.name, *ind.aliases):
            key = fold_name(name)
            if key in names and names[key] != i:
                problems.append(
                    LintProblem(f"{here}.name", f"名称“{name}”与 indicators[{names[key]}] 重复")
                )
            names.setdefault(key, i)
    for i, ind in enumerate(catalog.indicators):
        here = f"indicators[{i}]"
        if ind.target is None:  # a count of streets (townships): the model checked what it serves
            continue
        for k, milestone in enumerate(ind.milestones):
            # each milestone is checked as the indicator's target of its year, under its own path
            for problem in _target_problems(here, ind.at(milestone.year)):
                where = problem.path.replace(f"{here}.target", f"{here}.milestones[{k}]", 1)
                message = f"{milestone.year}年阶段目标：{problem.message}"
                problems.append(LintProblem(where, message))
            if (milestone.scope, milestone.units) != (ind.target.scope, ind.target.units):
                problems.append(
                    LintProblem(
                        f"{here}.milestones[{k}].scope",
                        "阶段目标与最后一年的目标应针对同样的范围（scope、units 相同）",
                    )
                )
        problems.extend(_target_problems(here, ind))
        for j, relation in enumerate(ind.relations):
            if relation.other not in codes:
                problems.append(
                    LintProblem(
                        f"{here}.relations[{j}].other",
                        f"关系指向不存在的指标代码“{relation.other}”",
                    )
                )
            elif relation.other == ind.code:
                problems.append(LintProblem(f"{here}.relations[{j}].other", "关系指向指标自身"))
        if ind.kind == "rate" and not ind.per:
            problems.append(LintProblem(f"{here}.per", "比率指标须写明分母（per）"))
        if ind.increment is not None and ind.kind not in ("count", "amount", "area"):
            problems.append(
                LintProblem(
                    f"{here}.increment",
                    f"新增类指标应为可相加的数量、金额或面积，“{ind.name}”是{ind.kind}",
                )
            )
        problems.extend(_composition_problems(here, ind, catalog))
    for note in catalog.review:
        problems.append(LintProblem("review", f"待人工确认：{note}（确认后删去这一条）", True))
    for i, ind in enumerate(catalog.indicators):
        for note in ind.review:
            problems.append(
                LintProblem(
                    f"indicators[{i}].review",
                    f"“{ind.name}”待人工确认：{note}（确认后删去这一条）",
                    True,
                )
            )
    units = catalog.reporting_units
    if not units.required:
        problems.append(LintProblem("reporting_units.required", REPORTING_UNITS_HINT, True))
    seen = set()
    for group in ("required", "optional"):
        for k, unit in enumerate(getattr(units, group)):
            if unit in seen:
                problems.append(
                    LintProblem(f"reporting_units.{group}[{k}]", f"报送单位“{unit}”重复")
                )
            seen.add(unit)
    return problems


def _target_problems(here: str, ind) -> list[LintProblem]:
    """The indicator's `target` against its bounds, baseline, direction, text and scope."""
    problems: list[LintProblem] = []
    target = ind.target
    upper = ind.upper_bound
    for field, value in (("value", target.value), ("high", target.high)):
        if value is None:
            continue
        if upper is not None and value > upper:
            problems.append(
                LintProblem(f"{here}.target.{field}", f"目标值 {value} 超过上限 {upper}")
            )
        if value < (ind.lower_bound or 0):
            problems.append(LintProblem(f"{here}.target.{field}", f"目标值 {value} 为负数"))
    if ind.baseline is not None:
        if upper is not None and ind.baseline.value > upper:
            problems.append(
                LintProblem(f"{here}.baseline.value", f"基期值 {ind.baseline.value} 超过上限")
            )
        if ind.baseline.year >= target.year:
            problems.append(LintProblem(f"{here}.baseline.year", "基期年份不早于目标年份"))
        problems.extend(_direction_problems(here, ind))
    reading = parse(target.text)
    if reading.ok and not _text_agrees(ind, reading):
        problems.append(
            LintProblem(
                f"{here}.target.text",
                f"原文“{target.text}”读作 {reading.value}，与 value {target.value} 不一致",
            )
        )
    problems.extend(_scope_problems(here, ind))
    return problems


# "每个县区…", "各县(区)…": a target every district meets; "每个街道…": every street of it.
PER_DISTRICT_WORDING = re.compile(r"^(每个|各)(县|区|市)")
PER_SUB_UNIT_WORDING = re.compile(r"^(每个|各|所有)(街道|乡镇|镇|社区)")


def _scope_problems(here: str, ind) -> list[LintProblem]:
    """A target's scope must fit what the indicator counts and how the plan words it."""
    problems = []
    scope = ind.target.scope
    texts = [fold_name(text) for text in (ind.name, *ind.aliases, ind.per or "")]
    worded_per_district = any(PER_DISTRICT_WORDING.match(text) for text in texts)
    worded_per_sub_unit = any(PER_SUB_UNIT_WORDING.match(text) for text in texts)
    if scope == "city" and (worded_per_district or worded_per_sub_unit):
        wanted = "each_sub_unit" if worded_per_sub_unit else "each_district"
        problems.append(
            LintProblem(
                f"{here}.target.scope",
                f"“{ind.name}”的目标针对每个区县（或其街道、乡镇），scope 应为 {wanted}",
            )
        )
    if worded_per_sub_unit and scope == "each_district" and ind.kind == "count":
        problems.append(
            LintProblem(
                f"{here}.target.scope",
                f"“{ind.name}”是每个街道（乡镇）的数量目标：区县的数量只有和它的街道（乡镇）个数"
                "一起才能评判，scope 应为 each_sub_unit 并用 units 指明个数指标",
            )
        )
    if scope == "each_sub_unit" and ind.kind != "count":
        problems.append(
            LintProblem(
                f"{here}.kind",
                "each_sub_unit 的目标按“数量 ≥ 每个单位的目标 × 单位个数”评判，"
                "指标应为数量（count）",
            )
        )
    if scope == "each_sub_unit" and ind.target.comparator not in ("≥", ">"):
        problems.append(
            LintProblem(
                f"{here}.target.comparator",
                "each_sub_unit 的目标是每个街道（乡镇）至少达到的数量，比较符应为 ≥ 或 >",
            )
        )
    if scope in ("each_district", "each_sub_unit") and ind.whole:
        for field, value in (("value", ind.target.value), ("high", ind.target.high)):
            if value is not None and value != int(value):
                problems.append(
                    LintProblem(
                        f"{here}.target.{field}",
                        f"每个区县的数量目标应为整数，现为 {value}",
                    )
                )
    if scope == "each_district" and ind.additive:
        problems.append(
            LintProblem(
                f"{here}.additive",
                "每个区县各自达到的目标不能按区县相加（additive 应为 false 或不写）",
            )
        )
    return problems


def _composition_problems(here: str, ind, catalog: Catalog) -> list[LintProblem]:
    """A city rate's composition must make a rate of the indicator's kind and unit (the model
    already checked that its parts exist and add up across districts)."""
    composition = ind.composition
    if composition is None:
        return []
    where = f"{here}.composition"
    problems = []
    if ind.sums_across_districts:
        problems.append(LintProblem(where, f"“{ind.name}”各区县相加即为全市值，不需要 composition"))
    if ind.target.scope != "city":
        problems.append(
            LintProblem(where, "每个区县（街道）各自达到的目标不汇总全市值，不需要 composition")
        )
    if composition.weight is not None:
        return problems
    expected = None
    if ind.kind == "percent":
        expected = 100.0
    elif ind.kind == "rate" and ind.per:
        denominator = catalog.indicator(composition.denominator).unit or ""
        for word, scale in (("万", 10000.0), ("千", 1000.0), ("百", 100.0)):
            if word in ind.per and not denominator.startswith(("万", "千", "百")):
                expected = scale
                break
    if expected is not None and composition.scale != expected:
        problems.append(
            LintProblem(
                f"{where}.scale",
                f"“{ind.name}”（{ind.per or ind.unit}）由分子 ÷ 分母汇总时应乘 {expected:g}，"
                f"现为 {composition.scale:g}",
            )
        )
    return problems


def _direction_problems(here: str, ind) -> list[LintProblem]:
    base, target = ind.baseline.value, ind.target
    contradiction = (
        (ind.direction == "increase" and target.comparator in ("≥", ">", "≈", "=", "range")
         and (target.high if target.comparator == "range" else target.value) < base)
        or (ind.direction == "decrease" and target.comparator in ("≤", "<", "≈", "=")
            and target.value > base)
    )  # fmt: skip
    if contradiction:
        verb = "提高" if ind.direction == "increase" else "降低"
        return [
            LintProblem(
                f"{here}.target.value",
                f"方向为{verb}，但目标值 {target.value} 与基期值 {base} 相反",
            )
        ]
    return []


def _text_agrees(ind, reading) -> bool:
    target = ind.target
    value = reading.value
    if abs(value - target.value) > 1e-9 * max(1.0, abs(target.value)):
        return False
    if reading.comparator == "range":
        return target.comparator == "range" and reading.high == target.high
    return reading.comparator in (None, target.comparator)


def catalog_document(loaded: LoadedCatalog) -> dict:
    """`catalog show --json`: the catalog's indicators as plain values in their own units."""
    cat = loaded.catalog
    indicators = []
    for ind in cat.indicators:
        targets = [_target_document(t) for t in ind.targets]
        indicators.append(
            {
                "code": ind.code,
                "name": ind.name,
                "aliases": list(ind.aliases),
                "unit": ind.unit,
                "kind": ind.kind,
                "domain": ind.domain,
                "attribute": ind.attribute,
                "direction": ind.direction,
                "required": ind.required,
                "additive": ind.sums_across_districts,
                "baseline": (
                    {"year": ind.baseline.year, "value": ind.baseline.value}
                    if ind.baseline
                    else None
                ),
                # the last target, and every target by year (milestones first)
                "target": targets[-1] if targets else None,
                "targets": targets,
                "increment": ind.increment.model_dump() if ind.increment else None,
                "relations": [r.model_dump() for r in ind.relations],
                "composition": (
                    ind.composition.model_dump(exclude_none=True) if ind.composition else None
                ),
                "source": {"seed": ind.source.seed, "quote": ind.source.quote},
            }
        )
    return {
        "id": cat.id,
        "name": cat.name,
        "jurisdiction": cat.jurisdiction,
        "version": loaded.version,
        "reporting_units": {
            "required": list(cat.reporting_units.required),
            "optional": list(cat.reporting_units.optional),
        },
        "indicators": indicators,
    }


def _target_document(target) -> dict[str, object]:
    document: dict[str, object] = {
        "year": target.year,
        "value": target.value,
        "comparator": target.comparator,
        "text": target.text,
        "scope": target.scope,
    }
    if target.units:
        document["units"] = target.units
    if target.comparator == "range":
        document["low"], document["high"] = target.value, target.high
    if target.comparator == "≈":
        document["tolerance"] = target.tolerance
    return document
