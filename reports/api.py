"""The Python entry for data teams: load a catalog, check files, evaluate, write the reports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from indicators import LoadedCatalog, load

if TYPE_CHECKING:
    from expectations.engine import Outcome
    from expectations.evaluation import Evaluation


def load_catalog(id_or_path: str | Path) -> LoadedCatalog:
    """A bundled catalog by id ("yantai") or a catalog YAML file by path."""
    return load(str(id_or_path))


def check_files(
    paths: Iterable[str | Path],
    catalog: str | Path | LoadedCatalog,
    *,
    year: int | None = None,
    district: str | None = None,
    cache: bool = False,
    engine: str = "pandera",
) -> Outcome:
    """Read and check files as `validate.py check` does (each read in a bounded child
    process). `cache=True` reuses and fills the batch cache, as `validate.py batch` does.
    The outcome has `.results` (each with `.submission` and `.findings`), `.table` (the
    enriched tidy table) and `.has_errors`."""
    from expectations import validate
    from submissions import read_submissions
    from submissions.batch_cache import CachedReading

    loaded = catalog if isinstance(catalog, LoadedCatalog) else load_catalog(catalog)
    files = [Path(path) for path in paths]
    if cache:
        submissions = CachedReading(files, loaded, year=year, district=district).result()
    else:
        submissions = read_submissions(files, loaded.catalog, year=year, district=district)
    return validate(submissions, loaded, engine=engine)


def evaluate_files(
    paths: Iterable[str | Path], catalog: str | Path | LoadedCatalog, year: int | None = None
) -> Evaluation:
    """The end-of-period evaluation of the files, as `validate.py evaluate` makes it."""
    from expectations.evaluation import evaluate

    return evaluate(check_files(paths, catalog), year)


def write_reports(
    outcome: Outcome,
    *,
    json_path: str | Path | None = None,
    csv_path: str | Path | None = None,
    html_dir: str | Path | None = None,
    annotate_dir: str | Path | None = None,
) -> None:
    """The same files `validate.py check` writes, each written atomically."""
    if json_path:
        from reports.json_report import document, write_json

        write_json(document(outcome), Path(json_path))
    if csv_path:
        from reports.csv_report import write_csv

        write_csv(outcome, Path(csv_path))
    if html_dir:
        from reports.html import write_html

        write_html(outcome, Path(html_dir))
    if annotate_dir:
        from reports.annotate import write_annotated

        sources = {r.submission.file: Path(r.submission.file) for r in outcome.results}
        write_annotated(outcome, Path(annotate_dir), sources)
