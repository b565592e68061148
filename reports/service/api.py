"""The JSON API for programs (a bearer token): upload a file, read one report, list them."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from reports.service import intake as uploads
from reports.service.auth import TokenHolder
from reports.service.web import AFTER_UPLOAD, web_of

router = APIRouter(prefix="/api")


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
    return JSONResponse(web.store.document(row), status_code=201, headers=AFTER_UPLOAD)


@router.get("/submissions/{submission_id}")
def api_get(request: Request, submission_id: int, account: TokenHolder):
    store = web_of(request).store
    row = store.submission(submission_id, account)
    if row is None:
        return JSONResponse({"error": "没有这份填报"}, status_code=404)
    return JSONResponse(store.document(row))


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
                "uploaded_at": row.uploaded_at.isoformat(timespec="seconds"),
            }
            for row in web_of(request).store.submissions(account)
        ]
    )
