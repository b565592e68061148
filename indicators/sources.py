"""Where a catalog's plan text is, and whether the catalog still quotes it faithfully."""

from __future__ import annotations

import hashlib
from pathlib import Path

from indicators.catalog import LintProblem
from indicators.model import Catalog

# Which folder holds the plan texts is a setting (submissions.settings: Settings.seeds_dir);
# the functions here are handed it.

# A quote may elide with …… and may name where in the plan it is (a table, the running text);
# those labels are ours, not the plan's.
ELISION = "……"
OUR_LABELS = ("指标表", "正文：")


def quote_fragments(quote: str) -> list[str]:
    """The parts of a quote that must appear word for word in the plan."""
    return [
        part.strip()
        for part in quote.split(ELISION)
        if part.strip() and not any(label in part for label in OUR_LABELS)
    ]


def source_problems(catalog: Catalog, folder: Path) -> list[LintProblem]:
    """The plan file is there, is the one the catalog was made from (SHA-256), and holds
    every quoted fragment."""
    path = folder / catalog.seed
    if not path.is_file():
        return [LintProblem("seed", f"找不到规划原文 {path}")]
    content = path.read_bytes()
    problems = []
    digest = hashlib.sha256(content).hexdigest()
    if catalog.seed_sha256 is None:
        problems.append(LintProblem("seed_sha256", f"未记录原文的 SHA-256（应为 {digest}）"))
    elif catalog.seed_sha256 != digest:
        problems.append(
            LintProblem(
                "seed_sha256",
                f"原文已改变：记录的 SHA-256 为 {catalog.seed_sha256}，现在的文件为 {digest}",
            )
        )
    text = _plan_text(path, content)
    for position, indicator in enumerate(catalog.indicators):
        here = f"indicators[{position}].source"
        if indicator.source.seed != catalog.seed:
            problems.append(
                LintProblem(f"{here}.seed", f"出处“{indicator.source.seed}”不是本指标体系的原文")
            )
        for fragment in quote_fragments(indicator.source.quote):
            if fragment not in text:
                problems.append(LintProblem(f"{here}.quote", f"原文中找不到“{fragment[:60]}”"))
    return problems


def lint_with_sources(target: str, seeds: Path) -> tuple[list[LintProblem], Path | None]:
    """`lint` of a catalog (an id or a YAML file), then, where its plan text can be found, the
    plan's SHA-256 and every quote against it: beside a YAML file (a drafted catalog's plan
    lies there), else in `seeds`, also when lint finds problems (a draft's review notes). Also
    the folder the plan was checked in (None: the catalog does not load, or its plan is nowhere
    to be found)."""
    from indicators.catalog import CatalogError, lint, load

    problems = lint(target)
    try:
        catalog = load(target).catalog
    except CatalogError:  # it does not load: what is wrong is listed, the plan can wait
        return problems, None
    problems = list(problems)
    beside = Path(target).parent if Path(target).suffix.lower() in (".yaml", ".yml") else None
    for folder in [*([beside] if beside is not None else []), seeds]:
        if (folder / catalog.seed).is_file():
            return problems + source_problems(catalog, folder), folder
    if beside is None and seeds.is_dir():  # a bundled catalog whose plan is missing there
        return problems + source_problems(catalog, seeds), seeds
    return problems, None


def _plan_text(path: Path, content: bytes) -> str:
    """The text quotes are taken from: the file itself when it is UTF-8 text, else what the
    drafting reads from it (GB18030 text, a web page, a Word file, a PDF)."""
    if path.suffix.lower() == ".txt":
        try:
            return content.decode("utf-8").replace("\r\n", "\n")
        except UnicodeDecodeError:
            pass
    from indicators.catalog import CatalogError
    from indicators.plans import read_plan

    try:
        return read_plan(path).text
    except CatalogError:
        return ""
