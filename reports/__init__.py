"""What was found: the JSON contract, findings.csv, terminal summaries, HTML reports, annotated
copies, the evaluation's page and workbook; the pipeline that makes them (api); the upload
service (service/).

The names here are imported on first use: `validate.py check` starts its reading child
before pandas is imported, and these writers import it."""

from submissions.lazy import lazy_attributes

_NAMES = {
    "document": "reports.json_report",
    "submission_document": "reports.json_report",
    "write_json": "reports.json_report",
    "write_csv": "reports.csv_report",
    "summary": "reports.terminal",
}


__getattr__ = lazy_attributes(__name__, _NAMES)

__all__ = sorted(_NAMES)
