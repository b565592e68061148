"""The upload page and API: district staff upload and see their report, reviewers see everyone."""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import queue
import secrets
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pandas as pd
from fastapi import FastAPI, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware.sessions import SessionMiddleware

from expectations import Result, validate
from indicators import CatalogError, load
from reports.guards import SecurityHeaders, TooLarge, UploadGuard, too_large_message
from reports.html import STATUS_LABELS, environment, submission_page, values_by_file
from reports.json_report import submission_document
from reports.reviewing import district_view, earlier_reports, evaluation_view, reported_records
from submissions import Finding, read_submissions
from submissions.database import Account, Store, StoredSubmission, document_of
from submissions.finding import CannotContinue
from submissions.settings import Settings, settings

LOG = logging.getLogger("validate.service")
SESSION_LIFETIME = datetime.timedelta(hours=8)
# Wrong passwords: this many in the window, per account and per client address, then 429.
FAILURES_ALLOWED, FAILURE_WINDOW = 5, datetime.timedelta(minutes=1)


def secret_key(config: Settings) -> str:
    """From VALIDATE_SECRET_KEY, else made once and kept (0600) in the data directory."""
    if config.secret_key:
        return config.secret_key
    path = config.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class BatchValidator:
    """Reads and validates uploads that arrive together in one pass.

    Building and checking a pandas table costs about the same for ten 150-row files as for one
    (measured per upload: 9 ms to read and 65 ms to validate alone, 7 ms to validate in a batch
    of 20), so concurrent uploads wait at most `window` seconds to share a pass. Rules across
    districts are left out: an upload is judged on its own, never against strangers' files.
    """

    def __init__(self, window: float = 0.01, largest: int = 32):
        self.window, self.largest = window, largest
        self.pending: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="batch-validator", daemon=True)
        self.thread.start()

    def check(self, loaded, content: bytes, key: str, district: str | None, adjust):
        """Read `content` (named `key`) and validate it; `adjust(submission)` runs in between
        and returns the values its district reported before (or None)."""
        done = threading.Event()
        slot: dict = {}
        self.pending.put(((loaded, content, key, district, adjust), done, slot))
        done.wait()
        if "error" in slot:
            raise slot["error"]
        return slot["submission"], slot["outcome"], slot["result"], slot["values"]

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
                loaded = item[0][0]
                by_catalog.setdefault(loaded.catalog.id + loaded.version, []).append(item)
            for items in by_catalog.values():
                self._process(items)

    @staticmethod
    def _process(items: list) -> None:
        loaded = items[0][0][0]
        try:
            with tempfile.TemporaryDirectory() as folder:
                # Our own copies under neutral names: an uploaded name is never a path.
                paths = []
                for (_loaded, content, key, _district, _adjust), _done, _slot in items:
                    path = Path(folder) / key
                    path.write_bytes(content)
                    paths.append(path)
                submissions = read_submissions(
                    paths,
                    loaded.catalog,
                    display_names=[item[0][2] for item in items],
                    districts=[item[0][3] for item in items],
                )
            # each upload's district's earlier reports, for the values it may revise
            histories = [
                item[0][4](submission) for item, submission in zip(items, submissions, strict=True)
            ]
            earlier = [h for h in histories if h is not None and not h.empty]
            history = pd.concat(earlier, ignore_index=True) if earlier else None
            outcome = validate(submissions, loaded, across_districts=False, history=history)
            values = values_by_file(outcome)  # one pass over the batch for every page in it
            for item, submission, result in zip(items, submissions, outcome.results, strict=True):
                item[2].update(
                    submission=submission,
                    outcome=outcome,
                    result=result,
                    values=values.get(submission.file, {}),
                )
        except Exception as exc:  # handed to each waiting request, which logs it
            for item in items:
                item[2]["error"] = exc
        for item in items:
            item[1].set()


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
    safe_name = Path(original_name or "upload").name[:200] or "upload"
    key = f"upload-{uuid.uuid4().hex}"  # tells files apart within a shared pass

    def adjust(submission) -> None:
        if (
            account.role == "district"
            and submission.district
            and submission.district != account.district
        ):
            submission.findings.append(
                Finding(
                    rule="district.account",
                    category="structure",
                    severity="error",
                    file=key,
                    value=submission.district,
                    expected=account.district,
                    message=(
                        f"文件中的填报单位“{submission.district}”与账号所属的“{account.district}”"
                        "不一致：只能上传本单位的填报表"
                    ),
                )
            )
        if account.role == "district":
            submission.district = account.district
            if not submission.table.empty:
                submission.table["district"] = account.district
        if submission.district and submission.year:
            return earlier_reports(store, loaded.catalog.id, submission.district, submission.year)
        return None

    # The bytes and a row saying so are kept before any parsing: whatever happens next, the
    # upload is on record (unreadable, with the reason) until validation replaces the row.
    row = store.add_submission(
        _unfinished(loaded, account, safe_name, digest, len(content)), [_UNFINISHED_FINDING]
    )
    try:
        submission, outcome, result, values = batch_validator().check(
            loaded, content, key, account.district, adjust
        )
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        page = submission_page(outcome, result, values, stamp)
        page["reported"] = reported_records(outcome.table, submission)  # for later revisions
        submission.file = safe_name
        result = Result(submission, [replace(f, file=safe_name) for f in result.findings])
        document = submission_document(result)
        page["file"] = safe_name
    except Exception:
        LOG.exception("第 %s 号上传校验失败", row.id)
        document, page = _unreadable_parts(
            loaded,
            safe_name,
            digest,
            len(content),
            "校验时出现内部错误，已记录日志，请稍后重新上传",
        )
        submission = None
    fields = {
        "district": submission.district if submission else account.district,
        "period": submission.year if submission else None,
        "status": document["status"],
        "errors": document["summary"]["errors"],
        "warnings": document["summary"]["warnings"],
        "document": json.dumps(document, ensure_ascii=False),
        "page": json.dumps(page, ensure_ascii=False, default=str),
    }
    return store.finish_submission(row, fields, document["findings"])


