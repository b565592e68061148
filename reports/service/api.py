"""The JSON API for programs (a bearer token): upload a file, read one report, list them, and
take the review loop's actions (explain, submit; accept or reject, return, approve, reopen)."""

from __future__ import annotations

import datetime

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from reports.clock import stamped
from reports.service import intake as uploads
from reports.service import review
from reports.service.auth import TokenHolder
from reports.service.store import Account
from reports.service.web import AFTER_UPLOAD, web_of

router = APIRouter(prefix="/api")
NOT_FOUND = {"error": "没有这份填报"}


@router.post("/submissions")
async def api_upload(request: Request, file: UploadFile, catalog: str | None = Form(None)):
    web = web_of(request)
    account = request.state.account  # the upload guard refused requests without a token
    if catalog and catalog != account.catalog:
        return JSONResponse({"error": f"账号不能向指标体系“{catalog}”报送"}, status_code=403)
    content = await web.read_file(file)
    # off the event loop: concurrent uploads then meet in the batch validator
    row = await run_in_threadpool(
        uploads.intake, web.store, account, file.filename or "upload", content
    )
    if row.refused:  # kept (its bytes and findings), not taken: its period is locked
        body = {"error": row.refused, "id": row.id}
        return JSONResponse(body, status_code=409, headers=AFTER_UPLOAD)
    document = review.service_document(web.store, row)
    return JSONResponse(document, status_code=201, headers=AFTER_UPLOAD)


@router.get("/submissions/{submission_id}")
def api_get(request: Request, submission_id: int, account: TokenHolder):
    store = web_of(request).store
    row = store.submission(submission_id, account)
    if row is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    return JSONResponse(review.service_document(store, row))


@router.get("/submissions")
def api_list(request: Request, account: TokenHolder):
    return JSONResponse(
        [
            {
                "id": row.id,
                "district": row.district,
                "year": row.period,
                "status": row.status,
                "file": row.original_name,
                "uploaded_at": stamped(row.uploaded_at),
                "refused": row.refused,
            }
            for row in web_of(request).store.submissions(account)
        ]
    )


class ExplanationIn(BaseModel):
    finding: int
    text: str = Field(min_length=1, max_length=2000)


class VerdictIn(BaseModel):
    finding: int
    verdict: str
    reason: str = Field("", max_length=2000)


class ReturnIn(BaseModel):
    comment: str = Field(min_length=1, max_length=4000)
    findings: dict[int, str] = Field(default_factory=dict)  # finding id → its comment


class DeadlineIn(BaseModel):
    year: int = Field(ge=2000, le=2100)
    due: datetime.date


def _acted(request: Request, account: Account, submission_id: int, action: str, **detail):
    """One action on a submission the account may see (404 otherwise): its new document, or
    the reason it may not be taken (403 / 409, in Chinese)."""
    store = web_of(request).store
    row = store.submission(submission_id, account)
    if row is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    try:
        review.act(store, account, row, action, **detail)
    except review.Refused as refused:
        return JSONResponse({"error": refused.message}, status_code=refused.status)
    return JSONResponse(review.service_document(store, row))


@router.post("/submissions/{submission_id}/explanations")
def api_explain(request: Request, submission_id: int, body: ExplanationIn, account: TokenHolder):
    return _acted(request, account, submission_id, "explain", finding=body.finding, text=body.text)


@router.post("/submissions/{submission_id}/submit")
def api_submit(request: Request, submission_id: int, account: TokenHolder):
    return _acted(request, account, submission_id, "submit")


@router.post("/submissions/{submission_id}/verdicts")
def api_verdict(request: Request, submission_id: int, body: VerdictIn, account: TokenHolder):
    return _acted(
        request, account, submission_id, "verdict",
        finding=body.finding, verdict=body.verdict, text=body.reason,
    )  # fmt: skip


@router.post("/submissions/{submission_id}/return")
def api_return(request: Request, submission_id: int, body: ReturnIn, account: TokenHolder):
    return _acted(
        request, account, submission_id, "return", text=body.comment, comments=body.findings
    )


@router.post("/submissions/{submission_id}/approve")
def api_approve(request: Request, submission_id: int, account: TokenHolder):
    return _acted(request, account, submission_id, "approve")


@router.post("/periods/{district}/{year}/reopen")
def api_reopen(request: Request, district: str, year: int, account: TokenHolder):
    try:
        state = review.reopen(web_of(request).store, account, account.catalog, district, year)
    except review.Refused as refused:
        return JSONResponse({"error": refused.message}, status_code=refused.status)
    return JSONResponse({"district": district, "year": year, "state": state})


@router.post("/deadlines")
def api_deadline(request: Request, body: DeadlineIn, account: TokenHolder):
    try:
        review.set_deadline(web_of(request).store, account, body.year, body.due)
    except review.Refused as refused:
        return JSONResponse({"error": refused.message}, status_code=refused.status)
    return JSONResponse({"year": body.year, "due": body.due.isoformat()})
