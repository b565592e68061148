"""One upload's result page and its downloads: the annotated workbook, JSON and CSV."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from reports.service.auth import SignedIn, Viewer
from reports.service.store import Account, Store, StoredSubmission, document_of
from reports.service.web import XLSX, web_of
from submissions import Finding

LOG = logging.getLogger("validate.service")
NOT_VISIBLE = "没有这份填报，或您无权查看。"

router = APIRouter()


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def result_page(request: Request, submission_id: int, account: SignedIn):
    web = web_of(request)
    row = web.store.submission(submission_id, account)
    if row is None:
        return web.render("error.html", 404, message=NOT_VISIBLE)
    page = json.loads(row.page)
    page["dashboard_link"] = "/"
    page["downloads"] = [
        ("标注了问题的工作簿（.xlsx）", f"/submissions/{row.id}/annotated.xlsx"),
        ("JSON", f"/submissions/{row.id}/report.json"),
        ("问题清单（CSV）", f"/submissions/{row.id}/findings.csv"),
    ]
    page["file"] = f"{row.original_name}（第 {row.id} 号上传，{row.uploaded_at:%Y-%m-%d %H:%M}）"
    return HTMLResponse(web.templates.get_template("submission.html").render(page=page))


def _visible(request: Request, submission_id: int, who: Account | None):
    """The stored upload, if whoever asks (signed in, or with a token) may see it."""
    return web_of(request).store.submission(submission_id, who) if who else None


@router.get("/submissions/{submission_id}/report.json")
def report_json(request: Request, submission_id: int, who: Viewer):
    row = _visible(request, submission_id, who)
    if row is None:
        return JSONResponse({"error": "没有这份填报"}, status_code=404)
    return JSONResponse(document_of(row))


@router.get("/submissions/{submission_id}/findings.csv")
def report_csv(request: Request, submission_id: int, who: Viewer):
    row = _visible(request, submission_id, who)
    if row is None:
        return web_of(request).render("error.html", 404, message=NOT_VISIBLE)
    return Response(
        _csv(document_of(row), row.original_name),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="findings-{row.id}.csv"'},
    )


@router.get("/submissions/{submission_id}/annotated.xlsx")
def annotated(request: Request, submission_id: int, who: Viewer):
    web = web_of(request)
    row = _visible(request, submission_id, who)
    if row is None:
        return web.render("error.html", 404, message=NOT_VISIBLE)
    if row.status == "unreadable":
        return web.render("error.html", 409, message="这个文件无法读取，没有可标注的副本。")
    target = web.config.data_dir / "annotated" / f"{row.id}.xlsx"
    if not target.exists() and not _annotate(web.store, row, target):
        return web.render("error.html", 500, message="无法为这个文件生成标注副本，请稍后再试。")
    return FileResponse(target, media_type=XLSX, filename=f"submission-{row.id}-annotated.xlsx")


def _csv(document: dict, name: str) -> bytes:
    from reports.csv_report import write_findings

    buffer = io.StringIO(newline="")
    write_findings(buffer, ((name, finding) for finding in document["findings"]))
    return buffer.getvalue().encode("utf-8-sig")


def _annotate(store: Store, row: StoredSubmission, target: Path) -> bool:
    """The annotated copy of a stored upload, made by a reading child (openpyxl parses the
    district's file); False if it could not be made."""
    from reports.annotate import annotate_copy
    from submissions.reading.isolation import Failure, Job, shared_pool

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
