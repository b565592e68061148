"""Load on the upload service: 20 concurrent clients × 25 uploads of 25-indicator files."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators import load  # noqa: E402
from submissions.database import Store  # noqa: E402
from submissions.samples import plausible_values  # noqa: E402
from submissions.template import write_template  # noqa: E402

CLIENTS, UPLOADS = 20, 25


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def client(base: str, token: str, payload: bytes, latencies: list, statuses: list) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for _ in range(UPLOADS):
            start = time.perf_counter()
            response = await http.post(
                "/api/submissions",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("district.xlsx", payload)},
            )
            latencies.append(time.perf_counter() - start)
            statuses.append(response.status_code)


async def run(base: str, tokens: list[str], payloads: list[bytes]) -> tuple[list, list, float]:
    latencies: list[float] = []
    statuses: list[int] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(client(base, tokens[i], payloads[i], latencies, statuses) for i in range(CLIENTS))
    )
    return latencies, statuses, time.perf_counter() - start


def main() -> int:
    workers = int(os.environ.get("WORKERS", "2"))
    folder = Path(tempfile.mkdtemp(prefix="validate-load-"))
    env = {**os.environ, "VALIDATE_DATA_DIR": str(folder), "VALIDATE_SECRET_KEY": "load"}
    env.pop("DATABASE_URL", None)
    os.environ.update(env)
    store = Store()
    store.migrate()
    catalog = load("yantai").catalog
    units = catalog.reporting_units.required
    tokens, payloads = [], []
    for number in range(CLIENTS):
        district = units[number % len(units)]
        store.add_account(f"load{number}", "district", "yantai", district, "load password")
        tokens.append(store.new_token(f"load{number}"))
        path = folder / f"{number}.xlsx"
        write_template(path, catalog, district, 2023, plausible_values(catalog, 2023))
        payloads.append(path.read_bytes())
    store.add_account("reviewer", "reviewer", "yantai", None, "load password")
    reviewer = store.new_token("reviewer")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "validate.py"), "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        latencies, statuses, elapsed = asyncio.run(run(base, tokens, payloads))
        listed = httpx.get(
            base + "/api/submissions", headers={"Authorization": f"Bearer {reviewer}"}, timeout=60
        ).json()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    errors = sum(1 for s in statuses if s >= 500)
    print(f"{len(statuses)} uploads by {CLIENTS} clients, {workers} workers: {elapsed:.1f} s, "
          f"{len(statuses) / elapsed:.1f} uploads/s")  # fmt: skip
    print(f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (budget p95 ≤ 500 ms)")
    print(f"5xx: {errors}; stored and listed: {len(listed)} of {CLIENTS * UPLOADS}")
    ok = errors == 0 and len(listed) == CLIENTS * UPLOADS and p95 <= 0.5
    print("within budget" if ok else "over budget")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
