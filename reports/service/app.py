"""The service put together: settings, middleware, the routers, one answer for every error."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from indicators import CatalogError
from reports.service import api, auth, views
from reports.service.auth import NotAllowed, SignInNeeded, TokenNeeded
from reports.service.guards import SecurityHeaders, TooLarge, UploadGuard
from reports.service.intake import Recovery, warm_up
from reports.service.store import Store
from reports.service.web import NoFile, Web, web_of
from submissions.finding import CannotContinue
from submissions.settings import Settings, settings

LOG = logging.getLogger("validate.service")


def create_app(store: Store | None = None, config: Settings | None = None) -> FastAPI:
    """The service; its settings are read once, here (a bad one stops it from starting)."""
    config = config or settings()
    store = store or Store()
    store.migrate()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        # connections are accepted once this is done: the first uploads are served warm
        try:
            await run_in_threadpool(warm_up, store)
        except Exception:  # a slower first upload, not a service that does not start
            LOG.exception("预热失败")
        # uploads whose check a crash interrupted are checked again, here and from now on
        recovery = Recovery(store, stale=max(600.0, 4 * config.limits.wall_seconds))
        recovery.start()
        yield
        recovery.stop()

    app = FastAPI(
        title="一老一小指标填报校验", docs_url=None, redoc_url=None, openapi_url=None,
        lifespan=lifespan,
    )  # fmt: skip
    web = Web(store, config, app.state)
    app.state.web = web
    # Outermost first: headers on every response; the session cookie decoded before the upload
    # guard looks at it; the guard before any route reads a body.
    app.add_middleware(UploadGuard, limit=web.upload_limit, account_of=web.account_of)
    app.add_middleware(
        SessionMiddleware,
        secret_key=auth.secret_key(config),
        session_cookie="validate_session",
        same_site="lax",
        https_only=config.https,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
    )
    app.add_middleware(SecurityHeaders, scripts=[web.templates.get_template("_script.js").render()])

    # one answer for everything a request can go wrong with (datasette's handle_exception):
    # Chinese, as a page for a person and as {"error": …} for the API, never a traceback
    kinds: list[type[Exception]] = [Exception, *ANSWERS]
    for kind in kinds:
        app.add_exception_handler(kind, answer)

    for router in (auth.router, *views.ROUTERS, api.router):
        app.include_router(router)
    return app


NOT_FOUND = "没有这个页面或这份填报，或您无权查看。"
HTTP_MESSAGES = {
    404: NOT_FOUND,
    405: "这个地址不接受这种请求方式。",
    401: "请先登录。",
    403: "您无权进行这个操作。",
}


def _invalid(request: Request, exc: RequestValidationError) -> Response:
    # A malformed id in the path is a page that does not exist; a missing or malformed form
    # field is the sender's to fix. Neither is FastAPI's English.
    errors = exc.errors()
    if any(error.get("loc", ("",))[0] == "path" for error in errors):
        return web_of(request).refusal(request, 404, NOT_FOUND)
    return web_of(request).refusal(request, 400, field_problem(errors))


def _http(request: Request, exc: StarletteHTTPException) -> Response:
    message = HTTP_MESSAGES.get(exc.status_code, f"请求无法处理（{exc.status_code}）。")
    response = web_of(request).refusal(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


# exception → its answer, most particular first (TooLarge is an HTTPException)
ANSWERS: dict[type[Exception], Callable[[Request, Any], Response]] = {
    TooLarge: lambda request, _exc: web_of(request).too_large_response(request),
    SignInNeeded: lambda _request, _exc: RedirectResponse("/login", status_code=303),
    TokenNeeded: lambda _request, _exc: JSONResponse({"error": "需要有效的 API 令牌"}, 401),
    NotAllowed: lambda request, exc: web_of(request).refusal(request, 403, exc.message),
    NoFile: lambda request, _exc: web_of(request).refusal(request, 400, NoFile.message),
    RequestValidationError: _invalid,
    StarletteHTTPException: _http,
}


async def answer(request: Request, exc: Exception) -> Response:
    for kind, answered in ANSWERS.items():
        if isinstance(exc, kind):
            return answered(request, exc)
    LOG.exception("internal error on %s", request.url.path)
    message = "服务器内部错误，已记录日志，请稍后再试或联系管理员。"
    return web_of(request).refusal(request, 500, message)


# What a form field is called on the pages, for the sentence about it.
FIELD_NAMES = {"file": "文件", "token": "页面令牌", "name": "账号", "password": "密码",
               "catalog": "指标体系", "finding": "问题编号（finding）", "text": "说明（text）",
               "verdict": "审核结论（verdict）", "reason": "理由（reason）",
               "comment": "退回意见（comment）", "findings": "对单条问题的意见（findings）",
               "year": "年度（year）", "due": "截止日期（due）", "body": "请求内容"}  # fmt: skip


def field_problem(errors: Sequence) -> str:
    """One Chinese sentence for FastAPI's validation errors of a form or query."""
    names = []
    for error in errors:
        location = error.get("loc") or ()
        field = str(location[-1]) if location else ""
        names.append(FIELD_NAMES.get(field, field or "请求"))
    missing = [
        name
        for name, error in zip(names, errors, strict=True)
        if error.get("type") in ("missing", "value_error")
    ]
    if missing and len(missing) == len(names):
        if "文件" in missing:
            return NoFile.message
        return f"缺少{'、'.join(dict.fromkeys(missing))}，请返回页面重新提交。"
    return f"{'、'.join(dict.fromkeys(names))}的格式不对，请返回页面重新提交。"


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory`: the store from DATABASE_URL / VALIDATE_DATA_DIR."""
    try:
        return create_app()
    except (CatalogError, CannotContinue) as exc:  # the worker does not start: one line
        raise SystemExit(str(exc)) from exc


def serve(host: str, port: int, workers: int = 1, access_log: bool = False) -> None:
    """`validate.py serve`: uvicorn with this app, a fresh one in each worker process."""
    import uvicorn

    uvicorn.run(
        "reports.service.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )
