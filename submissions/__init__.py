"""What was sent: reading .xlsx/.xls/.csv submissions into a tidy table with cell positions."""

from submissions.finding import (
    CATEGORIES,
    CATEGORY_LABELS,
    ERROR,
    INFO,
    SEVERITY_LABELS,
    WARNING,
    CannotContinue,
    Finding,
    a1,
    severity_for,
)
from submissions.reader import TIDY_COLUMNS, Submission, read_submission, read_submissions

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "ERROR",
    "INFO",
    "SEVERITY_LABELS",
    "TIDY_COLUMNS",
    "WARNING",
    "CannotContinue",
    "Finding",
    "Submission",
    "a1",
    "read_submission",
    "read_submissions",
    "severity_for",
]
