"""Uploads in the service: kept before parsing, read and validated in shared passes, stored;
an interrupted check is taken up again from the stored bytes."""

from __future__ import annotations

import datetime
import gc
import logging
import queue
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from expectations import Result
from indicators import LoadedCatalog, load
from reports.json_report import submission_document
from reports.service.review import record_uploads, refusals
from reports.service.reviewing import earlier_reports, reported_by_file
from reports.service.store import Account, Store, StoredSubmission
from submissions.finding import READING_CODES

LOG = logging.getLogger("validate.service")


@dataclass(frozen=True)
class Upload:
    """One file to check, as the batch validator receives it."""

    loaded: LoadedCatalog
    content: bytes
    key: str  # a neutral name that tells files apart within a shared pass
    name: str  # the uploaded name, as reports show it (never a path)
    district: str | None  # the uploading district's account: the file is that district's
    store: Store | None = None  # where the district's earlier reports are read from
    # the stored row the check's outcome goes into (None: checked, not stored: a warm-up);
    # the batch thread fills it in and stores it before it answers, and the request that
    # made it reads it only after the answer
    row: StoredSubmission | None = None
    account: Account | None = None  # who uploaded it, for the review's record
    fresh: bool = True  # a new upload (its period's state moves), not a re-check of one


@dataclass(frozen=True)
class Checked:
    """What checking one upload produced. Made in the batch thread for the one request that
    asked, and only ever read after: nothing in it is shared with another upload."""

    district: str | None
    period: int | None
    document: dict  # the JSON contract's submission object (its findings stored as rows)
    values: list[dict]  # every value cell read, as reported_values rows (store.VALUE_FIELDS)
    version: str  # of the catalog it was checked against

    def fields(self) -> dict:
        """The stored row's columns for this outcome."""
        return {
            "catalog_version": self.version,
            "district": self.district,
            "period": self.period,
            "status": self.document["status"],
            "errors": self.document["summary"]["errors"],
            "warnings": self.document["summary"]["warnings"],
            "kind": self.document.get("kind"),
            "layout": self.document.get("layout"),
            "indicators": self.document["summary"]["indicators"],
        }


class BatchValidator:
    """Reads and validates uploads that arrive together in one pass.

    Building and checking a pandas table costs about the same for ten 150-row files as for one
    (measured per upload: 9 ms to read and 65 ms to validate alone, 7 ms to validate in a batch
    of 20), so concurrent uploads wait at most `window` seconds to share a pass. Rules across
    districts are left out: an upload is judged on its own, never against strangers' files.

    Threads: any number of request threads call `submit`/`check`; one thread of its own reads,
    validates and makes each upload's document and page. What a pass makes in common (the
    outcome, its table, the findings' renderer) never leaves that thread: each request gets
    its own Checked, or its own exception."""

    def __init__(self, window: float = 0.01, largest: int = 32):
        self.window, self.largest = window, largest
        self.pending: queue.Queue[tuple[Upload, Future]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="batch-validator", daemon=True)
        self.thread.start()

    def submit(self, upload: Upload) -> Future:
        """The upload's Checked, when its pass is done (or the exception that stopped it)."""
        future: Future = Future()
        self.pending.put((upload, future))
        return future

    def check(self, upload: Upload) -> Checked:
        return self.submit(upload).result()

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            deadline = time.monotonic() + self.window
            while len(batch) < self.largest:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self.pending.get(timeout=remaining))
                except queue.Empty:
                    break
            by_catalog: dict[str, list] = {}
            for item in batch:
                loaded = item[0].loaded
                by_catalog.setdefault(loaded.catalog.id + loaded.version, []).append(item)
            for items in by_catalog.values():
                self._process(items)

    @staticmethod
    def _process(items: list[tuple[Upload, Future]]) -> None:
        uploads = [upload for upload, _future in items]
        try:
            outcome = _validated(uploads)
            # one pass over the batch for every upload in it
            reported = reported_by_file(outcome.table, [r.submission for r in outcome.results])
        except Exception as exc:  # handed to each waiting request, which logs it
            for _upload, future in items:
                future.set_exception(exc)
            return
        made: list[tuple[Upload, Future, Checked]] = []
        for (upload, future), result in zip(items, outcome.results, strict=True):
            try:  # one upload's document failing to build is that upload's failure only
                values = reported.get(result.submission.file, [])
                made.append((upload, future, _checked(upload, result, values)))
            except Exception as exc:
                future.set_exception(exc)
        try:
            _store_all([(upload, checked) for upload, _future, checked in made])
        except Exception as exc:  # each request stores its own failure
            for _upload, future, _checked_one in made:
                future.set_exception(exc)
            return
        for _upload, future, checked in made:
            future.set_result(checked)


