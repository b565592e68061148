"""What every route of the service shares: the store, settings, templates, who is asking."""

from __future__ import annotations

import secrets

from fastapi import Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import Headers

from reports.html import environment
from reports.service.guards import TooLarge, too_large_message
from reports.service.store import Account, Store
from submissions.settings import Settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# An upload's answer closes its connection. With several workers, whichever accepts a
# connection serves every request on it: 20 keep-alive clients all landed on one worker of
# two, and the other stood idle. A new connection per upload is spread by the kernel.
AFTER_UPLOAD = {"connection": "close"}


class NoFile(Exception):
    """An upload form or request that came without a file."""

    message = "没有收到文件：请选择要上传的填报表（.xlsx、.xls 或 .csv）后再提交。"


class Web:
    """One per app (app.state.web); routes reach it with `web_of(request)`."""

    def __init__(self, store: Store, config: Settings, state) -> None:
        self.store, self.config, self.state = store, config, state
        state.max_upload = config.max_upload  # app.state.max_upload: changeable while running
        self.templates = environment()  # shared, built once; never changed after that

    def upload_limit(self) -> int:
        return self.state.max_upload

    def render(self, name: str, status_code: int = 200, **context) -> HTMLResponse:
        page = self.templates.get_template(f"web/{name}").render(**context)
        return HTMLResponse(page, status_code)

    # who is asking ------------------------------------------------------------------------
    def session_account(self, session: dict) -> Account | None:
        token = session.get("sid")
        return self.store.session_account(token) if isinstance(token, str) else None

    def token_account(self, headers) -> Account | None:
        header = headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        return self.store.account_by_token(header[7:].strip())

    def account_of(self, scope: dict) -> Account | None:
        """Who sends an upload, from its headers alone (cookie or token)."""
        if scope["path"].startswith("/api/"):
            return self.token_account(Headers(scope=scope))
        return self.session_account(scope.get("session") or {})

    def current(self, request: Request) -> Account | None:
        return self.session_account(request.session)

    def bearer(self, request: Request) -> Account | None:
        return self.token_account(request.headers)

    # forms ----------------------------------------------------------------------------------
    @staticmethod
    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    @staticmethod
    def csrf_ok(request: Request, token: str) -> bool:
        expected = request.session.get("csrf")
        return (
            isinstance(expected, str)
            and bool(expected)
            and secrets.compare_digest(expected, token or "")
        )

    async def read_file(self, upload: UploadFile) -> bytes:
        """The guard bounded the body as it arrived (file, form fields and boundaries); the
        limit itself is on the file. A form sent with no file chosen is refused (400)."""
        content = await upload.read()
        if len(content) > self.upload_limit():
            raise TooLarge
        if not content and not upload.filename:
            raise NoFile
        return content

    def refusal(self, request: Request, status_code: int, message: str) -> Response:
        """A request refused, in Chinese: `{"error": …}` for the API, an error page for a
        person."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status_code)
        return self.render("error.html", status_code, message=message)

    def too_large_response(self, request: Request) -> Response:
        response = self.refusal(request, 413, too_large_message(self.upload_limit()))
        response.headers["connection"] = "close"  # the server stops reading the body
        return response


def web_of(request: Request) -> Web:
    return request.app.state.web
