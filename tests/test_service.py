"""The upload service: access rules, forms, API, limits, storage and its bad-input behaviour."""

import io
import os
import re
import subprocess
import sys

import openpyxl
from fastapi.testclient import TestClient

from reports.service.store import Store
from tests.conftest import (
    PASSWORD,
    ROOT,
    bearer,
    cell_of,
    csrf_of,
    district_file,
    post_file,
    signed_in,
)


def test_api_access_rules(tmp_path, service, yantai):
    app, _store, _names, tokens = service
    client = TestClient(app)
    payload = district_file(tmp_path, yantai).read_bytes()
    created = post_file(client, "/api/submissions", tokens["zf"], payload)
    assert created.status_code == 201, created.text
    document = created.json()
    assert {"id", "file", "district", "year", "status", "summary", "findings"} <= set(document)
    assert (document["district"], document["status"]) == ("芝罘区", "ok")
    path = f"/api/submissions/{document['id']}"
    assert client.get(path, headers=bearer(tokens["zf"])).status_code == 200
    assert client.get(path, headers=bearer(tokens["rev"])).status_code == 200
    assert client.get(path, headers=bearer(tokens["fs"])).status_code == 404
    assert client.get(path, headers=bearer(tokens["lz"])).status_code == 404
    assert client.get(path).status_code == 401
    assert client.get("/api/submissions", headers=bearer(tokens["lz"])).json() == []
    assert client.get("/api/submissions", headers=bearer(tokens["fs"])).json() == []
    assert len(client.get("/api/submissions", headers=bearer(tokens["rev"])).json()) == 1
    wrong = client.post(
        "/api/submissions", headers=bearer(tokens["zf"]),
        files={"file": ("a.xlsx", payload)}, data={"catalog": "liuzhou"},
    )  # fmt: skip
    assert wrong.status_code == 403


def test_broken_file_is_stored_and_explained(service):
    app, store, _names, tokens = service
    client = TestClient(app)
    document = post_file(
        client, "/api/submissions", tokens["zf"], b"\x00garbage", "../../etc/x.xlsx"
    ).json()
    assert document["status"] == "unreadable"
    assert document["findings"][0]["category"] == "file"
    assert document["original_name"] == "x.xlsx"  # the name is kept, never used as a path
    import hashlib

    assert (
        store.file_path(hashlib.sha256(b"\x00garbage").hexdigest()).read_bytes() == b"\x00garbage"
    )


def test_resubmission_is_a_new_row_and_history_is_in_order(tmp_path, service, yantai):
    app, _store, names, tokens = service
    client = TestClient(app)
    payload = district_file(tmp_path, yantai).read_bytes()
    first = post_file(client, "/api/submissions", tokens["zf"], payload).json()["id"]
    second = post_file(client, "/api/submissions", tokens["zf"], payload).json()["id"]
    assert second > first
    listed = [
        row["id"] for row in client.get("/api/submissions", headers=bearer(tokens["zf"])).json()
    ]
    assert listed == [first, second]
    browser, _ = signed_in(app, names["zf"])
    history = browser.get("/").text.split('id="history"')[1]  # the list of uploads
    assert history.index(f'/submissions/{first}"') < history.index(f'/submissions/{second}"')
    assert "第 2 次报送" in history


def test_size_limit(service, monkeypatch):
    app, _store, _names, tokens = service
    app.state.max_upload = 1000
    response = post_file(TestClient(app), "/api/submissions", tokens["zf"], b"x" * 5000)
    assert response.status_code == 413 and "上限" in response.json()["error"]


def test_sign_in_upload_and_read_the_report(tmp_path, service, yantai):
    app, _store, names, _tokens = service
    client, response = signed_in(app, names["zf"])
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    cell = cell_of(yantai.catalog, 2023, "nursing_bed_share", 2023)
    payload = district_file(
        tmp_path, yantai, changes={cell: "<script>alert(1)</script>"}
    ).read_bytes()
    uploaded = client.post(
        "/upload", data={"token": csrf_of(client)}, files={"file": ("zf.xlsx", payload)},
        follow_redirects=False,
    )  # fmt: skip
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["location"]).text
    assert f"指标填报!{cell}" in page and "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    annotated = client.get(uploaded.headers["location"] + "/annotated.xlsx")
    assert annotated.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(annotated.content))["指标填报"]
    assert sheet[cell].comment is not None
    csv = client.get(uploaded.headers["location"] + "/findings.csv")
    assert csv.content.startswith(b"\xef\xbb\xbf") and cell in csv.content.decode("utf-8-sig")
    template = client.get("/template.xlsx")
    assert (
        openpyxl.load_workbook(io.BytesIO(template.content))["指标填报"]["A2"].value
        == "填报单位：芝罘区"
    )


