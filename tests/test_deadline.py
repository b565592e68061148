"""Deadline day: every upload that arrives at the same moment is checked as `check` checks it
alone, on one worker or several, and an interrupted check is taken up after a restart."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import openpyxl
import pandas as pd
import pytest

from reports.service.store import Store
from tests.conftest import PASSWORD, ROOT, cell_of, district_file, postgres_database
from tests.servers import ready, server_env, serving, start

DISTRICTS = ("芝罘区", "福山区", "牟平区")
BROKEN = {
    "garbage": b"\x00\x01 not a workbook at all",
    "truncated": None,  # a real workbook cut in half, made below
}


def _large(folder: Path, loaded, district: str) -> Path:
    """The district's table and a 20,000-row sheet of details beside it (half a megabyte)."""
    path = district_file(folder, loaded, district=district, name=f"{district}-large.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.create_sheet("附表 明细")
    sheet.append(["序号", "街道", "床位", "托位", "说明"])
    for number in range(20_000):
        sheet.append([number + 1, f"街道{number % 37}", number % 97, number % 13, "明细"])
    workbook.save(path)
    return path


def deadline_files(folder: Path, loaded) -> list[tuple[str, bytes]]:
    """(district, content) of each kind a district sends: clean, with errors, broken, large."""
    catalog = loaded.catalog
    wrong = {
        cell_of(catalog, 2023, "nursing_bed_share", 2023): 150,  # a percent over 100
        cell_of(catalog, 2023, "institution_beds", 2023): "待统计",  # text for a number
        cell_of(catalog, 2023, "childcare_places", 2023): 12.5,  # not a whole number
    }
    files = []
    for district in DISTRICTS:
        clean = district_file(folder, loaded, district=district, name=f"{district}-clean.xlsx")
        erroneous = district_file(
            folder, loaded, district=district, changes=wrong, name=f"{district}-wrong.xlsx"
        )
        large = _large(folder, loaded, district)
        whole = clean.read_bytes()
        for path in (clean, erroneous, large):
            files.append((district, path.read_bytes()))
        files.append((district, whole[: len(whole) // 2]))  # truncated in the middle
        files.append((district, BROKEN["garbage"]))
    return files


def placed(document: dict) -> list[tuple]:
    """(sheet, cell, rule) of every finding, as compared."""
    return sorted(
        (f.get("sheet") or "", f.get("cell") or "", f["rule"]) for f in document["findings"]
    )


def checked_alone(folder: Path, contents: list[bytes]) -> dict[bytes, dict]:
    """What `validate.py check` says of each content on its own (each in its own process)."""
    runs = {}
    for number, content in enumerate(dict.fromkeys(contents)):
        path = folder / f"alone-{number}" / "上传.xlsx"  # a name saying no district or year
        path.parent.mkdir()
        path.write_bytes(content)
        report = path.parent / "report.json"
        runs[content] = (
            subprocess.Popen(
                [sys.executable, str(ROOT / "validate.py"), "check", str(path),
                 "--catalog", "yantai", "--json", str(report)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            ),
            report,
        )  # fmt: skip
    found = {}
    for content, (process, report) in runs.items():
        process.wait(timeout=300)
        found[content] = json.loads(report.read_text(encoding="utf-8"))["submissions"][0]
    return found


def data_store(data: Path) -> Store:
    """The store a server on data directory `data` uses by default."""
    return Store(f"sqlite:///{data / 'validate.db'}", files=data / "files")


def accounts(store: Store) -> dict[str, str]:
    """A district account per district, each with an API token; district → token."""
    store.migrate()
    tokens = {}
    for number, district in enumerate(DISTRICTS):
        store.add_account(f"district{number}", "district", "yantai", district, PASSWORD)
        tokens[district] = store.new_token(f"district{number}")
    store.add_account("reviewer", "reviewer", "yantai", None, PASSWORD)
    tokens["reviewer"] = store.new_token("reviewer")
    return tokens


async def upload_all(bases: list[str], sent: list[tuple[str, bytes]], tokens: dict) -> list:
    """Every file posted at the same moment (spread over `bases`); the responses in order."""
    async with httpx.AsyncClient(timeout=300) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"{bases[number % len(bases)]}/api/submissions",
                    headers={"Authorization": f"Bearer {tokens[district]}"},
                    files={"file": ("上传.xlsx", content)},
                )
                for number, (district, content) in enumerate(sent)
            )
        )


@pytest.fixture(scope="module")
def files_and_expected(tmp_path_factory):
    from indicators import load

    folder = tmp_path_factory.mktemp("deadline")
    files = deadline_files(folder, load("yantai"))
    return files, checked_alone(folder, [content for _district, content in files])


def assert_each_checked_as_alone(documents: list[dict], sent, expected) -> None:
    assert len(documents) == len(sent)
    for document, (district, content) in zip(documents, sent, strict=True):
        messages = " ".join(f["message"] for f in document["findings"])
        assert "内部错误" not in messages and "校验未完成" not in messages, document
        alone = expected[content]
        assert (document["status"], placed(document)) == (alone["status"], placed(alone))
        if document["status"] != "unreadable":
            assert document["district"] == district


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_forty_uploads_at_once_are_each_checked_as_alone(tmp_path, files_and_expected, workers):
    files, expected = files_and_expected
    sent = [files[number % len(files)] for number in range(40)]
    env = server_env(tmp_path / "data")
    tokens = accounts(data_store(tmp_path / "data"))
    with serving(env, workers) as server:
        responses = asyncio.run(upload_all([server.base], sent, tokens))
        assert [r.status_code for r in responses] == [201] * len(sent)
        # what is stored, read back, not only what was answered
        stored = [
            httpx.get(
                f"{server.base}/api/submissions/{r.json()['id']}",
                headers={"Authorization": f"Bearer {tokens['reviewer']}"},
            ).json()
            for r in responses
        ]
        log = server.said()
    assert_each_checked_as_alone(stored, sent, expected)
    assert "Traceback" not in log


def test_a_renderer_shared_by_threads_renders_each_block_right(tmp_path, yantai, monkeypatch):
    """The findings of one pass rendered from several threads at once, a block of three at a
    time so that every thread keeps needing another block: each gets what one thread alone
    gets."""
    from expectations import validate
    from expectations.settling import Renderer
    from submissions import read_submission

    wrong = {cell_of(yantai.catalog, 2023, code, 2023): 150 for code in (
        "nursing_bed_share", "childcare_enrolment_rate", "newborn_visit_rate",
        "vaccination_rate", "pension_insurance_coverage")}  # fmt: skip
    paths = [
        district_file(tmp_path, yantai, district=d, changes=wrong, name=f"{d}.xlsx")
        for d in DISTRICTS
    ]
    outcome = validate([read_submission(p, yantai.catalog) for p in paths], yantai)
    renderer = outcome.results[0]._renderer
    total = len(renderer.settled)
    monkeypatch.setattr(Renderer, "BLOCK", 3)
    alone = renderer.rows(0, total)[["cell", "message"]].to_numpy().tolist()
    assert total >= 15
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads taking turns as often as they can
    seen: list = []
    failures: list = []

    def render_all(offset: int) -> None:
        try:
            for _ in range(20):
                spans = [(first, min(first + 4, total)) for first in range(offset, total, 4)]
                got = pd.concat([renderer.rows(a, b) for a, b in spans], ignore_index=True)
                seen.append((offset, got[["cell", "message"]].to_numpy().tolist()))
        except Exception as exc:  # what the thread met is the test's answer
            failures.append(exc)

    try:
        threads = [threading.Thread(target=render_all, args=(n % 4,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert failures == []
    assert all(rows == alone[offset:] for offset, rows in seen)


def _unfinished(store: Store) -> list:
    return store.selected(unfinished=True)


@pytest.mark.slow
def test_uploads_interrupted_by_kill_9_are_checked_after_restart(tmp_path, files_and_expected):
    files, expected = files_and_expected
    # the large files: slow enough to be caught in flight
    sent = [f for f in files if len(f[1]) > 300_000] * 3
    sent = sent[:8]
    env = server_env(tmp_path / "data")
    store = data_store(tmp_path / "data")
    tokens = accounts(store)
    server = start(env)
    assert ready(server), server.said()
    posting = threading.Thread(
        target=lambda: asyncio.run(_quietly(upload_all([server.base], sent, tokens))), daemon=True
    )
    posting.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_unfinished(store)) < len(sent):
        time.sleep(0.005)
    server.kill()  # kill -9 of the whole server, its checks half done
    interrupted = _unfinished(store)
    assert interrupted, "no upload was in flight when the server was killed"
    restarted = time.monotonic()
    server = start(env)
    try:
        assert ready(server), server.said()
        while _unfinished(store) and time.monotonic() - restarted < 120:
            time.sleep(0.1)
        took = time.monotonic() - restarted
    finally:
        server.kill()
    assert _unfinished(store) == []
    for row in interrupted:
        document = store.document(store.stored(row.id))
        content = store.file_path(row.sha256).read_bytes()
        assert (document["status"], placed(document)) == (
            expected[content]["status"],
            placed(expected[content]),
        )
    print(f"{len(interrupted)} interrupted uploads checked {took:.1f} s after the restart")


async def _quietly(work):
    try:
        return await work
    except httpx.HTTPError:  # the server was killed under it: expected
        return None


@contextmanager
def fresh_database(kind: str, folder: Path):
    """A database nobody has migrated: a SQLite file in `folder`, or a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'shared.db'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_instances_start_together_on_a_fresh_database_and_share_uploads(
    tmp_path, files_and_expected, kind
):
    """Started at the same moment (three times, each on a fresh database), both instances come
    up; then uploads spread over the two are each checked as alone."""
    files, expected = files_and_expected
    for attempt in range(3):
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        with fresh_database(kind, folder) as url:
            env = server_env(folder / "data", url)
            servers = [start(env, log=folder / f"serve{n}.log") for n in range(2)]
            try:
                came_up = [ready(server) for server in servers]
                said = [server.said() for server in servers]
                assert came_up == [True, True], said
                assert not any("already exists" in text for text in said), said
                if attempt < 2:
                    continue
                store = Store(url, files=folder / "data" / "files")
                tokens = accounts(store)
                sent = [files[number % len(files)] for number in range(20)]
                bases = [server.base for server in servers]
                responses = asyncio.run(upload_all(bases, sent, tokens))
                assert [r.status_code for r in responses] == [201] * len(sent)
                listed = httpx.get(
                    f"{bases[1]}/api/submissions",
                    headers={"Authorization": f"Bearer {tokens['reviewer']}"},
                ).json()
                assert len(listed) == len(sent)
                stored = [store.document(store.stored(r.json()["id"])) for r in responses]
                store.engine.dispose()
            finally:
                for server in servers:
                    server.kill(signal.SIGTERM)
        assert_each_checked_as_alone(stored, sent, expected)


def test_recheck_says_what_changed_and_takes_up_unfinished_rows(tmp_path, yantai):
    """An operator re-checks stored uploads: one whose stored result an older catalog made, one
    a crash left unfinished (its process gone), one whose file has vanished."""
    from reports.service.intake import intake

    data = tmp_path / "data"
    env = server_env(data)
    store = data_store(data)
    tokens = accounts(store)
    assert tokens
    account = store.account("district0")  # 芝罘区
    clean = district_file(tmp_path, yantai, district="芝罘区").read_bytes()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VALIDATE_DATA_DIR", str(data))
        older = intake(store, account, "芝罘区-2023.xlsx", clean)
        unfinished = intake(store, account, "再次上传.xlsx", clean)
        gone = intake(store, account, "文件丢失.xlsx", b"\x00 will vanish")
    # as an older catalog had it: one more finding, an error
    with store.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(
            text("INSERT INTO findings (submission_id, position, severity, category, rule, "
                 "sheet, cell, message) VALUES (:i, 99, 'error', 'range', 'value.max', "
                 "'指标填报', 'F8', '旧的')"),
            {"i": older.id},
        )  # fmt: skip
        connection.execute(
            text("UPDATE submissions SET status = 'error', errors = 1 WHERE id = :i"),
            {"i": older.id},
        )
        connection.execute(  # as if a process that no longer exists was checking it
            text("UPDATE submissions SET checked_at = NULL, checker = :c WHERE id = :i"),
            {"c": f"{socket.gethostname()[:60]}/4194999/1", "i": unfinished.id},
        )
    store.file_path(gone.sha256).unlink()
    command = [sys.executable, str(ROOT / "validate.py"), "recheck", "--catalog", "yantai"]
    done = subprocess.run(
        [*command, "--unfinished"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"第 {unfinished.id} 号上传"), done.stdout
    assert store.selected(unfinished=True) == []
    done = subprocess.run(
        [*command, "--district", "芝罘区"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 1, done.stderr  # the vanished file is unreadable now
    said = {line.split(" 号上传")[0]: line for line in done.stdout.splitlines()}
    assert "有错误 → 通过" in said[f"第 {older.id}"], done.stdout
    assert "不再有 1 条（value.max 指标填报!F8）" in said[f"第 {older.id}"]
    assert said[f"第 {unfinished.id}"].endswith("无变化")
    vanished = store.document(store.stored(gone.id))
    assert "原文件已不在存储目录中" in vanished["findings"][0]["message"]
    assert "Traceback" not in done.stderr


def test_a_check_is_taken_over_only_from_a_process_that_is_gone(tmp_path, yantai):
    import datetime

    from reports.service.intake import abandoned, intake, this_process

    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    here = socket.gethostname()[:60]
    assert not abandoned(this_process(), now, stale=600)
    assert abandoned(f"{here}/4194999/1", now, stale=600)  # no such process here
    assert abandoned(None, now, stale=600)
    assert not abandoned("elsewhere/12/34", now, stale=600)  # another host, claimed just now
    assert abandoned("elsewhere/12/34", now - datetime.timedelta(hours=1), stale=600)
    # two processes taking over one row at once: one of them gets it
    store = data_store(tmp_path / "data")
    accounts(store)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VALIDATE_DATA_DIR", str(tmp_path / "data"))
        row = intake(store, store.account("district0"), "a.xlsx", b"\x00")
    with store.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("UPDATE submissions SET checked_at = NULL, checker = 'x/1/1'"))
    first, second = store.stored(row.id), store.stored(row.id)
    assert [store.claim(first, "one/1/1"), store.claim(second, "two/2/2")] == [True, False]
