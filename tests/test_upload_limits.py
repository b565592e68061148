"""The service keeps every upload and stays up: bodies bounded while they stream, uploads without
a session or token refused from their headers, every upload stored before it is parsed."""

import hashlib
import socket
import time

from fastapi.testclient import TestClient

from tests.conftest import bearer, post_file, serving
from tests.hostile import far_cells


def _stored(store, content: bytes) -> bool:
    return store.file_path(hashlib.sha256(content).hexdigest()).read_bytes() == content


def test_far_cells_upload_is_stored_and_the_next_request_is_served(tmp_path, service, yantai):
    app, store, _names, tokens = service
    client = TestClient(app)
    content = far_cells(tmp_path, yantai).read_bytes()
    document = post_file(client, "/api/submissions", tokens["zf"], content).json()
    assert (document["status"], document["district"]) == ("ok", "芝罘区")
    assert _stored(store, content)
    assert client.get("/api/submissions", headers=bearer(tokens["zf"])).status_code == 200


def test_an_upload_that_kills_its_reader_is_stored_unreadable(
    tmp_path, service, yantai, monkeypatch
):
    """calamine made to allocate the whole 16,384 × 1,048,576 range: its child aborts; the
    upload is kept, its row says why, and the service answers the next request."""
    app, store, _names, tokens = service
    monkeypatch.setenv("VALIDATE_LIMIT_DENSE_CELLS", str(10**12))
    monkeypatch.setenv("VALIDATE_LIMIT_DENSE_ROWS", str(10**9))
    client = TestClient(app)
    content = far_cells(tmp_path, yantai).read_bytes()
    document = post_file(client, "/api/submissions", tokens["zf"], content).json()
    assert document["status"] == "unreadable"
    assert "超出处理能力" in document["findings"][0]["message"]
    assert _stored(store, content)
    monkeypatch.delenv("VALIDATE_LIMIT_DENSE_CELLS")
    monkeypatch.delenv("VALIDATE_LIMIT_DENSE_ROWS")
    listed = client.get("/api/submissions", headers=bearer(tokens["rev"])).json()
    assert [row["status"] for row in listed] == ["unreadable"]


def test_the_row_exists_before_parsing(tmp_path, service, yantai, monkeypatch):
    """If validation fails the upload is still on record, unreadable, saying why."""
    app, store, names, tokens = service
    import reports.service.intake

    seen = []

    def failing_check(self, upload):
        rows = store.submissions(store.account(names["zf"]))
        seen.append([(row.status, row.sha256) for row in rows])
        raise RuntimeError("validation bug")

    monkeypatch.setattr(reports.service.intake.BatchValidator, "check", failing_check)
    content = far_cells(tmp_path, yantai).read_bytes()
    document = post_file(TestClient(app), "/api/submissions", tokens["zf"], content).json()
    assert seen == [[("unreadable", hashlib.sha256(content).hexdigest())]]
    assert document["status"] == "unreadable" and "内部错误" in document["findings"][0]["message"]
    assert _stored(store, content)


def _open(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    return connection


def _response(connection: socket.socket, start: bytes = b"", wait: float = 5.0) -> bytes:
    """What the server answers, up to the close that ends it."""
    connection.settimeout(wait)
    answer = start
    try:
        while piece := connection.recv(65536):
            answer += piece
    except (TimeoutError, ConnectionResetError):
        pass
    return answer


CHUNKED = (
    "POST /api/submissions HTTP/1.1\r\nHost: test\r\n{auth}Transfer-Encoding: chunked\r\n"
    "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
)


def test_unauthenticated_chunked_upload_is_refused_before_its_body(service):
    app, _store, _names, _tokens = service
    with serving(app) as url, _open(url) as connection:
        connection.sendall(CHUNKED.format(auth="").encode())  # headers only, no body yet
        connection.settimeout(5)
        first = connection.recv(65536)
        assert first.startswith(b"HTTP/1.1 401")
        answer = _response(connection, first)
        assert b"connection: close" in answer.lower() and "API 令牌".encode() in answer
        # the server has closed: whatever the client still sends goes nowhere
        assert connection.recv(65536) == b""


def test_oversized_chunked_upload_is_cut_off_near_the_limit(service, monkeypatch):
    app, _store, _names, tokens = service
    limit = 1024 * 1024
    app.state.max_upload = limit
    chunk = b"x" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent, answer = 0, b""
    with serving(app) as url, _open(url) as connection:
        auth = f"Authorization: Bearer {tokens['zf']}\r\n"
        connection.sendall(CHUNKED.format(auth=auth).encode())
        part = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n\r\n'
        connection.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        deadline = time.monotonic() + 60
        try:
            while sent < 300 * limit and time.monotonic() < deadline:
                connection.sendall(frame)
                sent += len(chunk)
                connection.setblocking(False)
                try:
                    answer = connection.recv(65536)
                except BlockingIOError:
                    answer = b""
                connection.setblocking(True)
                if answer:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server while we were still sending: what is wanted
        answer = _response(connection, answer)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "上限".encode() in answer
    # the server stopped reading long before the 300 MB the client meant to send; what was
    # sent beyond the limit sat in the loopback's socket buffers
    assert sent < 16 * limit, sent