_UNFINISHED = "校验未完成：服务在处理这份文件时中断，文件已保存，请重新上传或联系管理员"
_UNFINISHED_FINDING = {
    "severity": "error",
    "category": "file",
    "rule": "file.unreadable",
    "message": f"无法读取文件：{_UNFINISHED}",
}


def _unreadable_parts(loaded, name: str, digest: str, size: int, reason: str) -> tuple:
    """The JSON document and page of an upload that could not be read, for `reason`."""
    from expectations.engine import Outcome
    from submissions.reader import unreadable_here

    submission = unreadable_here(name, reason, (digest, size))
    result = Result(submission, list(submission.findings))
    outcome = Outcome(loaded, [result], [], submission.table)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return submission_document(result), submission_page(outcome, result, {}, stamp)


def _unfinished(loaded, account: Account, name: str, digest: str, size: int) -> StoredSubmission:
    document, page = _unreadable_parts(loaded, name, digest, size, _UNFINISHED)
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
        document=json.dumps(document, ensure_ascii=False),
        page=json.dumps(page, ensure_ascii=False, default=str),
    )


def create_app(store: Store | None = None, config: Settings | None = None) -> FastAPI:
    """The service; its settings are read once, here (a bad one stops it from starting)."""
    config = config or settings()
    store = store or Store()
    store.migrate()
    app = FastAPI(title="一老一小指标填报校验", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.max_upload = config.max_upload

    def upload_limit() -> int:
        return app.state.max_upload

    web = environment()

    def session_account(session: dict) -> Account | None:
        token = session.get("sid")
        return store.session_account(token) if isinstance(token, str) else None

    def token_account(headers) -> Account | None:
        header = headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        return store.account_by_token(header[7:].strip())

    def account_of(scope: dict) -> Account | None:
        """Who sends an upload, from its headers alone (cookie or token)."""
        if scope["path"].startswith("/api/"):
            return token_account(Headers(scope=scope))
        return session_account(scope.get("session") or {})

    # Outermost first: headers on every response; the session cookie decoded before the upload
    # guard looks at it; the guard before any route reads a body.
    app.add_middleware(UploadGuard, limit=upload_limit, account_of=account_of)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(config),
        session_cookie="validate_session",
        same_site="lax",
        https_only=config.https,
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    app.add_middleware(SecurityHeaders, scripts=[web.get_template("_script.js").render()])

    def render(name: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(web.get_template(f"web/{name}").render(**context), status_code)

    def current(request: Request) -> Account | None:
        return session_account(request.session)

    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    def csrf_ok(request: Request, token: str) -> bool:
        expected = request.session.get("csrf")
        return (
            isinstance(expected, str)
            and bool(expected)
            and secrets.compare_digest(expected, token or "")
        )

    def bearer(request: Request) -> Account | None:
        return token_account(request.headers)

    async def read_file(upload: UploadFile) -> bytes:
        """The guard bounded the body as it arrived (file, form fields and boundaries); the
        limit itself is on the file."""
        content = await upload.read()
        if len(content) > upload_limit():
            raise TooLarge
        return content

    def too_large_response(request: Request):
        message = too_large_message(upload_limit())
        response: Response
        if request.url.path.startswith("/api/"):
            response = JSONResponse({"error": message}, status_code=413)
        else:
            response = render("error.html", 413, message=message)
        response.headers["connection"] = "close"  # the server stops reading the body
        return response

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):  # never a traceback page
        LOG.exception("internal error on %s", request.url.path)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "服务器内部错误，已记录日志"}, status_code=500)
        return render(
            "error.html", 500, message="服务器内部错误，已记录日志，请稍后再试或联系管理员。"
        )

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge):
        return too_large_response(request)

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request):
        return render("login.html", csrf=csrf(request), error=None)

    @app.post("/login")
    def login(
        request: Request, name: str = Form(""), password: str = Form(""), token: str = Form("")
    ):
        if not csrf_ok(request, token):
            return render("error.html", 403, message="页面已过期，请刷新后重新登录。")
        address = request.client.host if request.client else "unknown"
        keys = (f"account:{name}", f"address:{address}")
        wait = _throttled(store, keys)
        if wait:
            LOG.warning("登录已限制：账号 %r，来自 %s（%d 秒后可再试）", name, address, wait)
            response = render(
                "login.html",
                429,
                csrf=csrf(request),
                error=f"登录失败次数过多，请在 {wait} 秒后再试",
            )
            response.headers["retry-after"] = str(wait)
            return response
        account = store.check_password(name, password)
        if account is None:
            store.record_failure(*keys)
            LOG.warning("登录失败：账号 %r，来自 %s", name, address)  # never the password
            return render("login.html", 401, csrf=csrf(request), error="账号或密码不正确")
        store.clear_failures(keys[0])
        request.session.clear()
        request.session["sid"] = store.open_session(account, SESSION_LIFETIME)
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, token: str = Form("")):
        if csrf_ok(request, token):
            if isinstance(request.session.get("sid"), str):
                store.close_session(request.session["sid"])  # the cookie is worthless from now
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        account = current(request)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        rows = store.submissions(account)
        catalog = load(account.catalog).catalog
        return render(
            "home.html",
            account=account,
            catalog=catalog,
            csrf=csrf(request),
            rows=rows,
            history=_by_period(rows),
            labels=STATUS_LABELS,
            board=_board(catalog, rows) if account.role == "reviewer" else None,
        )

    @app.post("/upload")
    async def upload(request: Request, file: UploadFile, token: str = Form("")):
        account = request.state.account  # signed in: the upload guard saw to that
        if not csrf_ok(request, token):
            return render("error.html", 403, message="页面已过期，请刷新后重新上传。")
        content = await read_file(file)
        # off the event loop: concurrent uploads then meet in the batch validator
        row = await run_in_threadpool(intake, store, account, file.filename or "upload", content)
        return RedirectResponse(f"/submissions/{row.id}", status_code=303)

    @app.get("/evaluation", response_class=HTMLResponse)
    def evaluation(request: Request, year: str | None = None):
        account = current(request)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        if account.role != "reviewer":
            return render("error.html", 403, message="终期评估只对审核人开放。")
        if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
            message = f"评估年度“{year[:20]}”应为四位年份，如 2025。"
            return render("error.html", 400, message=message)
        page = evaluation_view(store, account, int(year) if year else None)
        return HTMLResponse(web.get_template("evaluation.html").render(page=page))

    @app.get("/districts/{district}", response_class=HTMLResponse)
    def district_history(request: Request, district: str):
        account = current(request)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        catalog = load(account.catalog).catalog
        own = account.role == "reviewer" or district == account.district
        if not own or district not in catalog.reporting_units.all:
            return render("error.html", 404, message="没有这个单位，或您无权查看。")
        view = district_view(account.catalog, district, store.submissions(account))
        return render(
            "district.html", account=account, catalog=catalog, csrf=csrf(request), view=view,
            labels=STATUS_LABELS,
        )  # fmt: skip

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    def result_page(request: Request, submission_id: int):
        account = current(request)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        row = store.submission(submission_id, account)
        if row is None:
            return render("error.html", 404, message="没有这份填报，或您无权查看。")
        page = json.loads(row.page)
        page["dashboard_link"] = "/"
        page["downloads"] = [
            ("标注了问题的工作簿（.xlsx）", f"/submissions/{row.id}/annotated.xlsx"),
            ("JSON", f"/submissions/{row.id}/report.json"),
            ("问题清单（CSV）", f"/submissions/{row.id}/findings.csv"),
        ]
        page["file"] = (
            f"{row.original_name}（第 {row.id} 号上传，{row.uploaded_at:%Y-%m-%d %H:%M}）"
        )
        return HTMLResponse(web.get_template("submission.html").render(page=page))

    def _visible(request: Request, submission_id: int):
        account = current(request) or bearer(request)
        if account is None:
            return None, None
        return account, store.submission(submission_id, account)

    @app.get("/submissions/{submission_id}/report.json")
    def report_json(request: Request, submission_id: int):
        _account, row = _visible(request, submission_id)
        if row is None:
            return JSONResponse({"error": "没有这份填报"}, status_code=404)
        return JSONResponse(document_of(row))

    @app.get("/submissions/{submission_id}/findings.csv")
    def report_csv(request: Request, submission_id: int):
        _account, row = _visible(request, submission_id)
        if row is None:
            return render("error.html", 404, message="没有这份填报，或您无权查看。")
        return Response(
            _csv(document_of(row), row.original_name),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="findings-{row.id}.csv"'},
        )

    @app.get("/submissions/{submission_id}/annotated.xlsx")
    def annotated(request: Request, submission_id: int):
        _account, row = _visible(request, submission_id)
        if row is None:
            return render("error.html", 404, message="没有这份填报，或您无权查看。")
        if row.status == "unreadable":
            return render("error.html", 409, message="这个文件无法读取，没有可标注的副本。")
        target = config.data_dir / "annotated" / f"{row.id}.xlsx"
        if not target.exists() and not _annotate(store, row, target):
            return render("error.html", 500, message="无法为这个文件生成标注副本，请稍后再试。")
        return FileResponse(
            target,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"submission-{row.id}-annotated.xlsx",
        )

    @app.get("/template.xlsx")
    def template(request: Request, district: str | None = None, year: int | None = None):
        from submissions.template import write_template

        account = current(request)
        if account is None:
            return RedirectResponse("/login", status_code=303)
        catalog = load(account.catalog).catalog
        chosen = (
            account.district if account.role == "district" else catalog.district(district or "")
        )
        if chosen is None:
            return render("error.html", 400, message="请选择报送单位。")
        year = year or min(datetime.date.today().year - 1, catalog.last_target_year)
        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory() as folder:
            path = write_template(Path(folder) / "t.xlsx", catalog, chosen, year)
            buffer.write(path.read_bytes())
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="template-{year}.xlsx"'},
        )

    @app.post("/api/submissions")
    async def api_upload(request: Request, file: UploadFile, catalog: str | None = Form(None)):
        account = request.state.account  # the upload guard refused requests without a token
        if catalog and catalog != account.catalog:
            return JSONResponse({"error": f"账号不能向指标体系“{catalog}”报送"}, status_code=403)
        content = await read_file(file)
        # off the event loop: concurrent uploads then meet in the batch validator
        row = await run_in_threadpool(intake, store, account, file.filename or "upload", content)
        return JSONResponse(document_of(row), status_code=201)

    @app.get("/api/submissions/{submission_id}")
    def api_get(request: Request, submission_id: int):
        account = bearer(request)
        if account is None:
            return JSONResponse({"error": "需要有效的 API 令牌"}, status_code=401)
        row = store.submission(submission_id, account)
        if row is None:
            return JSONResponse({"error": "没有这份填报"}, status_code=404)
        return JSONResponse(document_of(row))

    @app.get("/api/submissions")
    def api_list(request: Request):
        account = bearer(request)
        if account is None:
            return JSONResponse({"error": "需要有效的 API 令牌"}, status_code=401)
        return JSONResponse(
            [
                {
                    "id": row.id,
                    "district": row.district,
                    "year": row.period,
                    "status": row.status,
                    "file": row.original_name,
                    "uploaded_at": row.uploaded_at.isoformat(timespec="seconds"),
                }
                for row in store.submissions(account)
            ]
        )

    return app


