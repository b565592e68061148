"""Batches survive: killed halfway, a damaged cache, two runs at once on the same data."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT
from tests.hostile import district_workbook

VALIDATE = [sys.executable, str(ROOT / "validate.py")]


def _inbox(folder, yantai, count: int):
    folder.mkdir()
    first = district_workbook(folder, yantai, "district-0000.xlsx")
    for number in range(1, count):
        (folder / f"district-{number:04d}.xlsx").write_bytes(first.read_bytes())
    return folder


def _batch(inbox, data, report, *extra, **kwargs):
    env = {**os.environ, "VALIDATE_DATA_DIR": str(data)}
    command = [*VALIDATE, "batch", str(inbox), "--catalog", "yantai", "--json", str(report)]
    return subprocess.Popen(
        [*command, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **kwargs,
    )  # fmt: skip


def _files(report) -> list[str]:
    return [s["file"] for s in json.loads(report.read_text())["submissions"]]


def test_killed_halfway_then_rerun_lists_every_file_once(tmp_path, yantai):
    inbox = _inbox(tmp_path / "inbox", yantai, 400)
    data, report = tmp_path / "data", tmp_path / "report.json"
    entries = data / "batch" / "yantai"
    # small chunks and one reader: the cache fills a chunk at a time, slowly enough to stop
    running = _batch(inbox, data, report, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (entries.is_dir() and any(entries.glob("*.json"))):
        time.sleep(0.02)
    os.killpg(running.pid, signal.SIGKILL)
    running.communicate()
    kept = len(list(entries.glob("*.json")))
    assert 0 < kept <= 400 and not report.exists()
    rerun = _batch(inbox, data, report)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    names = _files(report)
    assert len(names) == len(set(names)) == 400
    if kept < 400:
        assert f"{kept} 个文件内容和指标体系版本都未改动" in err


def test_damaged_cache_entry_is_logged_and_rebuilt(tmp_path, yantai):
    """A damaged entry is said and rebuilt; one from an earlier version (its table has other
    columns) is read again without a word."""
    inbox = _inbox(tmp_path / "inbox", yantai, 3)
    data, report = tmp_path / "data", tmp_path / "report.json"
    first = _batch(inbox, data, report)
    first.communicate(timeout=300)
    entries = sorted((data / "batch" / "yantai").glob("*.json"))
    assert len(entries) == 3
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # truncated
    entries[1].write_bytes(b"\x00garbage\xff")
    older = json.loads(entries[2].read_text(encoding="utf-8"))
    older["table"] = {
        ("label_cell" if k == "label_col" else k): v for k, v in older["table"].items()
    }
    entries[2].write_text(json.dumps(older, ensure_ascii=False), encoding="utf-8")
    again = _batch(inbox, data, report)
    _out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert err.count("缓存条目已损坏") == 2
    assert "未改动" not in err  # all three read again
    assert len(_files(report)) == 3
    assert all(json.loads(e.read_text(encoding="utf-8"))["file"] for e in entries)
    assert "label_col" in json.loads(entries[2].read_text(encoding="utf-8"))["table"]


def test_two_batches_at_once_on_the_same_data(tmp_path, yantai):
    inbox = _inbox(tmp_path / "inbox", yantai, 150)
    data = tmp_path / "data"
    runs = [_batch(inbox, data, tmp_path / f"report-{n}.json") for n in range(2)]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert "Traceback" not in err
    for n in range(2):
        assert len(set(_files(tmp_path / f"report-{n}.json"))) == 150
    third = _batch(inbox, data, tmp_path / "report-3.json")
    _out, err = third.communicate(timeout=300)
    assert third.returncode == 0 and "150 个文件内容和指标体系版本都未改动" in err
