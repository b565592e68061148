"""The pipeline, as data teams call it: load a catalog, check files, write the reports, evaluate,
draft a catalog from a plan. validate.py's commands, the service's intake and its evaluation
page all go through these functions; each takes its options and returns data.

Reading starts before anything heavy is imported: `check_files` hands the files to a reading
child first and imports pandas and pandera while the child parses (this module imports neither
at the top)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from submissions.finding import CannotContinue

if TYPE_CHECKING:
    import pandas as pd

    from expectations.engine import Outcome
    from expectations.evaluation import Evaluation
    from indicators import LoadedCatalog
    from submissions.reading.inbox import Skipped
    from submissions.reading.limits import Limits
    from submissions.reading.submission import Submission

LOG = logging.getLogger("validate")


def load_catalog(id_or_path: str | Path) -> LoadedCatalog:
    """A bundled catalog by id ("yantai") or a catalog YAML file by path."""
    from indicators import load  # pydantic: imported once a reading child is on its way

    return load(str(id_or_path))


def check_files(
    paths: Iterable[str | Path],
    catalog: str | Path | LoadedCatalog,
    *,
    year: int | None = None,
    district: str | None = None,
    cache: bool = False,
    force: bool = False,
    engine: str = "pandera",
    fail_fast: bool = False,
    across_districts: bool = True,
    names: list[str] | None = None,
    districts: list[str | None] | None = None,
    before_checking: Callable[[list[Submission]], pd.DataFrame | None] | None = None,
    progress: Callable[[Path], None] | None = None,
    limits: Limits | None = None,
) -> Outcome:
    """Read and check files as `validate.py check` does, each read in a bounded child process.

    `cache=True` reuses and fills the batch cache as `validate.py batch` does (`force` reads
    every file again). `names` are what reports call the files (default: their paths),
    `districts` whose each file is when the file does not say. `before_checking(submissions)`
    runs between reading and checking (the service makes an upload its account's district
    there) and returns values the districts reported before, for revision checks.
    `across_districts=False` leaves out the rules that compare districts (unrelated uploads).
    The outcome has `.results` (each with `.submission` and `.findings`), `.table` (the
    enriched tidy table), `.sources` (each file's path) and `.has_errors`."""
    from submissions.reading.isolation import shared_pool
    from submissions.settings import settings

    files = [Path(path) for path in paths]
    # the limits as the environment has them now (a changed limit replaces the pool)
    pool = shared_pool(limits or settings().limits)
    if isinstance(catalog, str | Path):
        # a child starts now; the files go to it as soon as the catalog is loaded, and it
        # parses while pydantic, pandas and pandera are imported here
        pool.warm(min(len(files), pool.size))
        catalog = load_catalog(catalog)
    loaded = catalog
    reused = 0
    if cache:
        from submissions.batch_cache import CachedReading

        reading = CachedReading(
            files, loaded, force=force, progress=progress, limits=pool.limits,
            year=year, district=district,
        )  # fmt: skip
        reused = len(reading.cached)
    else:
        from submissions.reading.dispatch import Reading

        reading = Reading(  # type: ignore[assignment]
            files, loaded.catalog, year=year, district=district, progress=progress, pool=pool,
            display_names=names, districts=districts,
        )  # fmt: skip
    from expectations import validate
    from expectations.engine import prepare

    prepare()
    submissions = reading.result()
    history = before_checking(submissions) if before_checking is not None else None
    outcome = validate(
        submissions, loaded, fail_fast=fail_fast, engine=engine,
        across_districts=across_districts, history=history,
    )  # fmt: skip
    outcome.sources = {s.file: path for s, path in zip(submissions, files, strict=True)}
    outcome.reused = reused
    return outcome


def inbox(paths: Iterable[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """The files to read in these folders and files (hidden files, Excel's lock files, pipes,
    devices and links out of a folder passed over, each with why)."""
    from submissions.reading.inbox import list_inbox

    files: list[Path] = []
    passed: list[Skipped] = []
    for given in map(Path, paths):
        if given.is_dir():
            found, skipped = list_inbox(given)
            files += found
            passed += skipped
        else:
            files.append(given)
    return files, passed


@dataclass(frozen=True)
class Outputs:
    """Where a run's reports go; None: not written. `json` may be "-" (standard output)."""

    json: str | None = None
    csv: str | None = None
    html: str | None = None
    annotate: str | None = None
    gx_docs: str | None = None
    summary: bool = False  # the terminal summary on standard output

    def places(self) -> list[Path]:
        """The folders every report is written into."""
        files = [Path(p).parent for p in (self.json, self.csv) if p and p != "-"]
        folders = [Path(p) for p in (self.html, self.annotate, self.gx_docs) if p]
        return files + folders


def check_places(places: Iterable[Path]) -> None:
    """Every place a report goes must be writable before any file is read: a scheduled job
    learns of a full disk or a read-only folder at once, in one line (CannotContinue)."""
    from submissions.output import check_writable, why

    for folder in places:
        try:
            check_writable(folder)
        except OSError as exc:
            raise CannotContinue(f"无法写出结果：{folder}（{why(exc)}）") from exc


def write_outputs(outcome: Outcome, outputs: Outputs) -> None:
    """The reports asked for, each written atomically; the JSON and CSV are written while
    forked processes render the HTML pages."""
    from reports import document, summary, write_csv, write_json

    def write_tables() -> None:
        if outputs.json == "-":  # for a pipeline: the document on standard output
            from reports.json_report import write_document

            sys.stdout.flush()
            write_document(document(outcome, deferred=True), sys.stdout.buffer)
            sys.stdout.buffer.flush()
        elif outputs.json:
            write_json(document(outcome, deferred=True), Path(outputs.json))
            LOG.info("JSON 报告已写入 %s", outputs.json)
        if outputs.csv:
            write_csv(outcome, Path(outputs.csv))
            LOG.info("问题清单已写入 %s", outputs.csv)

    if not outputs.html:
        write_tables()
    if outputs.gx_docs:
        from expectations.gx import build_data_docs

        index = build_data_docs(outcome.loaded, outcome.table, Path(outputs.gx_docs))
        offline = "这些页面从 CDN 加载样式和脚本，离线打开会失去样式"
        LOG.info("GX Data Docs 已写入 %s（%s）", index, offline)
    if outputs.html:
        from reports.html import write_html

        dashboard = write_html(
            outcome, Path(outputs.html), workers=os.cpu_count() or 1, meanwhile=write_tables
        )
        LOG.info("HTML 报告已写入 %s", dashboard)
    if outputs.annotate:
        from reports.annotate import write_annotated

        written = write_annotated(outcome, Path(outputs.annotate), outcome.sources)
        LOG.info("已写出 %d 个标注副本到 %s", len(written), outputs.annotate)
    if outputs.summary:
        print(summary(outcome))


def write_reports(
    outcome: Outcome,
    *,
    json_path: str | Path | None = None,
    csv_path: str | Path | None = None,
    html_dir: str | Path | None = None,
    annotate_dir: str | Path | None = None,
) -> None:
    """The same files `validate.py check` writes (write_outputs with paths)."""
    write_outputs(
        outcome,
        Outputs(
            json=str(json_path) if json_path else None,
            csv=str(csv_path) if csv_path else None,
            html=str(html_dir) if html_dir else None,
            annotate=str(annotate_dir) if annotate_dir else None,
        ),
    )


def evaluate_files(
    paths: Iterable[str | Path],
    catalog: str | Path | LoadedCatalog,
    year: int | None = None,
    *,
    progress: Callable[[Path], None] | None = None,
    limits: Limits | None = None,
    warn_expected: bool = False,
) -> Evaluation:
    """The evaluation of the files at `year` (default: the plan's last target year), as
    `validate.py evaluate` makes it; early warnings for binding indicators, and for expected
    ones too with `warn_expected`."""
    from expectations.evaluation import evaluate

    outcome = check_files(paths, catalog, progress=progress, limits=limits)
    return evaluate(outcome, year, warn_expected=warn_expected)


@dataclass(frozen=True)
class EvaluationOutputs:
    json: str | None = None
    html: str | None = None
    xlsx: str | None = None
    docx: str | None = None

    def places(self) -> list[Path]:
        files = [Path(p).parent for p in (self.json, self.xlsx, self.docx) if p]
        return files + ([Path(self.html)] if self.html else [])


def write_evaluation(evaluation: Evaluation, outputs: EvaluationOutputs) -> None:
    """The evaluation's JSON, page, workbook and Word draft, as asked."""
    if outputs.json:
        from reports.evaluation_report import evaluation_document
        from reports.json_report import write_json

        write_json(evaluation_document(evaluation), Path(outputs.json))
        LOG.info("评估 JSON 已写入 %s", outputs.json)
    if outputs.html:
        from reports.evaluation_page import write_evaluation_page

        page = write_evaluation_page(evaluation, Path(outputs.html))
        LOG.info("评估页面已写入 %s", page)
    if outputs.xlsx:
        from reports.evaluation_workbook import write_evaluation_workbook

        write_evaluation_workbook(evaluation, Path(outputs.xlsx))
        LOG.info("评估工作簿已写入 %s", outputs.xlsx)
    if outputs.docx:
        from reports.evaluation_docx import write_evaluation_docx

        write_evaluation_docx(evaluation, Path(outputs.docx))
        LOG.info("评估报告初稿（Word）已写入 %s", outputs.docx)


@dataclass(frozen=True)
class Drafted:
    """What draft_catalog wrote: the catalog YAML, the review page, how much is left to check."""

    output: Path
    review: Path | None
    targets: int
    goals: int
    pending: int


def plan_of(path: Path, tick=None):
    """Run in a reading child: the plan's text, or its Chinese reason as CannotContinue (the
    one exception a child passes on as it is)."""
    from indicators.catalog import CatalogError
    from indicators.plans import read_plan

    try:
        return read_plan(path, tick)
    except CatalogError as exc:
        raise CannotContinue(str(exc)) from exc


def draft_catalog(
    plan_path: Path,
    catalog_id: str,
    *,
    name: str | None = None,
    districts: tuple[str, ...] = (),
    output: Path | None = None,
    review: Path | None = None,
    limits: Limits | None = None,
) -> Drafted:
    """A draft catalog from a plan's text (txt/html/docx/pdf), the plan read in a bounded
    child (a crafted .docx or .pdf costs only the child). CannotContinue when the plan cannot
    be read."""
    import yaml

    from indicators.drafting import catalog_document as drafted_document
    from indicators.drafting import draft
    from indicators.model import Catalog
    from indicators.plans import Plan
    from submissions.output import write_text
    from submissions.reading.isolation import Failure, Job, Pool
    from submissions.settings import settings

    pool = Pool(limits or settings().limits, size=1)
    try:
        [plan] = pool.run([Job(plan_of, (plan_path,))])
    finally:
        pool.close()
    if isinstance(plan, Failure):
        reason = plan.reason  # read_plan names the file itself
        raise CannotContinue(
            reason if reason.startswith(plan_path.name) else f"{plan_path.name}：{reason}"
        )
    assert isinstance(plan, Plan)
    result = draft(plan.text)
    document = drafted_document(
        result, catalog_id=catalog_id, seed=plan.name, seed_sha256=plan.sha256, name=name,
        districts=districts,
    )  # fmt: skip
    Catalog.model_validate(document)  # what is written loads
    output = output or Path(f"{catalog_id}.yaml")
    shown_name = " ".join(plan.name.split())  # a file name may hold a line break
    header = (
        f"# 由 validate.py catalog draft 从《{shown_name}》起草（{len(result.targets)} 项目标）。\n"
        "# 标有 review 的条目待人工确认：核对原文后改正并删去 review，"
        "直到 validate.py catalog lint 本文件没有问题。\n"
    )
    if not districts:
        header += (
            "# 报送单位：在 reporting_units 下列出应报送的区县，例如\n"
            "#   reporting_units: {required: [甲区, 乙区, 丙县], optional: [某开发区]}\n"
        )
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    write_text(output, header + body)
    beside = output.parent / plan.name
    if not beside.exists():
        # the plan beside its catalog: lint checks every quote against it there
        import shutil

        shutil.copyfile(plan_path, beside)
    review_path = None
    if review is not None:
        from reports.draft_page import write_draft_page

        review_path = write_draft_page(review, result, document)
    pending = (
        sum(1 for i in document["indicators"] if i.get("review"))
        + len(document.get("review", []))
        + (0 if districts else 1)  # the reporting units to write in
    )
    return Drafted(output, review_path, len(result.targets), len(result.goals), pending)


__all__ = [
    "Drafted",
    "EvaluationOutputs",
    "Outputs",
    "check_files",
    "check_places",
    "draft_catalog",
    "evaluate_files",
    "inbox",
    "load_catalog",
    "write_evaluation",
    "write_outputs",
    "write_reports",
]