def _throttled(store: Store, keys: tuple[str, ...]) -> int:
    """Seconds until another try is allowed, 0 if it is allowed now."""
    wait = 0
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for key in keys:
        failures = store.recent_failures(key, FAILURE_WINDOW)
        if len(failures) >= FAILURES_ALLOWED:
            # allowed again when the oldest failure that counts leaves the window
            oldest = failures[-FAILURES_ALLOWED]
            wait = max(wait, int((oldest + FAILURE_WINDOW - now).total_seconds()) + 1)
    return wait


def _by_period(rows: list[StoredSubmission]) -> list[tuple]:
    """Uploads grouped by reporting period, newest period first; within one, in upload order,
    each with its number among the same district's uploads for that period."""
    periods: dict = {}
    counts: dict = {}
    for row in rows:
        counts[(row.period, row.district)] = counts.get((row.period, row.district), 0) + 1
        periods.setdefault(row.period, []).append((row, counts[(row.period, row.district)]))
    return sorted(periods.items(), key=lambda item: (item[0] is None, -(item[0] or 0)))


def _board(catalog, rows: list[StoredSubmission]) -> dict:
    """Latest status per district and period, and who has not submitted for the latest period."""
    latest: dict[tuple, StoredSubmission] = {}
    for row in rows:
        latest[(row.district, row.period)] = row  # rows come in upload order: the last wins
    periods = sorted({p for _, p in latest if p is not None}, reverse=True)
    current_period = periods[0] if periods else None
    units = list(catalog.reporting_units.required) + list(catalog.reporting_units.optional)
    others = sorted({d for d, _ in latest if d and d not in units})
    table = []
    for unit in units + others:
        table.append((unit, [latest.get((unit, p)) for p in periods]))
    missing = [u for u in catalog.reporting_units.required if (u, current_period) not in latest]
    return {"periods": periods, "table": table, "missing": missing, "current": current_period}


