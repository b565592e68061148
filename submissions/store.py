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
        try:
            table = _table_from_json(entry["table"])
            findings = [Finding(**f) for f in entry["findings"]]
        except (KeyError, TypeError, ValueError):
            return None  # an entry from an older layout of the cache: read the file again
        return Submission(
            file=entry["file"],
            sha256=sha256,
            size=entry["size"],
            table=table,
            findings=findings,
            kind=entry.get("kind"),
            layout=entry.get("layout"),
            district=entry.get("district"),
            year=entry.get("year"),
            unreadable=entry.get("unreadable", False),
        )

    def put(self, key: str, submission: Submission, version: str) -> None:
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
            # pandas' own JSON writer: about 1 ms a file, against 9 ms through Python objects
            "table": submission.table[TIDY_COLUMNS].to_json(orient="split", index=False),
        }

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.entries, out, ensure_ascii=False, default=_plain)
        os.replace(temporary, self.path)


NUMBERS = {"row": "int64", "col": "int64", "value": "float64", "high": "float64"}
FLAGS = ("empty", "percent", "unit_ok")


def _table_from_json(text: str) -> pd.DataFrame:
    data = json.loads(text)
    if data["columns"] != TIDY_COLUMNS:
        raise ValueError("cached table has other columns")
    table = pd.DataFrame(data["data"], columns=TIDY_COLUMNS, dtype=object)
    for column, dtype in NUMBERS.items():
        table[column] = pd.to_numeric(table[column]).astype(dtype)
    for column in FLAGS:
        table[column] = table[column].astype(bool)
    table["year"] = pd.array(table["year"], dtype="Int64")
    return table


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(type(value).__name__)
