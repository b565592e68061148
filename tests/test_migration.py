"""A database written by the code before stored data became rows (schema 0002: documents and
pages as JSON; tests/data/service-before-0003.db, made by that code) is upgraded: every upload's
JSON document is the same, its values are rows that pages, histories, revision checks and the
evaluation read, and the upgrade can be taken back."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from reports.service.store import Store
from tests.conftest import PASSWORD, cell_of, district_file, post_file

OLD = Path(__file__).parent / "data" / "service-before-0003.db"
OLD_PASSWORD = "old password 1"  # the accounts that database was made with


@pytest.fixture
def upgraded(tmp_path, monkeypatch):
    monkeypatch.setenv("VALIDATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VALIDATE_SECRET_KEY", "migration-test")
    path = tmp_path / "old.db"
    shutil.copy(OLD, path)
    with sqlite3.connect(path) as connection:
        documents = {
            i: json.loads(d) for i, d in connection.execute("SELECT id, document FROM submissions")
        }
    store = Store(f"sqlite:///{path}", files=tmp_path / "data" / "files")
    store.migrate()
    yield store, documents
    store.engine.dispose()


def _signed_in(app, name: str) -> TestClient:
    import re

    client = TestClient(app)
    token = re.search(r'name="token" value="([^"]+)"', client.get("/login").text).group(1)
    done = client.post("/login", data={"name": name, "password": OLD_PASSWORD, "token": token},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    return client


def _without_detail(document: dict) -> dict:
    """A finding's `detail` (0006: a library's own words) is null for every migrated one."""
    for finding in document["findings"]:
        assert finding.pop("detail") is None
    return document


def test_every_document_is_the_same_after_the_upgrade(upgraded):
    store, documents = upgraded
    assert len(documents) == 5
    for submission_id, before in documents.items():
        after = store.document(store.stored(submission_id))
        for added in ("id", "uploaded_at", "original_name"):
            after.pop(added)
        _without_detail(after)
        assert after == before, submission_id
    # the past values each readable upload kept are rows now
    kept = {v["submission_id"] for v in store.values_of(list(documents))}
    assert kept == {1, 2, 3, 4}
    assert {v["role"] for v in store.values_of([1])} == {"reported"}


def test_old_uploads_show_and_serve_later_checks(upgraded, tmp_path, yantai):
    store, _documents = upgraded
    from reports.service import create_app

    app = create_app(store)
    district = _signed_in(app, "zf")
    page = district.get("/submissions/2")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert "待统计" in soup.select_one("#findings").get_text()
    history = BeautifulSoup(district.get(f"/districts/{quote('芝罘区')}").text, "html.parser")
    headers = [th.get_text() for th in history.select("#district-history thead th")]
    assert any(h.startswith("2023年") for h in headers) and any(
        h.startswith("2025年") for h in headers
    )
    reviewer = _signed_in(app, "rev")
    assert reviewer.get("/evaluation").status_code == 200
    # a new 2025 upload that changes a 2022 value of the latest 2023 upload (number 2)
    store.add_account("zf-new", "district", "yantai", "芝罘区", PASSWORD)
    token = store.new_token("zf-new")
    changed = cell_of(yantai.catalog, 2025, "institution_beds", 2022)
    path = district_file(tmp_path, yantai, year=2025, changes={changed: 99999}, name="zf2025.xlsx")
    document = post_file(TestClient(app), "/api/submissions", token, path.read_bytes()).json()
    revised = [f for f in document["findings"] if f["rule"] == "value.revised"]
    assert [f["cell"] for f in revised] == [changed]
    assert "第2号上传" in revised[0]["expected"]


def test_the_upgrade_can_be_taken_back_and_done_again(upgraded):
    store, documents = upgraded
    from alembic import command
    from alembic.config import Config

    import reports.service.store as stored

    config = Config()
    config.set_main_option("script_location", str(Path(stored.__file__).parent / "migrations"))
    with store.engine.connect() as connection:
        # as Store.migrate does: SQLite alters a table by copying it, which enforced foreign
        # keys forbid while other tables point at it
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        connection.begin()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        connection.commit()
        back = {
            i: json.loads(d)
            for i, d in connection.exec_driver_sql("SELECT id, document FROM submissions")
        }
    assert back == documents
    store.migrate()
    after = _without_detail(store.document(store.stored(2)))
    assert after["findings"] == documents[2]["findings"]
