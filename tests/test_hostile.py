"""Hostile and awkward files: each gets a clear finding, and no file stops a run for the others."""

import json
import os
import subprocess
import sys

import openpyxl
import pytest

from expectations import validate
from submissions import read_submissions
from tests.conftest import ROOT
from tests.hostile import CASES, DISTRICT, district_workbook, far_cells, value_cells


def _check(paths, loaded):
    submissions = read_submissions(paths, loaded.catalog)
    return validate(submissions, loaded).results


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_hostile_file_gets_its_status_and_category(tmp_path, yantai, case):
    path = case.build(tmp_path, yantai)
    # read beside an ordinary file: the hostile one must not take it down
    ordinary = district_workbook(tmp_path, yantai, f"{DISTRICT}-2023-正常.xlsx")
    hostile, fine = _check([path, ordinary], yantai)
    assert (hostile.status, {f.category for f in hostile.findings}) == (
        case.status,
        set(case.categories),
    )
    assert fine.status == "ok" and fine.submission.district == DISTRICT


def test_formulas_and_error_values_are_named_never_called_blank(tmp_path, yantai):
    from tests.hostile import error_values, error_values_xls, formulas_without_values

    cells = value_cells(yantai)
    for build in (formulas_without_values, error_values, error_values_xls):
        (result,) = _check([build(tmp_path, yantai)], yantai)
        found = sorted((f.cell, f.category) for f in result.findings)
        assert found == sorted((cell, "type") for cell in cells), build.__name__
        messages = " ".join(f.message for f in result.findings)
        assert "空白" not in messages
    (formulas,) = _check([formulas_without_values(tmp_path, yantai)], yantai)
    assert all("Excel 或 WPS" in f.message for f in formulas.findings)
    (errors,) = _check([error_values(tmp_path, yantai)], yantai)
    assert {f.value for f in errors.findings} == {"#DIV/0!", "#REF!"}


def test_encrypted_workbook_says_so(tmp_path, yantai):
    from tests.hostile import encrypted

    (result,) = _check([encrypted(tmp_path, yantai)], yantai)
    assert "文件已加密，请取消密码后重新上传" in result.findings[0].message


def test_an_encrypted_xls_says_so_like_an_encrypted_xlsx(tmp_path, yantai):
    """A FILEPASS record (a real "password to open"): the same words as for an .xlsx."""
    from tests.hostile import xls_with_password

    (result,) = _check([xls_with_password(tmp_path, yantai)], yantai)
    assert [(f.rule, f.message) for f in result.findings] == [
        ("file.unreadable", "无法读取文件：文件已加密，请取消密码后重新上传")
    ]


def test_a_workbook_with_excels_default_password_reads_like_any_other(tmp_path, yantai):
    """Excel's built-in "VelvetSweatshop" (what "protect workbook" in older Excel writes, and
    what Excel and WPS open unasked), in an .xls and in an .xlsx: decrypted and read, the same
    findings as the plain file's."""
    from tests.hostile import (
        encrypted_with_default_password,
        xls_biff,
        xls_document,
        xls_rows,
        xls_with_default_password,
    )

    plain_xls = tmp_path / f"{DISTRICT}-2023-明文.xls"
    plain_xls.write_bytes(xls_document(xls_biff(xls_rows(tmp_path, yantai))))
    plain_xlsx = district_workbook(tmp_path, yantai, f"{DISTRICT}-2023-明文.xlsx")
    for locked, plain in (
        (xls_with_default_password(tmp_path, yantai), plain_xls),
        (encrypted_with_default_password(tmp_path, yantai), plain_xlsx),
    ):
        opened, reference = _check([locked, plain], yantai)
        assert opened.submission.district == DISTRICT and not opened.submission.unreadable
        assert len(opened.submission.table) == len(reference.submission.table) > 30
        found = sorted((f.cell, f.rule) for f in opened.findings)
        assert found == sorted((f.cell, f.rule) for f in reference.findings)


