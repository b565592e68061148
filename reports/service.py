"""The service: district staff upload and see their report, reviewers see everyone.

The app is put together here (settings, middleware, error pages); its parts are
reports/web.py (what routes share), signin.py, pages.py, rest.py (the JSON API) and
intake.py (keeping, reading and validating uploads)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware

from indicators import CatalogError
from reports import pages, rest, signin
from reports.guards import SecurityHeaders, TooLarge, UploadGuard
from reports.intake import BatchValidator, batch_validator, intake
from reports.web import Web
from submissions.database import Store
from submissions.finding import CannotContinue
from submissions.settings import Settings, settings

LOG = logging.getLogger("validate.service")

__all__ = ["BatchValidator", "app_from_environment", "batch_validator", "create_app", "intake"]


def create_app(store: Store | None = None, config: Settings | None = None) -> FastAPI:
    """The service; its settings are read once, here (a bad one stops it from starting)."""
    config = config or settings()
    store = store or Store()
    store.migrate()
    app = FastAPI(title="一老一小指标填报校验", docs_url=None, redoc_url=None, openapi_url=None)
    web = Web(store, config, app.state)
    app.state.web = web
    # Outermost first: headers on every response; the session cookie decoded before the upload
    # guard looks at it; the guard before any route reads a body.
    app.add_middleware(UploadGuard, limit=web.upload_limit, account_of=web.account_of)
    app.add_middleware(
        SessionMiddleware,
        secret_key=signin.secret_key(config),
        session_cookie="validate_session",
        same_site="lax",
        https_only=config.https,
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
    )
    app.add_middleware(SecurityHeaders, scripts=[web.templates.get_template("_script.js").render()])

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):  # never a traceback page
        LOG.exception("internal error on %s", request.url.path)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "服务器内部错误，已记录日志"}, status_code=500)
        message = "服务器内部错误，已记录日志，请稍后再试或联系管理员。"
        return web.render("error.html", 500, message=message)

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge):
        return web.too_large_response(request)

    for router in (signin.router, pages.router, rest.router):
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory`: the store from DATABASE_URL / VALIDATE_DATA_DIR."""
    try:
        return create_app()
    except (CatalogError, CannotContinue) as exc:  # the worker does not start: one line
        raise SystemExit(str(exc)) from exc