def test_forms_need_the_csrf_token(tmp_path, service, yantai):
    app, _store, names, _tokens = service
    client = TestClient(app)
    refused = client.post("/login", data={"name": names["zf"], "password": PASSWORD, "token": "x"})
    assert refused.status_code == 403
    client, _ = signed_in(app, names["zf"])
    payload = district_file(tmp_path, yantai).read_bytes()
    refused = client.post("/upload", data={"token": "forged"}, files={"file": ("a.xlsx", payload)})
    assert refused.status_code == 403
    wrong_password = TestClient(app)
    token = re.search(r'name="token" value="([^"]+)"', wrong_password.get("/login").text).group(1)
    failed = wrong_password.post(
        "/login", data={"name": names["zf"], "password": "nope", "token": token}
    )
    assert failed.status_code == 401 and "不正确" in failed.text


def test_district_cannot_upload_for_another_district(tmp_path, service, yantai):
    app, _store, _names, tokens = service
    payload = district_file(tmp_path, yantai, district="福山区").read_bytes()
    document = post_file(TestClient(app), "/api/submissions", tokens["zf"], payload).json()
    assert document["district"] == "芝罘区" and document["status"] == "error"
    assert [f["rule"] for f in document["findings"]] == ["district.account"]


def test_reviewer_sees_every_district_and_who_has_not_submitted(tmp_path, service, yantai):
    app, _store, names, tokens = service
    api = TestClient(app)
    post_file(api, "/api/submissions", tokens["zf"], district_file(tmp_path, yantai).read_bytes())
    post_file(api, "/api/submissions", tokens["fs"],
          district_file(tmp_path, yantai, district="福山区").read_bytes())  # fmt: skip
    client, _ = signed_in(app, names["rev"])
    home = client.get("/").text
    assert "芝罘区" in home and "福山区" in home
    missing = re.search(r'<p id="not-submitted">(.*?)</p>', home).group(1)
    assert "牟平区" in missing and "芝罘区" not in missing
    other, _ = signed_in(app, names["lz"])
    assert "芝罘区" not in other.get("/").text.split("全部上传")[1]


def test_an_internal_error_is_a_plain_chinese_page(service, monkeypatch):
    app, _store, _names, tokens = service
    import reports.service.intake

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reports.service.intake, "intake", broken)
    client = TestClient(app, raise_server_exceptions=False)
    response = post_file(client, "/api/submissions", tokens["zf"], b"x")
    assert (
        response.status_code == 500
        and "Traceback" not in response.text
        and "boom" not in response.text
    )


def test_passwords_are_hashed_with_argon2(service):
    _app, store, names, _tokens = service
    account = store.account(names["zf"])
    assert account.password_hash.startswith("$argon2") and PASSWORD not in account.password_hash
    from sqlalchemy import select

    from reports.service.store import ApiToken

    with store.session() as session:
        kept = list(session.scalars(select(ApiToken.token_hash)))
    assert kept and all(len(h) == 64 for h in kept)
    assert not set(_tokens.values()) & set(kept)  # only hashes are kept


def test_users_command(tmp_path):
    env = {**os.environ, "VALIDATE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, str(ROOT / "validate.py"), "users"]
    adding = [*command, "add", "ops", "--role", "district", "--catalog", "yantai",
              "--district", "芝罘区", "--password-stdin"]  # fmt: skip
    added = subprocess.run(
        adding, input="a long password\n", capture_output=True, text=True, env=env
    )
    assert added.returncode == 0, added.stderr
    again = subprocess.run(
        adding, input="a long password\n", capture_output=True, text=True, env=env
    )
    assert again.returncode == 2 and "已存在" in again.stderr
    token = subprocess.run([*command, "token", "ops"], capture_output=True, text=True, env=env)
    assert token.returncode == 0
    last = token.stdout.strip().splitlines()[-1]
    store = Store(f"sqlite:///{tmp_path / 'data' / 'validate.db'}")
    assert store.account_by_token(last).name == "ops"
