"""The service's pages for people: home, upload, results and their downloads, evaluation,
a district's periods, the template."""

from __future__ import annotations

import datetime
import io
import json
import logging
import tempfile
from pathlib import Path

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from indicators import load
from reports import intake as uploads
from reports.guards import size_in_words
from reports.html import STATUS_LABELS
from reports.reviewing import district_view, evaluation_view
from reports.web import AFTER_UPLOAD, web_of
from submissions import Finding
from submissions.database import Store, StoredSubmission, document_of

LOG = logging.getLogger("validate.service")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    web = web_of(request)
    account = web.current(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    rows = web.store.submissions(account)
    catalog = load(account.catalog).catalog
    return web.render(
        "home.html",
        account=account,
        catalog=catalog,
        csrf=web.csrf(request),
        rows=rows,
        history=_by_period(rows),
        labels=STATUS_LABELS,
        board=_board(catalog, rows) if account.role == "reviewer" else None,
        upload_limit=web.upload_limit(),
        upload_limit_text=size_in_words(web.upload_limit()),
    )


@router.post("/upload")
async def upload(request: Request, file: UploadFile, token: str = Form("")):
    web = web_of(request)
    account = request.state.account  # signed in: the upload guard saw to that
    if not web.csrf_ok(request, token):
        return web.render("error.html", 403, message="页面已过期，请刷新后重新上传。")
    content = await web.read_file(file)
    # off the event loop: concurrent uploads then meet in the batch validator
    row = await run_in_threadpool(
        uploads.intake, web.store, account, file.filename or "upload", content
    )
    return RedirectResponse(f"/submissions/{row.id}", status_code=303, headers=AFTER_UPLOAD)


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation(request: Request, year: str | None = None):
    web = web_of(request)
    account = web.current(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    if account.role != "reviewer":
        return web.render("error.html", 403, message="终期评估只对审核人开放。")
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        message = f"评估年度“{year[:20]}”应为四位年份，如 2025。"
        return web.render("error.html", 400, message=message)
    page = evaluation_view(web.store, account, int(year) if year else None)
    return HTMLResponse(web.templates.get_template("evaluation.html").render(page=page))


@router.get("/districts/{district}", response_class=HTMLResponse)
def district_history(request: Request, district: str):
    web = web_of(request)
    account = web.current(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    catalog = load(account.catalog).catalog
    own = account.role == "reviewer" or district == account.district
    if not own or district not in catalog.reporting_units.all:
        return web.render("error.html", 404, message="没有这个单位，或您无权查看。")
    view = district_view(account.catalog, district, web.store.submissions(account))
    return web.render(
        "district.html", account=account, catalog=catalog, csrf=web.csrf(request), view=view,
        labels=STATUS_LABELS,
    )  # fmt: skip


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def result_page(request: Request, submission_id: int):
    web = web_of(request)
    account = web.current(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    row = web.store.submission(submission_id, account)
    if row is None:
        return web.render("error.html", 404, message="没有这份填报，或您无权查看。")
    page = json.loads(row.page)
    page["dashboard_link"] = "/"
    page["downloads"] = [
        ("标注了问题的工作簿（.xlsx）", f"/submissions/{row.id}/annotated.xlsx"),
        ("JSON", f"/submissions/{row.id}/report.json"),
        ("问题清单（CSV）", f"/submissions/{row.id}/findings.csv"),
    ]
    page["file"] = f"{row.original_name}（第 {row.id} 号上传，{row.uploaded_at:%Y-%m-%d %H:%M}）"
    return HTMLResponse(web.templates.get_template("submission.html").render(page=page))


def _visible(request: Request, submission_id: int) -> StoredSubmission | None:
    """The stored upload, if whoever asks (signed in, or with a token) may see it."""
    web = web_of(request)
    account = web.current(request) or web.bearer(request)
    return web.store.submission(submission_id, account) if account else None


@router.get("/submissions/{submission_id}/report.json")
def report_json(request: Request, submission_id: int):
    row = _visible(request, submission_id)
    if row is None:
        return JSONResponse({"error": "没有这份填报"}, status_code=404)
    return JSONResponse(document_of(row))


@router.get("/submissions/{submission_id}/findings.csv")
def report_csv(request: Request, submission_id: int):
    row = _visible(request, submission_id)
    if row is None:
        return web_of(request).render("error.html", 404, message="没有这份填报，或您无权查看。")
    return Response(
        _csv(document_of(row), row.original_name),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="findings-{row.id}.csv"'},
    )


@router.get("/submissions/{submission_id}/annotated.xlsx")
def annotated(request: Request, submission_id: int):
    web = web_of(request)
    row = _visible(request, submission_id)
    if row is None:
        return web.render("error.html", 404, message="没有这份填报，或您无权查看。")
    if row.status == "unreadable":
        return web.render("error.html", 409, message="这个文件无法读取，没有可标注的副本。")
    target = web.config.data_dir / "annotated" / f"{row.id}.xlsx"
    if not target.exists() and not _annotate(web.store, row, target):
        return web.render("error.html", 500, message="无法为这个文件生成标注副本，请稍后再试。")
    return FileResponse(target, media_type=XLSX, filename=f"submission-{row.id}-annotated.xlsx")


@router.get("/template.xlsx")
def template(request: Request, district: str | None = None, year: int | None = None):
    from submissions.template import write_template

    web = web_of(request)
    account = web.current(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    if year is not None and not 2000 <= year <= 2100:
        return web.render("error.html", 400, message="填报年度应为四位年份，如 2025。")
    catalog = load(account.catalog).catalog
    chosen = account.district if account.role == "district" else catalog.district(district or "")
    if chosen is None:
        return web.render("error.html", 400, message="请选择报送单位。")
    year = year or min(datetime.date.today().year - 1, catalog.last_target_year)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(Path(folder) / "t.xlsx", catalog, chosen, year)
        buffer.write(path.read_bytes())
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="template-{year}.xlsx"'},
    )


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
