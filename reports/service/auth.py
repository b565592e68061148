"""Signing in and out: sessions kept on the server, wrong passwords throttled; who is asking, as
the dependencies every route declares (`signed_in`, `reviewer`, `token_holder`, `viewer`)."""

from __future__ import annotations

import datetime
import logging
import os
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from reports.service.store import Account, Store
from reports.service.web import web_of
from submissions.settings import Settings

LOG = logging.getLogger("validate.service")
SESSION_LIFETIME = datetime.timedelta(hours=8)
# Wrong passwords: this many in the window, per account and per client address, then 429.
FAILURES_ALLOWED, FAILURE_WINDOW = 5, datetime.timedelta(minutes=1)

router = APIRouter()


class SignInNeeded(Exception):
    """A page asked for without a valid session: answered with the sign-in page (303)."""


class TokenNeeded(Exception):
    """An API call without a valid token: answered 401 with a Chinese `error`."""


class NotAllowed(Exception):
    """Signed in, but this is not the account's to do: answered 403 with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def signed_in(request: Request) -> Account:
    """The account of the browser's session (a page's dependency)."""
    account = web_of(request).current(request)
    if account is None:
        raise SignInNeeded
    return account


SignedIn = Annotated[Account, Depends(signed_in)]


def reviewer(account: SignedIn) -> Account:
    """A signed-in reviewer (the city's pages)."""
    if account.role != "reviewer":
        raise NotAllowed("这个页面只对审核人开放。")
    return account


def token_holder(request: Request) -> Account:
    """The account of the request's API token (an API route's dependency)."""
    account = web_of(request).bearer(request)
    if account is None:
        raise TokenNeeded
    return account


def viewer(request: Request) -> Account | None:
    """Whoever asks for a download, by session or by token; None for nobody (the routes
    answer 404 then, as for a submission the account may not see)."""
    web = web_of(request)
    return web.current(request) or web.bearer(request)


# What a route declares of who is asking (FastAPI resolves them before the route runs).
Reviewer = Annotated[Account, Depends(reviewer)]
TokenHolder = Annotated[Account, Depends(token_holder)]
Viewer = Annotated[Account | None, Depends(viewer)]


def secret_key(config: Settings) -> str:
    """From VALIDATE_SECRET_KEY, else made once and kept (0600) in the data directory. Two
    instances starting at once agree on one key: each writes its own in full, then links it
    into place, and the one that comes second reads the first's."""
    if config.secret_key:
        return config.secret_key
    path = config.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        mine = path.with_name(f"secret.key.{secrets.token_hex(6)}")
        descriptor = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(mine, path)
        except FileExistsError:
            pass
        finally:
            mine.unlink()
    return path.read_text().strip()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    web = web_of(request)
    return web.render("login.html", csrf=web.csrf(request), error=None)


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), token: str = Form("")):
    web = web_of(request)
    if not web.csrf_ok(request, token):
        return web.render("error.html", 403, message="页面已过期，请刷新后重新登录。")
    address = request.client.host if request.client else "unknown"
    keys = (f"account:{name}", f"address:{address}")
    wait = _throttled(web.store, keys)
    if wait:
        LOG.warning("登录已限制：账号 %r，来自 %s（%d 秒后可再试）", name, address, wait)
        response = web.render(
            "login.html",
            429,
            csrf=web.csrf(request),
            error=f"登录失败次数过多，请在 {wait} 秒后再试",
        )
        response.headers["retry-after"] = str(wait)
        return response
    account = web.store.check_password(name, password)
    if account is None:
        web.store.record_failure(*keys)
        LOG.warning("登录失败：账号 %r，来自 %s", name, address)  # never the password
        return web.render("login.html", 401, csrf=web.csrf(request), error="账号或密码不正确")
    web.store.clear_failures(keys[0])
    request.session.clear()
    request.session["sid"] = web.store.open_session(account, SESSION_LIFETIME)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, token: str = Form("")):
    web = web_of(request)
    if web.csrf_ok(request, token):
        if isinstance(request.session.get("sid"), str):
            web.store.close_session(request.session["sid"])  # the cookie is worthless from now
        request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _throttled(store: Store, keys: tuple[str, ...]) -> int:
    """Seconds until another try is allowed, 0 if it is allowed now."""
    wait = 0
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for key in keys:
        failures = store.recent_failures(key, FAILURE_WINDOW)
        if len(failures) >= FAILURES_ALLOWED:
            # allowed again when the oldest failure that counts leaves the window
            oldest = failures[-FAILURES_ALLOWED]
            wait = max(wait, int((oldest + FAILURE_WINDOW - now).total_seconds()) + 1)
    return wait
