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

# The reader pulls in pandas; it is imported on first use so that a file can be on its way to
# a reading child before pandas is loaded here (see submissions.dispatch).
_READER_NAMES = {"TIDY_COLUMNS", "Submission"}
_DISPATCH_NAMES = {"read_submission", "read_submissions"}


def __getattr__(name: str):
    if name in _READER_NAMES:
        from submissions import reader

        return getattr(reader, name)
    if name in _DISPATCH_NAMES:
        from submissions import dispatch

        return getattr(dispatch, name)
    raise AttributeError(f"module 'submissions' has no attribute {name!r}")


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
