"""What batch runs remember: each file's content hash, catalog version and tidy table."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from submissions.finding import Finding
from submissions.reader import TIDY_COLUMNS, Submission


def data_dir() -> Path:
    return Path(os.environ.get("VALIDATE_DATA_DIR", "data"))


class BatchCache:
    """A JSON file per catalog under the data directory; rewritten atomically after each run."""

    def __init__(self, catalog_id: str, root: Path | None = None):
        self.path = (root or data_dir()) / "batch" / f"{catalog_id}.json"
        self.entries: dict[str, dict] = {}
        if self.path.is_file():
            try:
                self.entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}  # a damaged cache only costs a re-validation

    def get(self, key: str, sha256: str, version: str) -> Submission | None:
        entry = self.entries.get(key)
        if not entry or entry.get("sha256") != sha256 or entry.get("version") != version:
            return None
        table = pd.DataFrame(entry["table"], columns=TIDY_COLUMNS)
        if not table.empty:
            table["year"] = table["year"].astype("Int64")
            for column in ("row", "col"):
                table[column] = table[column].astype("int64")
            for column in ("value", "high"):
                table[column] = table[column].astype("float64")
            for column in ("empty", "percent", "unit_ok"):
                table[column] = table[column].astype(bool)
        return Submission(
            file=entry["file"],
            sha256=sha256,
            size=entry["size"],
            table=table,
            findings=[Finding(**f) for f in entry["findings"]],
            kind=entry.get("kind"),
            layout=entry.get("layout"),
            district=entry.get("district"),
            year=entry.get("year"),
            unreadable=entry.get("unreadable", False),
        )

    def put(self, key: str, submission: Submission, version: str) -> None:
        table = submission.table.astype(object).where(submission.table.notna(), None)
        self.entries[key] = {
            "file": submission.file,
            "sha256": submission.sha256,
            "version": version,
            "size": submission.size,
            "kind": submission.kind,
            "layout": submission.layout,
            "district": submission.district,
            "year": submission.year,
            "unreadable": submission.unreadable,
            "findings": [f.as_dict() for f in submission.findings],
            "table": {c: table[c].tolist() for c in TIDY_COLUMNS} if not table.empty else {},
        }

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.entries, out, ensure_ascii=False, default=_plain)
        os.replace(temporary, self.path)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(type(value).__name__)
