"""Accounts that can be run: sessions kept on the server, disable / password / revoke at once,
wrong passwords throttled, security headers on every page."""

import logging
import os
import re
import subprocess
import sys

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, ROOT, bearer, csrf_of, signed_in


def _home(client) -> int:
    return client.get("/", follow_redirects=False).status_code


def test_logout_ends_the_session_on_the_server(service):
    app, _store, names, _tokens = service
    client, _ = signed_in(app, names["zf"])
    cookie = client.cookies.get("validate_session")
    assert _home(client) == 200
    client.post("/logout", data={"token": csrf_of(client)})
    replay = TestClient(app)
    replay.cookies.set("validate_session", cookie)  # the cookie from before the logout
    assert _home(replay) == 303


def test_disable_password_and_revoke_take_effect_at_once(service):
    app, store, names, tokens = service
    api = TestClient(app)
    client, _ = signed_in(app, names["zf"])
    store.set_disabled(names["zf"], True)
    assert _home(client) == 303
    assert api.get("/api/submissions", headers=bearer(tokens["zf"])).status_code == 401
    store.set_disabled(names["zf"], False)
    assert api.get("/api/submissions", headers=bearer(tokens["zf"])).status_code == 200
    assert _home(client) == 303  # a disabled account's sessions were ended, not paused

    client, _ = signed_in(app, names["zf"])
    store.set_password(names["zf"], "a brand new password")
    assert _home(client) == 303
    assert store.check_password(names["zf"], PASSWORD) is None

    second = store.new_token(names["fs"])
    store.revoke(names["fs"])
    for token in (tokens["fs"], second):
        assert api.get("/api/submissions", headers=bearer(token)).status_code == 401


def _attempt(client, name: str, password: str):
    token = re.search(r'name="token" value="([^"]+)"', client.get("/login").text).group(1)
    return client.post("/login", data={"name": name, "password": password, "token": token})


def test_wrong_passwords_are_throttled_per_account_and_logged_without_them(service, caplog):
    app, _store, names, _tokens = service
    client = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="validate.service"):
        for _ in range(5):
            assert _attempt(client, names["zf"], "wrong guess 1").status_code == 401
        limited = _attempt(client, names["zf"], PASSWORD)  # even the right one, for now
    assert limited.status_code == 429
    assert "秒后再试" in limited.text and int(limited.headers["retry-after"]) > 0
    assert "wrong guess 1" not in caplog.text and PASSWORD not in caplog.text
    assert names["zf"] in caplog.text


def test_wrong_passwords_are_throttled_per_client_address(service):
    app, _store, names, _tokens = service
    client = TestClient(app)
    for number in range(5):
        assert _attempt(client, f"guess-{number}", "wrong guess").status_code == 401
    assert _attempt(client, names["fs"], PASSWORD).status_code == 429


def test_security_headers_on_every_page(service):
    app, _store, names, tokens = service
    client, _ = signed_in(app, names["zf"])
    for response in (
        client.get("/"),
        TestClient(app).get("/login"),
        client.get("/submissions/999"),
        TestClient(app).get("/api/submissions", headers=bearer(tokens["zf"])),
        TestClient(app).post("/api/submissions", files={"file": ("a.xlsx", b"x")}),
    ):
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_users_list_disable_enable_passwd_revoke(tmp_path):
    env = {**os.environ, "VALIDATE_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    users = [sys.executable, str(ROOT / "validate.py"), "users"]

    def run(*args, stdin=None):
        return subprocess.run([*users, *args], input=stdin, capture_output=True, text=True, env=env)

    assert run("add", "ops", "--role", "reviewer", "--catalog", "yantai", "--password-stdin",
               stdin="a long password\n").returncode == 0  # fmt: skip
    run("token", "ops")
    run("token", "ops")
    listed = run("list").stdout.splitlines()
    assert listed[1].split("\t")[:6] == ["ops", "审核人", "yantai", "—", "启用", "2"]
    assert run("disable", "ops").returncode == 0
    assert run("list").stdout.splitlines()[1].split("\t")[4] == "已停用"
    assert run("enable", "ops").returncode == 0
    revoked = run("revoke", "ops")
    assert revoked.returncode == 0 and "2 个 API 令牌" in revoked.stderr
    assert run("list").stdout.splitlines()[1].split("\t")[5] == "0"
    assert run("passwd", "ops", "--password-stdin", stdin="short\n").returncode == 2
    assert run("passwd", "ops", "--password-stdin", stdin="another long one\n").returncode == 0
    missing = run("disable", "nobody")
    assert missing.returncode == 2 and "没有账号" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_upgrade_keeps_the_token_an_account_had(tmp_path):
    """A database from before accounts could be run: its one token per account still works."""
    import hashlib
    from pathlib import Path

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    import reports.service.store
    from reports.service.store import Store

    store = Store(f"sqlite:///{tmp_path / 'old.db'}", files=tmp_path / "files")
    config = Config()
    migrations = Path(reports.service.store.__file__).parent / "migrations"
    config.set_main_option("script_location", str(migrations))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO accounts (name, role, catalog, district, password_hash, token_hash,"
                " created_at) VALUES ('old', 'reviewer', 'yantai', NULL, 'x', :digest,"
                " '2024-01-01 00:00:00')"
            ),
            {"digest": hashlib.sha256(b"old-token").hexdigest()},
        )
    store.migrate()
    assert store.account_by_token("old-token").name == "old"
    assert store.accounts()[0][1] == 1 and not store.account("old").disabled
