"""The review loop's forms (CSRF-checked): explain, submit, accept or reject, return, approve,
reopen, set a deadline; and an upload's audit as CSV. Each calls reports.service.review, as the
API does, and comes back to the page it was sent from."""

from __future__ import annotations

import csv
import datetime
import io

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reports.clock import shown
from reports.csv_report import neutralise
from reports.service import review
from reports.service.auth import SignedIn, Viewer
from reports.service.store import Account
from reports.service.web import web_of

router = APIRouter()
NOT_VISIBLE = "没有这份填报，或您无权查看。"
EXPIRED = "页面已过期，请刷新后重新操作。"


def _acted(request: Request, account: Account, submission_id: int, token: str, action: str,
           anchor: str = "review", **detail):  # fmt: skip
    web = web_of(request)
    if not web.csrf_ok(request, token):
        return web.render("error.html", 403, message=EXPIRED)
    row = web.store.submission(submission_id, account)
    if row is None:
        return web.render("error.html", 404, message=NOT_VISIBLE)
    try:
        review.act(web.store, account, row, action, **detail)
    except review.Refused as refused:
        return web.render("error.html", refused.status, message=refused.message,
                          back=f"/submissions/{row.id}")  # fmt: skip
    return RedirectResponse(f"/submissions/{row.id}#{anchor}", status_code=303)


@router.post("/submissions/{submission_id}/explanations")
def explain(request: Request, submission_id: int, account: SignedIn, token: str = Form(""),
            finding: int = Form(...), text: str = Form("")):  # fmt: skip
    return _acted(request, account, submission_id, token, "explain",
                  anchor=f"finding-{finding}", finding=finding, text=text)  # fmt: skip


@router.post("/submissions/{submission_id}/submit")
def submit(request: Request, submission_id: int, account: SignedIn, token: str = Form("")):
    return _acted(request, account, submission_id, token, "submit")


@router.post("/submissions/{submission_id}/verdicts")
def verdict(request: Request, submission_id: int, account: SignedIn, token: str = Form(""),
            finding: int = Form(...), verdict: str = Form(""), reason: str = Form("")):  # fmt: skip
    return _acted(request, account, submission_id, token, "verdict", anchor=f"finding-{finding}",
                  finding=finding, verdict=verdict, text=reason)  # fmt: skip


@router.post("/submissions/{submission_id}/return")
async def give_back(request: Request, submission_id: int, account: SignedIn):
    form = await request.form()
    # per-finding comments come as comment-<finding id> fields of the same form
    comments = {
        int(name.removeprefix("comment-")): str(value)
        for name, value in form.items()
        if name.startswith("comment-") and name.removeprefix("comment-").isdigit()
    }
    return _acted(request, account, submission_id, str(form.get("token", "")), "return",
                  text=str(form.get("comment", "")), comments=comments)  # fmt: skip


@router.post("/submissions/{submission_id}/approve")
def approve(request: Request, submission_id: int, account: SignedIn, token: str = Form("")):
    return _acted(request, account, submission_id, token, "approve")


@router.post("/periods/{district}/{year}/reopen")
def reopen(request: Request, district: str, year: int, account: SignedIn,
           token: str = Form("")):  # fmt: skip
    web = web_of(request)
    if not web.csrf_ok(request, token):
        return web.render("error.html", 403, message=EXPIRED)
    try:
        review.reopen(web.store, account, account.catalog, district, year)
        found = review.review_of(web.store, account.catalog, district, year)
    except review.Refused as refused:
        return web.render("error.html", refused.status, message=refused.message)
    target = f"/submissions/{found.submission_id}#review" if found else "/"
    return RedirectResponse(target, status_code=303)


@router.post("/deadlines")
def deadline(request: Request, account: SignedIn, token: str = Form(""), year: int = Form(...),
             due: str = Form("")):  # fmt: skip
    web = web_of(request)
    if not web.csrf_ok(request, token):
        return web.render("error.html", 403, message=EXPIRED)
    try:
        day = datetime.date.fromisoformat(due.strip())
    except ValueError:
        return web.render("error.html", 400, message=f"截止日期“{due[:20]}”应写成 2026-01-31")
    if not 2000 <= year <= 2100:
        return web.render("error.html", 400, message="年度应为四位年份，如 2025。")
    try:
        review.set_deadline(web.store, account, year, day)
    except review.Refused as refused:
        return web.render("error.html", refused.status, message=refused.message)
    return RedirectResponse("/#deadlines", status_code=303)


AUDIT_HEADER = [
    "时间",
    "账号",
    "角色",
    "操作",
    "原状态",
    "新状态",
    "上传编号",
    "单位",
    "年度",
    "详情",
]


@router.get("/submissions/{submission_id}/audit.csv")
def audit_csv(request: Request, submission_id: int, who: Viewer):
    web = web_of(request)
    row = web.store.submission(submission_id, who) if who else None
    if row is None:
        return web.render("error.html", 404, message=NOT_VISIBLE)
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer)
    out.writerow(AUDIT_HEADER)
    for event in review.events_of(web.store, row):
        out.writerow([
            shown(event.at, seconds=True), neutralise(event.account),
            "审核人" if event.role == "reviewer" else "报送单位",
            review.ACTION_LABELS.get(event.action, event.action),
            review.STATE_LABELS.get(event.from_state or "", ""),
            review.STATE_LABELS.get(event.to_state or "", ""),
            event.submission_id or "", neutralise(event.district or ""), event.period or "",
            neutralise(event.detail or ""),
        ])  # fmt: skip
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{row.id}.csv"'},
    )