def _validated(uploads: list[Upload]):
    """Read and check these uploads (of one catalog) together, through the pipeline every
    command takes: judged each on its own (no rules across districts), each upload its
    account's district's, with what its district reported before."""
    from reports.api import check_files

    def as_districts(submissions) -> pd.DataFrame | None:
        for upload, submission in zip(uploads, submissions, strict=True):
            _as_district(upload, submission)
        return _history(uploads, submissions)

    with tempfile.TemporaryDirectory() as folder:
        # Our own copies under neutral names: an uploaded name is never a path.
        paths = []
        for upload in uploads:
            path = Path(folder) / upload.key
            path.write_bytes(upload.content)
            paths.append(path)
        return check_files(
            paths,
            uploads[0].loaded,
            names=[upload.key for upload in uploads],
            districts=[upload.district for upload in uploads],
            across_districts=False,
            before_checking=as_districts,
        )


def _history(uploads: list[Upload], submissions) -> pd.DataFrame | None:
    """The values the uploads' districts reported before, for the values they may revise."""
    stores = {id(u.store): u.store for u in uploads if u.store is not None}
    if not stores:
        return None
    catalog = uploads[0].loaded.catalog.id
    wanted = sorted({(s.district, s.year) for s in submissions if s.district and s.year})
    earlier = [
        history
        for store in stores.values()
        for history in earlier_reports(store, catalog, wanted).values()
        if not history.empty
    ]
    return pd.concat(earlier, ignore_index=True).drop_duplicates() if earlier else None


def _as_district(upload: Upload, submission) -> None:
    """A district's upload is that district's, whatever its header says (a differing header
    is an error)."""
    if upload.district is not None:
        if submission.district and submission.district != upload.district:
            submission.findings.append(
                READING_CODES["district.account"].finding(
                    file=upload.key,
                    value=submission.district,
                    expected=upload.district,
                    message=(
                        f"文件中的填报单位“{submission.district}”与账号所属的“{upload.district}”"
                        "不一致：只能上传本单位的填报表"
                    ),
                )
            )
        table = submission.table
        others = (
            []
            if table.empty
            else sorted({str(d) for d in table["district"].dropna().unique()} - {upload.district})
        )
        if others and not submission.district:  # a compiled workbook: several districts
            named = "、".join(others[:5]) + (f"等 {len(others)} 个单位" if len(others) > 5 else "")
            submission.findings.append(
                READING_CODES["district.account"].finding(
                    file=upload.key,
                    value="、".join(others),
                    expected=upload.district,
                    message=(
                        f"文件含有其他单位（{named}）的数据：只能上传本单位的填报表；"
                        "其他单位的数值没有读取"
                    ),
                )
            )
            mine = table["district"].isna() | (table["district"] == upload.district)
            submission.table = table = table[mine.to_numpy(bool)].reset_index(drop=True)
        submission.district = upload.district
        if not table.empty:
            table["district"] = upload.district


def _checked(upload: Upload, result: Result, values: list[dict]) -> Checked:
    """One upload's document and values, made from its result while the pass is still here.
    An upload whose file names no district is its uploader's (the row's)."""
    submission = result.submission
    findings = [replace(f, file=upload.name) for f in result.findings]
    own = Result(replace(submission, file=upload.name), findings)
    district = submission.district or (upload.row.district if upload.row else None)
    document = submission_document(own)
    return Checked(district, submission.year, document, values, upload.loaded.version)


def _store_all(made: list[tuple[Upload, Checked]]) -> None:
    """The pass's outcomes stored, each store's in one transaction: a transaction per upload,
    each writing its hundred-odd values, kept the busy service's writers queueing on SQLite's
    lock (p99 half a second)."""
    by_store: dict[int, tuple[Store, list]] = {}
    for upload, checked in made:
        if upload.store is not None and upload.row is not None:
            by_store.setdefault(id(upload.store), (upload.store, []))[1].append((upload, checked))
    for store, outcomes in by_store.values():
        fresh = [(u, c) for u, c in outcomes if u.fresh and u.row is not None]
        catalog = fresh[0][0].row.catalog if fresh else ""
        # a period approved is locked: an upload for it is kept, not taken
        places = {(c.district, c.period) for _u, c in fresh if c.district and c.period}
        locked = refusals(store, catalog, places)
        rows = []
        for upload, checked in outcomes:
            fields = checked.fields()
            if upload.fresh:
                fields["refused"] = locked.get((checked.district, checked.period))
            rows.append((upload.row, fields, checked.document["findings"], checked.values))
        store.finish_submissions(rows)
        record_uploads(
            store, [(u.row, c.document["findings"], u.account) for u, c in fresh if u.row]
        )


