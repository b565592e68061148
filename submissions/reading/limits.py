"""The bounds on reading one untrusted file, in one place, settable from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from submissions.finding import CannotContinue

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Defaults fit a 2-core machine; the 375,000-row benchmark file is well inside all of them
    (9 MB file, 106 MB of sheet XML, 1.9 million cells, 650 MB of address space at its peak)."""

    # The child process that opens and reads files.
    memory: int = 1 * GiB  # address space (RLIMIT_AS)
    cpu_seconds: int = 60  # CPU time per file (RLIMIT_CPU)
    wall_seconds: float = 60.0  # per file, then the child is killed
    workers: int = 0  # reading processes; 0: one per core
    # Checked before any reader sees the file.
    file_size: int = 200 * MiB
    zip_entries: int = 5_000
    zip_total: int = 1 * GiB  # uncompressed size of all entries together
    zip_ratio: int = 200  # uncompressed / compressed, for entries over 1 MiB
    sheet_xml: int = 512 * MiB  # uncompressed size of one sheet's XML
    # A sheet whose used range is larger than this is not handed to calamine, which allocates
    # the whole rectangle (16,384 × 1,048,576 cells for one value in XFD1 and one in A1048576).
    dense_cells: int = 4_000_000
    dense_rows: int = 600_000
    # Such a sheet is read cell by cell instead, as long as it really holds few cells.
    sparse_cells: int = 200_000

    @classmethod
    def from_variables(cls, environ: Mapping[str, str]) -> Limits:
        """VALIDATE_LIMIT_<FIELD> (e.g. VALIDATE_LIMIT_MEMORY=2147483648) of these variables
        (submissions.settings hands in the environment); a bad value is a configuration error,
        reported in one line."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name = f"VALIDATE_LIMIT_{spec.name.upper()}"
            text = environ.get(name)
            if text is None or not text.strip():
                continue
            kind = float if spec.type in ("float", float) else int
            try:
                value = kind(text.strip())
            except ValueError:
                raise CannotContinue(f"配置错误：{name}={text!r} 不是数字") from None
            if value < 0 or (value == 0 and spec.name != "workers"):
                raise CannotContinue(f"配置错误：{name} 必须大于 0")
            values[spec.name] = value
        return cls(**values)

    def reader_count(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)


def size_text(size: float) -> str:
    """A byte count as people read it: 1.5 GiB, 20 MB, 14 KB."""
    for unit, scale in (("GiB", GiB), ("MB", MiB), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}".replace(".0 ", " ")
    return f"{int(size)} 字节"
