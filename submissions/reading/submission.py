"""A submission: one file as read, with its tidy table (once built) and the findings of reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from submissions.finding import Finding

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Submission:
    file: str
    sha256: str
    size: int
    table: pd.DataFrame | None  # None until the tidy table is built (in the parent process)
    findings: list[Finding] = field(default_factory=list)
    kind: str | None = None
    layout: str | None = None
    district: str | None = None
    year: int | None = None
    unreadable: bool = False
    # The batch table `table` is a slice of, and the slice's bounds: set by the parent, so that
    # a batch's tables are joined back as a few chunks rather than file by file.
    chunk: tuple[pd.DataFrame, int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def districts(self) -> list[str]:
        if self.table is None or self.table.empty:
            return [self.district] if self.district else []
        from submissions.codes import present

        return sorted(present(self.table["district"]))