def warm_up(store: Store) -> None:
    """Make the first uploads as quick as the rest: the reading children started, pandera's
    backends registered and one pass run on a template of each catalog in use, blank (its
    findings exercise the rules as well as any), never stored (the first uploads after a
    start waited 0.8 to 1.1 s for all that, against 0.3 s after)."""
    from expectations.engine import prepare
    from submissions.reading.isolation import shared_pool
    from submissions.template import write_template

    pool = shared_pool()
    pool.warm(pool.size)
    prepare()
    validator = batch_validator()
    # as many files as reading children, checked together: each child reads one
    for catalog_id in store.catalogs_in_use():
        try:
            loaded = load(catalog_id)
        except Exception:  # an account of a catalog no longer here: nothing to warm
            continue
        catalog = loaded.catalog
        if not catalog.reporting_units.all:
            continue
        district, year = catalog.reporting_units.all[0], catalog.last_target_year
        with tempfile.TemporaryDirectory() as folder:
            path = write_template(Path(folder) / "warm.xlsx", catalog, district, year)
            content = path.read_bytes()
        uploads = [
            Upload(loaded, content, f"warm-{uuid.uuid4().hex}", "warm.xlsx", district)
            for _child in range(pool.size)
        ]
        for future in [validator.submit(upload) for upload in uploads]:
            future.result()
    # What is loaded by now (pandas, pandera, the catalogs) lives as long as the process: kept
    # out of the garbage collector's full passes, which otherwise walk it all, every time,
    # while the uploads of that moment wait.
    gc.collect()
    gc.freeze()


_VALIDATOR: BatchValidator | None = None
_VALIDATOR_LOCK = threading.Lock()


def batch_validator() -> BatchValidator:
    global _VALIDATOR
    with _VALIDATOR_LOCK:
        if _VALIDATOR is None:
            _VALIDATOR = BatchValidator()
    return _VALIDATOR


def intake(store: Store, account: Account, original_name: str, content: bytes) -> StoredSubmission:
    """Keep the file, validate it, store the result: a broken file is stored and reported too."""
    loaded = load(account.catalog)
    digest = store.keep_file(content)
    name = Path(original_name or "upload").name[:200] or "upload"
    # The bytes and a row saying so are kept before any parsing: whatever happens next, the
    # upload is on record (unfinished, claimed by this process) until its check is stored.
    row = store.add_submission(
        _unfinished(loaded, account, name, digest, len(content)), [_UNFINISHED_FINDING]
    )
    district = account.district if account.role == "district" else None
    key = f"upload-{uuid.uuid4().hex}"
    upload = Upload(loaded, content, key, name, district, store, row, account)
    try:
        batch_validator().check(upload)  # the pass stores the outcome in the row
    except Exception:
        LOG.exception("第 %s 号上传校验失败", row.id)
        failed = _unreadable(loaded, name, digest, len(content), INTERNAL_ERROR, account.district)
        store.finish_submission(row, failed.fields(), failed.document["findings"], failed.values)
    return row


INTERNAL_ERROR = "校验时出现内部错误，已记录日志，请稍后重新上传"
_UNFINISHED = "校验未完成：服务在处理这份文件时中断，文件已保存，将自动重新校验"
_UNFINISHED_FINDING = (
    READING_CODES["file.unreadable"].finding(f"无法读取文件：{_UNFINISHED}").as_dict()
)
FILE_GONE = "原文件已不在存储目录中，无法重新校验，请重新上传"


def _unreadable(
    loaded, name: str, digest: str, size: int, reason: str, district: str | None
) -> Checked:
    """The document of an upload that could not be read, for `reason`."""
    from submissions.reading.tidy import unreadable_here

    submission = unreadable_here(name, reason, (digest, size))
    document = submission_document(Result(submission, submission.findings))
    return Checked(district, None, document, [], loaded.version)


def _unfinished(loaded, account: Account, name: str, digest: str, size: int) -> StoredSubmission:
    return StoredSubmission(
        catalog=loaded.catalog.id,
        catalog_version=loaded.version,
        district=account.district,
        period=None,
        uploaded_by=account.id,
        original_name=name,
        sha256=digest,
        size=size,
        status="unreadable",
        errors=1,
        warnings=0,
        checker=this_process(),
        claimed_at=_now(),
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


# Checking again: interrupted uploads, and stored ones after a catalog correction -----------


def this_process() -> str:
    """Who is checking, as a stored row's `checker` says it: host, pid and the process's
    start (so that a later process with the same pid is not taken for this one)."""
    import os
    import socket

    return f"{socket.gethostname()[:60]}/{os.getpid()}/{_started(os.getpid())}"


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc), '' where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # the command name, in parentheses, may hold spaces: fields are counted after it
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def abandoned(checker: str | None, claimed_at: datetime.datetime | None, stale: float) -> bool:
    """Whether nobody is checking an unfinished row any more: no checker, a process of this
    host that has ended, or a claim older than `stale` seconds (a process elsewhere)."""
    import socket

    if checker is None:
        return True
    host, _, rest = checker.partition("/")
    pid, _, started = rest.partition("/")
    if host == socket.gethostname()[:60] and pid.isdigit():
        return _started(int(pid)) != started or not Path(f"/proc/{pid}").exists()
    if claimed_at is None:
        return True
    return (_now() - claimed_at).total_seconds() > stale


