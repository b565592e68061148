"""Shared fixtures: catalogs, and district workbooks built the way districts fill them in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from expectations import validate
from indicators import load
from reports.service.store import Store
from submissions import read_submission
from submissions.template import template_cell, write_template
from tests.samples import plausible_values

ROOT = Path(__file__).resolve().parents[1]


CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    """Under CI (CI set, as CI systems set it: CI=true) a missing program or plan text is a
    failure, not a skip."""
    return bool(os.environ.get("CI"))


def needs_program(program: str) -> None:
    """Skip a test that drives a Debian package (chromium, libreoffice) where it is missing;
    under CI its absence is a failure, since .ci/run installs it."""
    if shutil.which(program) or Path(program).exists():
        return
    if in_ci():
        pytest.fail(f"Debian's {program} is missing: .ci/run installs it")
    pytest.skip(f"needs Debian's {program} (make test installs it)")


@pytest.fixture(scope="module")
def plan_texts() -> Path:
    """The folder of plan texts: CI must have it (a failure there); a user's clone may not,
    and the test skips saying where it looked."""
    from submissions.settings import SEEDS_VARIABLE, settings

    folder = settings().seeds_dir
    if not folder.is_dir():
        message = f"规划原文不在 {folder}（可用 {SEEDS_VARIABLE} 指定）"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return folder


def to_pdf(path: Path, folder: Path) -> Path:
    """`path` converted to PDF by LibreOffice, as a person printing it would get it."""
    needs_program("libreoffice")
    result = subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{folder}/lo",
         "--convert-to", "pdf", "--outdir", str(folder / "pdf"), str(path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    pdf = folder / "pdf" / f"{path.stem}.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr
    return pdf


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, through Playwright: pages as a person sees them."""
    needs_program(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def yantai():
    return load("yantai")


def cell_of(catalog, report_year: int, code: str, value_year: int | None = None) -> str:
    return template_cell(catalog, report_year, code, value_year)


def district_file(
    folder: Path,
    loaded,
    *,
    district: str | None = None,
    year: int = 2023,
    changes: dict[str, object] | None = None,
    notes: dict[str, str] | None = None,
    name: str | None = None,
    share: float | None = None,
) -> Path:
    """A plausible district workbook in the template layout, with some cells changed."""
    catalog = loaded.catalog
    district = district or catalog.reporting_units.required[0]
    path = folder / (name or f"{district}-{year}.xlsx")
    write_template(path, catalog, district, year, plausible_values(catalog, year, share), notes)
    if changes:
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["指标填报"]
        for address, value in changes.items():
            sheet[address] = value
        workbook.save(path)
    return path


def run(paths, loaded, **kwargs):
    submissions = [read_submission(p, loaded.catalog, **kwargs) for p in paths]
    return validate(submissions, loaded)


def pairs(outcome, severity: str | None = None) -> list[tuple[str | None, str]]:
    """(cell, category) of every finding, the way the rules are asserted."""
    found = []
    for result in outcome.results:
        for finding in result.findings:
            if severity is None or finding.severity == severity:
                found.append((finding.cell, finding.category))
    return found


def rules_hit(outcome) -> list[tuple[str | None, str]]:
    return [(f.cell, f.rule) for r in outcome.results for f in r.findings]


@contextmanager
def serving(app):
    """The app on a free loopback port, in a thread of this process (a real uvicorn: what a
    test client cannot show, such as a connection closed on a client still sending)."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# The upload service --------------------------------------------------------------------

PASSWORD = "correct horse 1"


# The PostgreSQL server `make test` starts (.ci/postgres); each test gets a schema of its own.
POSTGRES_URL = os.environ.get(
    "VALIDATE_TEST_POSTGRES", "postgresql+psycopg://validate:validate@127.0.0.1:5432/validate_test"
)


@contextmanager
def postgres_database():
    """A URL of the test PostgreSQL server whose tables live in a fresh schema, dropped after:
    skipped where there is no server (a user's clone), a failure under CI (.ci/postgres makes
    one)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        connection = engine.connect()
    except OperationalError as exc:
        engine.dispose()
        message = f"PostgreSQL 不可用（{POSTGRES_URL}；make test 用 .ci/postgres 启动）：{exc.orig}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    schema = f"t_{os.urandom(6).hex()}"
    with connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.commit()
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each storage and service test runs on SQLite (the default) and on PostgreSQL (what a
    city running several instances uses)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def service(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("VALIDATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VALIDATE_SECRET_KEY", "test-secret")
    store = Store(database_url, files=tmp_path / "data" / "files")
    from reports.service import create_app

    app = create_app(store)
    suffix = os.urandom(3).hex()
    names = {}
    for key, role, catalog, district in [
        ("zf", "district", "yantai", "芝罘区"),
        ("fs", "district", "yantai", "福山区"),
        ("rev", "reviewer", "yantai", None),
        ("lz", "reviewer", "liuzhou", None),
    ]:
        names[key] = f"{key}-{suffix}"
        store.add_account(names[key], role, catalog, district, PASSWORD)
    tokens = {key: store.new_token(name) for key, name in names.items()}
    yield app, store, names, tokens
    store.engine.dispose()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def post_file(client, path, token, payload: bytes, name="upload.xlsx"):
    return client.post(path, headers=bearer(token), files={"file": (name, payload)})


def signed_in(app, name):
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login", data={"name": name, "password": PASSWORD, "token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client, response


def csrf_of(client):
    return re.search(r'name="token" value="([^"]+)"', client.get("/").text).group(1)
