"""The upload form's post: the file kept, checked and stored, then its result page."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from reports.service import intake as uploads
from reports.service.web import AFTER_UPLOAD, web_of

router = APIRouter()


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
    if row.refused:  # kept, not taken: its period is approved and locked
        response = web.render("error.html", 409, message=row.refused,
                              back=f"/submissions/{row.id}")  # fmt: skip
        response.headers.update(AFTER_UPLOAD)
        return response
    return RedirectResponse(f"/submissions/{row.id}", status_code=303, headers=AFTER_UPLOAD)