def test_a_reader_that_dies_costs_only_its_file(tmp_path, yantai, monkeypatch):
    """With the cell-by-cell path switched off, calamine tries to allocate 16,384 × 1,048,576
    cells and aborts: only its own child dies; the file is unreadable and says why."""
    from submissions.reading.isolation import Pool
    from submissions.reading.limits import Limits

    limits = Limits(dense_cells=10**12, dense_rows=10**9)
    pool = Pool(limits, size=1)
    try:
        far = far_cells(tmp_path, yantai)
        ordinary = district_workbook(tmp_path, yantai, f"{DISTRICT}-2023-正常.xlsx")
        submissions = read_submissions([ordinary, far, ordinary], yantai.catalog, pool=pool)
    finally:
        pool.close()
    assert [s.unreadable for s in submissions] == [False, True, False]
    message = submissions[1].findings[0].message
    assert "超出处理能力" in message and "内存" in message
    assert submissions[1].sha256 == __import__("hashlib").sha256(far.read_bytes()).hexdigest()


def test_check_survives_every_hostile_file_at_once(tmp_path, yantai):
    folder = tmp_path / "in"
    folder.mkdir()
    paths = [case.build(folder, yantai) for case in CASES]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), "check", *map(str, paths),
         "--catalog", "yantai", "--json", str(report)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    statuses = [s["status"] for s in document["submissions"]]
    assert statuses == [case.status for case in CASES]


def test_batch_skips_pipes_and_links_out_and_reads_everything_else(tmp_path, yantai):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "secret.xlsx"
    district_workbook(tmp_path, yantai, "secret.xlsx")
    good = district_workbook(inbox, yantai)
    os.mkfifo(inbox / "管道.xlsx")
    (inbox / "外部链接.xlsx").symlink_to(outside)
    (inbox / "内部链接.xlsx").symlink_to(good)
    (inbox / "目录链接").symlink_to(tmp_path, target_is_directory=True)
    broken = CASES[0].build(inbox, yantai)
    report = tmp_path / "batch.json"
    env = {**os.environ, "VALIDATE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), "batch", str(inbox), "--catalog", "yantai",
         "--json", str(report)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    document = json.loads(report.read_text())
    files = {s["file"]: s["status"] for s in document["submissions"]}
    assert files == {
        str(broken): "unreadable",
        str(good): "ok",
        str(inbox / "内部链接.xlsx"): "ok",
    }
    for skipped in ("管道.xlsx", "外部链接.xlsx", "目录链接"):
        assert skipped in done.stderr
    again = subprocess.run(done.args, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert again.returncode == 1 and "沿用上次读取的结果" in again.stderr
    # the link and its target are two submissions of the same content, each under its own name
    assert json.loads(report.read_text()) == document


def test_the_annotated_copy_of_far_cells_is_written_within_the_limits(tmp_path, yantai):
    """Writing is bounded as reading is: the copy of a workbook with values in XFD1 and
    A1048576 and no page setup of its own is written by a child within the memory limit (it
    took 950 MB and was stopped when every position of the grid was visited)."""
    from reports.annotate import write_annotated
    from submissions.paper import has_own_printing
    from submissions.reading.isolation import Pool
    from submissions.reading.limits import Limits
    from tests.hostile import far_cells_unprinted

    path = far_cells_unprinted(tmp_path, yantai)
    assert not any(map(has_own_printing, openpyxl.load_workbook(path).worksheets))
    (result,) = _check([path], yantai)
    outcome = validate([result.submission], yantai)
    pool = Pool(Limits(memory=400 * 1024 * 1024, wall_seconds=120, cpu_seconds=120), size=1)
    try:  # a third of the memory the grid walk needed, time to spare on a busy machine
        sources = {result.submission.file: path}
        written = write_annotated(outcome, tmp_path / "annotated", sources, pool=pool)
    finally:
        pool.close()
    assert len(written) == 1

    sheet = openpyxl.load_workbook(written[0])["指标填报"]
    assert sheet.print_area is not None
