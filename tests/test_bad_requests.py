"""Whatever a client sends wrong — ids out of range, malformed paths, missing or malformed fields,
bodies past the limit — gets a Chinese answer below 500, and the server log no traceback."""

from __future__ import annotations

import logging
import re
import socket
import time

import pytest
from fastapi.testclient import TestClient

from reports.service import api, auth, views
from tests.conftest import bearer, csrf_of, district_file, serving, signed_in

BAD_IDS = ["99999999999999999999", "9223372036854775808", "2147483648", "-1", "0", "abc",
           "1.5", "%00", "1e9", "%E8%8A%9D"]  # fmt: skip
BAD_QUERIES = {
    "year": ["abc", "99999", "-5", "0", "2023.5", "9" * 40],
    "district": ["%00", "x" * 500],
}
# English a framework would answer with; none of it may reach a user
ENGLISH = re.compile(
    r"Field required|\"detail\"|Not Found|Method Not Allowed|Internal Server Error|"
    r"Unprocessable|Traceback|value is not|Input should"
)


def _routes():
    for router in (auth.router, *views.ROUTERS, api.router):
        yield from router.routes


def _paths(route) -> list[str]:
    """The route's path with each bad id (or the one path it has)."""
    names = [p.name for p in route.dependant.path_params]
    if not names:
        return [route.path]
    return [re.sub(r"\{[^}]+\}", value, route.path) for value in BAD_IDS]


def _bodies(route, csrf: str) -> list[dict]:
    """Forms sent wrong: nothing, only the token, each field with the wrong kind of value, a
    field far too long."""
    fields = [p.name for p in route.dependant.body_params]
    if not fields:
        return [{}]
    text_fields = [f for f in fields if f != "file"]
    return [
        {},
        {"data": {"token": csrf}},
        {"data": {"token": csrf, "file": "not a file"}},
        {"data": {name: "x" * 100_000 for name in text_fields}},
        {"data": {"token": csrf}, "files": {"file": ("", b"")}},
        {"data": {"token": csrf}, "files": {"other": ("a.xlsx", b"PK")}},
        {"content": b"\x00\xff" * 1000, "headers": {"content-type": "multipart/form-data"}},
        {"content": b"--x\r\n", "headers": {"content-type": "multipart/form-data; boundary=x"}},
    ]


def test_every_route_answers_bad_requests_in_chinese_without_a_traceback(service, caplog):
    app, _store, names, tokens = service
    anonymous = TestClient(app, raise_server_exceptions=False)
    district, _ = signed_in(app, names["zf"])
    reviewer, _ = signed_in(app, names["rev"])
    callers = [(anonymous, {}), (district, {}), (reviewer, {}), (anonymous, bearer(tokens["zf"]))]
    caplog.set_level(logging.INFO)
    answered = 0
    for client, headers in callers:
        client.raise_server_exceptions = False
        csrf = csrf_of(client) if client is not anonymous else "x"
        for route in _routes():
            for path in _paths(route):
                for method in route.methods:
                    if method == "GET":
                        queries = [{}] + [
                            {p.name: value}
                            for p in route.dependant.query_params
                            for value in BAD_QUERIES.get(p.name, ["x"])
                        ]
                        for query in queries:
                            response = client.get(path, params=query, headers=headers)
                            _assert_chinese(response, method, path, query)
                            answered += 1
                    else:
                        for body in _bodies(route, csrf):
                            extra = body.pop("headers", {})
                            response = client.request(
                                method, path, headers={**headers, **extra}, **body
                            )
                            _assert_chinese(response, method, path, body)
                            answered += 1
    traced = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert traced == [], [r.getMessage() for r in traced]
    assert answered > 300


def _assert_chinese(response, method: str, path: str, sent) -> None:
    where = f"{method} {path} {str(sent)[:80]}"
    assert response.status_code < 500, (where, response.status_code, response.text[:300])
    if response.headers.get("content-type", "").startswith(("text/html", "application/json")):
        assert not ENGLISH.search(response.text), (where, response.text[:300])
        if response.status_code >= 400:
            assert re.search(r"[\u4e00-\u9fff]", response.text), (where, response.text[:300])


def test_a_form_posted_without_a_file_is_a_chinese_page(service):
    app, _store, names, _tokens = service
    client, _ = signed_in(app, names["zf"])
    refused = client.post("/upload", data={"token": csrf_of(client)})
    assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]
    assert "没有收到文件" in refused.text
    api = TestClient(app).post("/api/submissions", headers=bearer(_tokens["zf"]))
    assert api.status_code == 400 and "没有收到文件" in api.json()["error"]


def test_an_id_past_the_database_range_is_not_found(service):
    app, _store, names, tokens = service
    api = TestClient(app)
    for value in ("99999999999999999999", "9223372036854775808", "2147483648"):
        response = api.get(f"/api/submissions/{value}", headers=bearer(tokens["zf"]))
        assert response.status_code == 404 and "error" in response.json()
    browser, _ = signed_in(app, names["zf"])
    assert browser.get("/submissions/9223372036854775808").status_code == 404


def _post_declared(url: str, token: str, size: int, chunk: int = 256 * 1024) -> tuple[bytes, int]:
    """An upload declaring `size` bytes, sent as a browser sends it: the whole body, whatever
    the server says meanwhile. What the server answered, and how much was sent."""
    host, port = url.removeprefix("http://").split(":")
    boundary = "----WebKitFormBoundaryDeadline"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + size + len(tail)
    request = (
        f"POST /api/submissions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request + head)
        block = b"x" * chunk
        try:
            while sent < size:
                piece = block[: min(chunk, size - sent)]
                connection.sendall(piece)
                sent += len(piece)
            connection.sendall(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        connection.settimeout(30)
        try:
            while piece := connection.recv(65536):
                answer += piece
        except (TimeoutError, ConnectionResetError):
            pass
    return answer, sent


@pytest.mark.slow
def test_a_25_mb_upload_gets_its_413_not_a_reset_connection(service):
    """The limit is 20 MB; a browser sends a 25 MB file in full before it reads any answer."""
    app, _store, _names, tokens = service
    with serving(app) as url:
        started = time.monotonic()
        answer, sent = _post_declared(url, tokens["zf"], 25 * 1024 * 1024)
    assert sent == 25 * 1024 * 1024
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "上限".encode() in answer
    assert time.monotonic() - started < 60


def test_the_upload_page_says_the_limit(service):
    app, _store, names, _tokens = service
    client, _ = signed_in(app, names["zf"])
    home = client.get("/").text
    assert "不超过 20 MB" in home
    assert f'data-max-bytes="{20 * 1024 * 1024}"' in home


def test_a_drafted_year_in_the_template_route_is_bounded(tmp_path, service, yantai):
    app, _store, names, _tokens = service
    client, _ = signed_in(app, names["zf"])
    assert client.get("/template.xlsx?year=99999").status_code == 400
    assert client.get("/template.xlsx?year=2024").status_code == 200
    assert district_file(tmp_path, yantai).exists()
