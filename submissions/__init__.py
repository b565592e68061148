"""What was sent: findings (finding), reading untrusted files into the tidy table (reading/),
the batch cache (batch_cache), district templates and their print layout (template, paper),
settings, atomic writes (output), integer codes for text columns (codes), memory (heap)."""

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
from submissions.lazy import lazy_attributes

# Reading pulls in pandas: these are imported on first use (see submissions.reading).
_READING_NAMES = {"TIDY_COLUMNS", "Submission", "read_submission", "read_submissions"}
__getattr__ = lazy_attributes(__name__, dict.fromkeys(_READING_NAMES, "submissions.reading"))


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
