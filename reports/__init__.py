"""What was found: the JSON contract, findings.csv, terminal summaries and HTML reports."""

from reports.csv_report import write_csv
from reports.json_report import document, submission_document, write_json
from reports.terminal import summary

__all__ = ["document", "submission_document", "summary", "write_csv", "write_json"]
