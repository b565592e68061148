"""Reading many files in child processes: chunks of files, and a retry around a file that
kills its reader. Light on purpose: the first file is on its way to a child before pandas is
imported here."""

from __future__ import annotations

import logging
import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from submissions.reading.child import read_chunk
from submissions.reading.isolation import Failure, Job, Pool, shared_pool
from submissions.reading.limits import Limits
from submissions.reading.opening import digest_of

if TYPE_CHECKING:  # pydantic is heavy: the first file goes to a child before it is imported
    from indicators import Catalog

LOG = logging.getLogger("validate.reader")

# A child reads files in chunks: one DataFrame per chunk, one message back. A chunk that kills
# its child is read again without the file that was being read, which is reported instead.
CHUNK_FILES = 64
CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ReadOptions:
    year: int | None = None  # fallbacks when a file names no reporting year / district
    district: str | None = None
    limits: Limits = field(default_factory=Limits)


def read_submission(
    path: Path | str,
    catalog: Catalog,
    *,
    year: int | None = None,
    district: str | None = None,
    display_name: str | None = None,
):
    """Never raises for a bad file: an unreadable one comes back with a `file` finding."""
    return read_submissions(
        [path], catalog, year=year, district=district, display_names=[display_name]
    )[0]


def read_submissions(
    paths: list[Path | str],
    catalog: Catalog,
    *,
    year: int | None = None,
    district: str | None = None,
    display_names: list[str | None] | None = None,
    districts: list[str | None] | None = None,
    progress=None,
    limits: Limits | None = None,
    pool: Pool | None = None,
    on_read=None,
) -> list:
    """Read many files, each in a child process within `limits` (see submissions.reading.isolation):
    a file that crashes, exhausts or outlasts its reader is an unreadable submission with the
    reason, and the others are read as usual. Cells are collected file by file and the tidy
    table is built once per chunk of files (building a DataFrame costs about the same for 100
    rows as for 100,000), then split per file.

    `on_read([(position, submission), …])` is called as files come back (a chunk at a time),
    except for a file whose reader ran out of wall time, which may pass on another try."""
    if pool is not None:
        limits = pool.limits
    limits = limits or _settings().limits
    pool = pool or shared_pool(limits)
    options = ReadOptions(year=year, district=district, limits=limits)
    items = [
        (
            Path(raw),
            (display_names or [None] * len(paths))[position] or str(raw),
            districts[position] if districts is not None else district,
        )
        for position, raw in enumerate(paths)
    ]
    read: dict[int, object] = {}
    pending = _chunks(items, pool.size)
    pickled = pickle.dumps(catalog)
    while pending:
        jobs = [Job(read_chunk, ([items[i] for i in chunk], pickled, options)) for chunk in pending]

        def arrived(job: int, parcel, chunks=pending) -> list:
            from submissions.reading.tidy import unpack

            unpacked = unpack(parcel, catalog)
            for position, submission in zip(chunks[job], unpacked, strict=True):
                _name_unreadable(submission, catalog, items[position], options)
                read[position] = submission
                if progress:
                    progress(items[position][0])
            if on_read:
                on_read(list(zip(chunks[job], unpacked, strict=True)))
            return unpacked

        outcomes = pool.run(jobs, on_result=arrived)
        from submissions.reading.tidy import unreadable_here

        retry: list[list[int]] = []
        for chunk, outcome in zip(pending, outcomes, strict=True):
            if not isinstance(outcome, Failure):
                continue
            culprit = _culprit(chunk, outcome)
            if culprit is None:  # died after every file was read: find the file by itself
                retry.extend([position] for position in chunk)
                continue
            path, shown, _fallback = items[culprit]
            LOG.warning("%s：%s%s", shown, outcome.reason, _first_line(outcome.detail))
            said = _first_line(outcome.detail)[1:-1] or None
            read[culprit] = unreadable_here(shown, outcome.reason, digest_of(path, limits), said)
            _name_unreadable(read[culprit], catalog, items[culprit], options)
            if progress:
                progress(path)
            if on_read and not outcome.transient:
                on_read([(culprit, read[culprit])])
            rest = [position for position in chunk if position != culprit]
            if rest:
                retry.append(rest)
        pending = retry
    return [read[position] for position in range(len(items))]


def _name_unreadable(submission, catalog: Catalog, item: tuple, options: ReadOptions) -> None:
    """Whose file could not be read, as far as its name (or the caller) says: a district whose
    file is broken has reported, and is not listed among those who did not."""
    from submissions.reading.cells import year_named_in  # as a readable file's name is read

    if not submission.unreadable or submission.district is not None:
        return
    _path, shown, fallback = item
    stem = Path(shown).stem
    submission.district = catalog.district(stem) or fallback or options.district
    submission.year = year_named_in(stem) or options.year


class Reading:
    """read_submissions in a background thread: `check` and `batch` start it, then import
    pandera while the children read."""

    def __init__(self, *args, **kwargs) -> None:
        self._outcome: dict = {}
        self._thread = threading.Thread(
            target=self._read, args=args, kwargs=kwargs, name="reading", daemon=True
        )
        self._thread.start()

    def _read(self, *args, **kwargs) -> None:
        try:
            self._outcome["submissions"] = read_submissions(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            self._outcome["error"] = exc

    def result(self) -> list:
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["submissions"]


def _chunks(items: list[tuple[Path, str, str | None]], children: int = 1) -> list[list[int]]:
    """Files in chunks a child reads in one go: at most CHUNK_FILES files and CHUNK_BYTES, and
    few enough files each that every one of `children` gets some (the service's pass of ten
    small uploads was one chunk, read by one child while the other waited)."""
    per_chunk = min(CHUNK_FILES, max(1, -(-len(items) // max(1, children))))
    chunks: list[list[int]] = []
    size = 0
    for position, (path, _shown, _fallback) in enumerate(items):
        try:
            length = path.stat().st_size
        except OSError:
            length = 0
        if not chunks or len(chunks[-1]) >= per_chunk or size + length > CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(position)
        size += length
    return chunks


def _culprit(chunk: list[int], failure: Failure) -> int | None:
    """The file being read when the child failed; None once all were read (the table step)."""
    if len(chunk) == 1:
        return chunk[0]
    if 1 <= failure.started <= len(chunk):
        return chunk[failure.started - 1]
    return None


def _first_line(text: str) -> str:
    """The line of what a child printed that says most: an allocation failure, else the last
    (the exception of a traceback)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    said = next((line for line in lines if "memory allocation" in line), lines[-1])
    return f"（{said[:200]}）"


def _settings():
    from submissions.settings import settings

    return settings()
