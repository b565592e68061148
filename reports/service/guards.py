"""What a request passes before the app sees it: sign-in and size checks on upload bodies while
they stream, and the security headers every response carries."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

UPLOAD_PATHS = frozenset({"/upload", "/api/submissions"})
MARGIN = 64 * 1024  # multipart boundaries and form fields around the file


class TooLarge(HTTPException):
    """An upload body went past the limit while it was being read (an HTTPException, so that
    FastAPI's form parsing passes it on instead of calling the body malformed)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class UploadGuard:
    """ASGI middleware in front of the upload routes.

    A request without a valid session or API token is refused from its headers, before any of
    its body is read; a body is counted as it streams (chunked bodies too) and cut off with
    413 once it passes the limit. Either response closes the connection, so the server stops
    reading what the client is still sending. The account found is left in
    scope["state"]["account"] for the route.
    """

    def __init__(self, app, limit: Callable[[], int], account_of: Callable[[dict], object]):
        self.app = app
        self.limit = limit  # read per request: settable while the service runs
        self.account_of = account_of  # scope → account or None (it may query the database)

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] not in UPLOAD_PATHS
        ):
            await self.app(scope, receive, send)
            return
        account = await run_in_threadpool(self.account_of, scope)
        if account is None:
            await _refuse_unsigned(scope, send)
            return
        scope.setdefault("state", {})["account"] = account
        limit = self.limit() + MARGIN
        declared = _header(scope, b"content-length")
        drainable = DRAIN_FACTOR * self.limit()
        if declared is not None and declared.isdigit() and int(declared) > limit:
            # Refused for what it declares. A body of a plausible size is read and dropped
            # first, so that the answer is not lost in a reset connection (a browser sends the
            # whole file before it reads any answer); one far past the limit is not read.
            if int(declared) <= drainable:
                await _drain(receive, drainable)
            await _refuse(send, 413, {"error": too_large_message(self.limit())})
            return
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if message.get("more_body", False):
                        await _drain(receive, drainable - received)
                    raise TooLarge
            return message

        await self.app(scope, counted, send)


# A refused body is read and dropped up to this many times the limit, for this long at most.
DRAIN_FACTOR, DRAIN_SECONDS = 4, 30.0


async def _drain(receive, budget: int) -> None:
    """Read and drop the rest of a refused body, at most `budget` bytes and DRAIN_SECONDS: a
    server that closes on a client still sending resets the connection, and the client (a
    browser) shows its own "connection reset" instead of the answer. Past the bound the
    connection is closed anyway: nobody means to send that much."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
    dropped = 0
    while dropped <= budget:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            return
        if message["type"] != "http.request":
            return  # the client went away
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def size_in_words(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def too_large_message(limit: int) -> str:
    return f"文件超过 {size_in_words(limit)} 的上限"


async def _refuse_unsigned(scope, send) -> None:
    if scope["path"].startswith("/api/"):
        await _refuse(send, 401, {"error": "需要有效的 API 令牌"})
    else:  # a form post from a page whose session has ended
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/login"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _refuse(send, status: int, body: dict) -> None:
    content = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),  # the rest of the body is not read
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


class SecurityHeaders:
    """Content-Security-Policy, nosniff, no framing and no referrer on every response.

    The pages' one inline script is allowed by its hash, not by 'unsafe-inline'; inline styles
    stay allowed (every value shown is escaped, and styles cannot run code)."""

    def __init__(self, app, scripts: list[str]):
        self.app = app
        hashes = " ".join(f"'sha256-{_sha256(script)}'" for script in scripts)
        policy = (
            "default-src 'none'; "
            f"script-src {hashes}; "
            "style-src 'unsafe-inline'; "
            "img-src 'self' data:; "
            "form-action 'self'; "
            "frame-ancestors 'none'; "
            "base-uri 'none'"
        )
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {key.lower() for key, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
