"""Each hostile file checked the way a user checks a file (JSON, HTML pages and the annotated
copy), timed: `python bench/hostile.py`.

Budget per case: 5 s and 600 MB peak RSS (the largest single process: /usr/bin/time reports
the reading children too, since they are waited for). The corpus is the tests' own
(tests/hostile.py), with the zip bomb at full size (1.5 GiB of sheet XML in 1.5 MB)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators import load  # noqa: E402
from tests.hostile import CASES, district_workbook, zip_bomb  # noqa: E402

OUT = ROOT / "out" / "bench" / "hostile"
SECONDS, MEGABYTES = 5.0, 600


def timed(command: list[str]) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS in MB, exit code, stderr of one run."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *command], cwd=ROOT, capture_output=True, text=True
    )
    *said, measured = done.stderr.strip().splitlines()
    seconds, kilobytes = measured.split()
    code = done.returncode
    return float(seconds), int(kilobytes) // 1024, code, "\n".join(said)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    loaded = load("yantai")
    rows, over = [], []
    for case in CASES:
        folder = OUT / case.name
        folder.mkdir(exist_ok=True)
        if case.name == "zip-bomb":
            path = zip_bomb(folder, loaded, gibibytes=1.5)
        else:
            path = case.build(folder, loaded)
        report = folder / "report.json"
        annotated = folder / "annotated"
        shutil.rmtree(annotated, ignore_errors=True)
        seconds, megabytes, code, said = timed(
            [sys.executable, "validate.py", "check", str(path), "--catalog", "yantai",
             "--json", str(report), "--html", str(folder / "html"), "--annotate", str(annotated)]
        )  # fmt: skip
        status = _status(report, said)
        # a readable file gets its annotated copy; an unreadable one has none to get
        copies = len(list(annotated.glob("*.xlsx"))) if annotated.is_dir() else 0
        wanted = 0 if case.status == "unreadable" else 1
        rows.append(
            (case.name, case.what, path.stat().st_size, status, copies, code, seconds, megabytes)
        )
        if seconds > SECONDS or megabytes > MEGABYTES or status != case.status or copies != wanted:
            over.append(case.name)
    folder = Path(tempfile.mkdtemp(prefix="hostile-batch-", dir=OUT))
    district_workbook(folder, loaded)
    os.mkfifo(folder / "管道.xlsx")
    (folder / "外部链接.xlsx").symlink_to("/etc/passwd")
    seconds, megabytes, code, said = timed(
        [sys.executable, "validate.py", "batch", str(folder), "--catalog", "yantai", "--force",
         "--json", str(folder / "report.json")]
    )  # fmt: skip
    skipped = sum("跳过" in line for line in said.splitlines())
    status = f"ok, skipped {skipped}"
    rows.append(
        ("fifo-and-symlink", "batch: FIFO + link out", 0, status, 0, code, seconds, megabytes)
    )
    if seconds > SECONDS or megabytes > MEGABYTES or skipped != 2:
        over.append("fifo-and-symlink")

    print(f"hostile files ({os.cpu_count()} cores); budget per case {SECONDS:g} s, {MEGABYTES} MB")
    print("| case | what | bytes | status | annotated | exit | seconds | peak MB |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for name, what, size, status, copies, code, seconds, megabytes in rows:
        print(
            f"| {name} | {what} | {size:,} | {status} | {copies} | {code} | {seconds:.2f} "
            f"| {megabytes} |"
        )
    print("over budget or unexpected: " + ", ".join(over) if over else "all within budget")
    return 1 if over else 0


def _status(report: Path, said: str) -> str:
    try:
        return json.loads(report.read_text(encoding="utf-8"))["submissions"][0]["status"]
    except (OSError, ValueError, KeyError, IndexError):
        return f"no report ({said[-80:]})"


if __name__ == "__main__":
    sys.exit(main())
