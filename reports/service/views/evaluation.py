"""The reviewer's evaluation page: every district's stored figures judged against the plan."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from reports.service.auth import Reviewer
from reports.service.reviewing import evaluation_view, stored_evaluation
from reports.service.web import web_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

router = APIRouter()


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation(request: Request, account: Reviewer, year: str | None = None):
    web = web_of(request)
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        message = f"评估年度“{year[:20]}”应为四位年份，如 2025。"
        return web.render("error.html", 400, message=message)
    page = evaluation_view(web.store, account, int(year) if year else None)
    return HTMLResponse(web.templates.get_template("evaluation.html").render(page=page))


@router.get("/evaluation.docx")
def evaluation_docx(request: Request, account: Reviewer, year: str | None = None):
    """The Word draft of the evaluation report, from the same stored uploads as the page."""
    from reports.evaluation_docx import write_evaluation_docx

    web = web_of(request)
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        message = f"评估年度“{year[:20]}”应为四位年份，如 2025。"
        return web.render("error.html", 400, message=message)
    evaluation, _rows = stored_evaluation(web.store, account, int(year) if year else None)
    with tempfile.TemporaryDirectory() as folder:
        path = write_evaluation_docx(evaluation, Path(folder) / "evaluation.docx")
        content = path.read_bytes()
    name = f"evaluation-{evaluation.year}.docx"
    return Response(
        content, media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
