"""Measures the budgets of issue 3 and prints them: `make bench` (or python bench/run_all.py)."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import OUT, district_files, long_csv, long_workbook  # noqa: E402

PYTHON = sys.executable
CALAMINE_ONLY = (
    "import sys, python_calamine; "
    "python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()"
)


def timed(args: list[str], repeat: int = 3) -> tuple[float, int]:
    """Median wall time of a command, and its peak RSS in MB (children's maximum)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return statistics.median(times), peak_kb // 1024


def measured(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one fresh process, by /usr/bin/time."""
    probe = subprocess.run(["/usr/bin/time", "-f", "%e %M", *args], cwd=ROOT,
                           capture_output=True, text=True)  # fmt: skip
    seconds, kb = probe.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kb) // 1024


def validate_cmd(*args: str) -> list[str]:
    return [PYTHON, str(ROOT / "validate.py"), *args]


def main() -> int:
    env_note = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    print(f"benchmarks ({env_note}); inputs under {OUT}")
    failures = []

    for big, label, budget in (
        (long_workbook(), "375,000-row long workbook", 2.0),
        (long_workbook(percent_cell=True), "  the same with one 0.62 formatted as 0%", 2.0),
        (long_workbook(random_values=True), "  the same with random values", 3.0),
    ):
        calamine, _ = timed([PYTHON, "-c", CALAMINE_ONLY, str(big)])
        # ru_maxrss is the maximum over all children so far: each check is measured by
        # /usr/bin/time in a fresh process instead; median time, highest peak.
        runs = []
        for _ in range(3):
            probe = subprocess.run(
                ["/usr/bin/time", "-f", "%e %M", *validate_cmd("check", str(big), "--catalog",
                                                                "yantai", "--json",
                                                                str(OUT / "long.json"))],
                cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            seconds, kb = probe.stderr.strip().splitlines()[-1].split()
            runs.append((float(seconds), int(kb) // 1024))
        check_s = statistics.median(seconds for seconds, _ in runs)
        rss_mb = max(mb for _, mb in runs)
        ratio = check_s / calamine
        print(f"{label}: calamine alone {calamine:.2f} s; check {check_s:.2f} s")
        print(
            f"  = {ratio:.2f}x calamine (budget {budget:g}x); peak RSS {rss_mb} MB (budget 600 MB)"
        )
        if check_s > budget * calamine:
            failures.append(f"{label.strip()}: time")
        if rss_mb > 600:
            failures.append(f"{label.strip()}: memory")

    million = long_csv()
    seconds, peak = measured(
        validate_cmd("check", str(million), "--catalog", "yantai", "--json", str(OUT / "m.json"))
    )
    print(f"1,000,000-row long CSV, ~1% bad values: check {seconds:.2f} s, peak RSS {peak} MB "
          "(budget 1,200 MB)")  # fmt: skip
    if peak > 1200:
        failures.append("million-row CSV: memory")

    inbox = district_files()
    batch = validate_cmd("batch", str(inbox), "--catalog", "yantai", "--force",
                         "--json", str(OUT / "batch.json"))  # fmt: skip
    html = [*batch, "--html", str(OUT / "html")]
    # the two runs alternate and the overhead is the median of the pairs' ratios: a drift of
    # the machine's speed between two separate medians moved it by ±5 points
    pairs = [(timed(batch, repeat=1)[0], timed(html, repeat=1)[0]) for _ in range(5)]
    batch_s = statistics.median(b for b, _h in pairs)
    html_s = statistics.median(h for _b, h in pairs)
    rate = 1000 / batch_s
    print(f"1,000 district files, batch --force: {batch_s:.2f} s = {rate:.0f} files/s (budget 100)")
    if rate < 100:
        failures.append("batch rate")
    extra = statistics.median(h / b for b, h in pairs) - 1
    print(f"  with --html: {html_s:.2f} s = {extra:+.0%} (budget +30%)")
    if extra > 0.30:
        failures.append("html overhead")

    one = ROOT / "submissions" / "examples" / "yantai" / "芝罘区-2023.xlsx"
    pandera_s, _ = timed([PYTHON, "-c", "import pandera.pandas"], repeat=5)
    cold_s, _ = timed(validate_cmd("check", str(one), "--catalog", "yantai"), repeat=5)
    print(f"cold check of one district file: {cold_s:.2f} s; pandera import {pandera_s:.2f} s")
    print(f"  = {cold_s / pandera_s:.2f}x (budget 2x)")
    if cold_s > 2 * pandera_s:
        failures.append("cold start")

    print("over budget: " + ", ".join(failures) if failures else "all budgets met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
