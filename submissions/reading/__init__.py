"""Reading untrusted files into the tidy table: screening (zip checks), opening by content,
sheet XML, finding the table's layout, collecting cells, the tidy table, reading many files
in bounded child processes (dispatch, child, isolation, limits), listing an inbox.

The names here are imported on first use: a file can be on its way to a reading child before
pandas is loaded (see dispatch)."""

from submissions.lazy import lazy_attributes

_NAMES = {
    "Submission": "submissions.reading.submission",
    "TIDY_COLUMNS": "submissions.reading.tidy",
    "read_submission": "submissions.reading.dispatch",
    "read_submissions": "submissions.reading.dispatch",
}


__getattr__ = lazy_attributes(__name__, _NAMES)

__all__ = sorted(_NAMES)