def _csv(document: dict, name: str) -> bytes:
    from reports.csv_report import write_findings

    buffer = io.StringIO(newline="")
    write_findings(buffer, ((name, finding) for finding in document["findings"]))
    return buffer.getvalue().encode("utf-8-sig")


def _annotate(store: Store, row: StoredSubmission, target: Path) -> bool:
    """The annotated copy of a stored upload, made by a reading child (openpyxl parses the
    district's file); False if it could not be made."""
    from reports.annotate import annotate_copy
    from submissions.isolation import Failure, Job, shared_pool

    document = json.loads(row.document)
    findings = [
        Finding(**{k: f.get(k) for k in Finding.__dataclass_fields__ if k in f})
        for f in document["findings"]
    ]
    source = store.file_path(row.sha256)
    job = Job(annotate_copy, (findings, document.get("kind"), source, target))
    (made,) = shared_pool().run([job])
    if isinstance(made, Failure):
        LOG.warning("无法为第 %s 号上传写出标注副本：%s", row.id, made.reason)
        return False
    return True


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory`: the store from DATABASE_URL / VALIDATE_DATA_DIR."""
    try:
        return create_app()
    except (CatalogError, CannotContinue) as exc:  # the worker does not start: one line
        raise SystemExit(str(exc)) from exc
