"""Reports that cannot be written: one Chinese line, exit 2, and nothing half-written."""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, in_ci
from tests.hostile import district_workbook

VALIDATE = [sys.executable, str(ROOT / "validate.py")]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _assert_one_line(done: subprocess.CompletedProcess, folder: Path) -> None:
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("validate: ")]
    assert len(lines) == 1 and lines[0].startswith("无法写出结果"), done.stderr
    assert "Traceback" not in done.stderr


def test_output_under_a_file_is_refused_before_reading(tmp_path, yantai):
    source = district_workbook(tmp_path, yantai)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = subprocess.run(
        [*VALIDATE, "check", str(source), "--catalog", "yantai", "--json",
         str(blocker / "out.json")],
        capture_output=True, text=True,
    )  # fmt: skip
    _assert_one_line(done, tmp_path)
    assert "不是目录" in done.stderr


def test_read_only_folder(yantai):
    """As root, permissions do not stop writes: the command runs as nobody."""
    base = Path(tempfile.mkdtemp(prefix="validate-ro-"))
    try:
        os.chmod(base, 0o755)
        source = district_workbook(base, yantai)
        os.chmod(source, 0o644)
        locked = base / "locked"
        locked.mkdir()
        os.chmod(locked, 0o555)
        outputs = ["--json", str(locked / "out.json"), "--csv", str(locked / "out.csv")]
        command = [*VALIDATE, "check", str(source), "--catalog", "yantai", *outputs]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("root without setpriv: cannot run as an unprivileged user")
            drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            _nobody_can_run(drop)
            command = [*drop, *command]
        env = {**os.environ, "VALIDATE_DATA_DIR": str(base / "data")}
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=base)
        _assert_one_line(done, locked)
        assert "没有写入权限" in done.stderr
        assert _leftovers(locked) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _nobody_can_run(drop: list[str]) -> None:
    """Skip (fail under CI) where nobody cannot run this interpreter on this checkout: a clone
    in a private folder (mktemp -d is mode 700) keeps its .venv and code from other users,
    and a copy of the environment is too big to make for one test."""
    probe = subprocess.run(
        [*drop, sys.executable, "-c", f"open({str(ROOT / 'validate.py')!r}).close()"],
        capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        message = (
            f"nobody 不能运行 {sys.executable} 或读取 {ROOT}（检出目录对其他用户不开放）："
            f"{(probe.stderr.strip().splitlines() or ['?'])[-1]}"
        )
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


def test_full_disk_leaves_the_old_report_and_no_temporary_file(tmp_path, yantai):
    """The file-size limit stands in for a full disk: the write fails part way through."""
    source = district_workbook(tmp_path, yantai)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("上一次的报告")

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    done = subprocess.run(
        [*VALIDATE, "check", str(source), "--catalog", "yantai", "--district", "芝罘区",
         "--json", str(out / "report.json"), "--csv", str(out / "findings.csv")],
        capture_output=True, text=True, preexec_fn=small_files,
    )  # fmt: skip
    _assert_one_line(done, out)
    assert (out / "report.json").read_text() == "上一次的报告"
    assert _leftovers(out) == ["report.json"]


def test_json_to_standard_output(tmp_path, yantai):
    import json

    source = district_workbook(tmp_path, yantai)
    done = subprocess.run(
        [*VALIDATE, "check", str(source), "--catalog", "yantai", "--json", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["submissions"][0]["status"] == "ok"