def recheck(
    store: Store, rows: list[StoredSubmission], validator: BatchValidator | None = None
) -> list[tuple[StoredSubmission, dict, dict]]:
    """Each row checked again from its stored bytes against its catalog as it is now, and
    stored: (row, document before, document after) for each. A row whose file is missing is
    stored as unreadable, saying so. The rows are handed to the validator together, so they
    share passes as concurrent uploads do."""
    validator = validator or batch_validator()
    pending: list[tuple[StoredSubmission, dict, Future | None, LoadedCatalog]] = []
    for row in rows:
        before = store.document(row)
        loaded = load(row.catalog)
        try:
            content = store.file_path(row.sha256).read_bytes()
        except (OSError, ValueError):
            pending.append((row, before, None, loaded))
            continue
        uploader = store.account_by_id(row.uploaded_by)
        district = uploader.district if uploader and uploader.role == "district" else None
        key = f"recheck-{row.id}-{uuid.uuid4().hex[:8]}"
        # an interrupted upload taken up again is still a new upload for its period's review
        upload = Upload(loaded, content, key, row.original_name, district, store, row,
                        uploader, fresh=row.checked_at is None)  # fmt: skip
        pending.append((row, before, validator.submit(upload), loaded))
    done = []
    for row, before, future, loaded in pending:
        checked = None
        if future is not None:
            try:
                checked = future.result()  # stored by its pass
            except Exception:
                LOG.exception("第 %s 号上传重新校验失败", row.id)
        if checked is None:
            reason = FILE_GONE if future is None else INTERNAL_ERROR
            checked = _unreadable(loaded, row.original_name, row.sha256, row.size, reason,
                                  row.district)  # fmt: skip
            store.finish_submission(
                row, checked.fields(), checked.document["findings"], checked.values
            )
        done.append((row, before, checked.document))
    return done


def take_up_interrupted(store: Store, stale: float) -> list[StoredSubmission]:
    """Every unfinished upload nobody is checking any more, claimed by this process and
    checked again (several instances may look at once: each row is taken by one)."""
    me = this_process()
    claimed = [
        row
        for row in store.selected(unfinished=True)
        if abandoned(row.checker, row.claimed_at, stale) and store.claim(row, me)
    ]
    if claimed:
        numbers = ", ".join(str(row.id) for row in claimed)
        LOG.info("重新校验 %d 份中断的上传：%s", len(claimed), numbers)
        recheck(store, claimed)
    return claimed


class Recovery:
    """A thread that takes up interrupted uploads at start and then every `every` seconds
    (an instance elsewhere may stop without a restart here). It touches only the store."""

    def __init__(self, store: Store, stale: float, every: float = 60.0) -> None:
        self.store, self.stale, self.every = store, stale, every
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="recovery", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                take_up_interrupted(self.store, self.stale)
            except Exception:  # the database away for a moment: the next round tries again
                LOG.exception("重新校验中断的上传时出错")
            self._stop.wait(self.every)


def change_summary(row: StoredSubmission, before: dict, after: dict) -> str:
    """One line saying what a re-check changed: the status, findings gone and new."""
    from reports.html import STATUS_LABELS

    def where(finding: dict) -> str:
        cell = f"{finding.get('sheet')}!{finding['cell']}" if finding.get("cell") else ""
        return f"{finding.get('rule')} {cell}".strip()

    def placed(document: dict) -> dict[tuple, str]:
        keys = ("rule", "sheet", "cell", "indicator", "year")
        return {tuple(f.get(k) for k in keys): where(f) for f in document.get("findings", [])}

    old, new = placed(before), placed(after)
    who = " ".join(str(x) for x in (row.district, f"{row.period}年" if row.period else None) if x)
    head = f"第 {row.id} 号上传（{who or '单位未知'}，{row.original_name}）："
    parts = []
    was, now = str(before.get("status")), str(after.get("status"))
    if was != now:
        parts.append(f"{STATUS_LABELS.get(was, was)} → {STATUS_LABELS.get(now, now)}")
    for label, keys, names in (("不再有", old.keys() - new.keys(), old),
                               ("新增", new.keys() - old.keys(), new)):  # fmt: skip
        if keys:
            shown = sorted(names[key] for key in keys)
            more = f" 等 {len(shown)} 条" if len(shown) > 5 else ""
            parts.append(f"{label} {len(shown)} 条（{'、'.join(shown[:5])}{more}）")
    return head + ("；".join(parts) if parts else "无变化")
