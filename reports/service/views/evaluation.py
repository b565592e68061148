"""The reviewer's evaluation page: every district's stored figures judged against the plan."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reports.service.auth import Reviewer
from reports.service.reviewing import evaluation_view
from reports.service.web import web_of

router = APIRouter()


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation(request: Request, account: Reviewer, year: str | None = None):
    web = web_of(request)
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        message = f"评估年度“{year[:20]}”应为四位年份，如 2025。"
        return web.render("error.html", 400, message=message)
    page = evaluation_view(web.store, account, int(year) if year else None)
    return HTMLResponse(web.templates.get_template("evaluation.html").render(page=page))
