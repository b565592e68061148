"""Load on the upload service: 20 concurrent clients × 25 uploads of 25-indicator files, each
upload's check confirmed (an answer is not enough: it must be the file's own result)."""

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
from reports.service.store import Store  # noqa: E402
from submissions.template import write_template  # noqa: E402
from tests.samples import plausible_values  # noqa: E402

CLIENTS, UPLOADS = 20, 25


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def checked(response: httpx.Response) -> bool:
    """Whether the upload's check really completed: stored (201) with the plausible file's own
    result, not an internal error or an unfinished check standing in for it."""
    if response.status_code != 201:
        return False
    document = response.json()
    said = " ".join(finding["message"] for finding in document["findings"])
    return document["status"] == "ok" and "内部错误" not in said and "校验未完成" not in said


def multipart(payload: bytes) -> tuple[bytes, str]:
    """The upload's body as a browser sends it, encoded once: the load generator shares the
    two cores with the server, and encoding each request anew cost it a third of a core."""
    boundary = "----validate-load-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="district.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    body = head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def client(base: str, token: str, payload: bytes, latencies: list, answers: list) -> None:
    body, content_type = multipart(payload)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for _ in range(UPLOADS):
            start = time.perf_counter()
            response = await http.post("/api/submissions", headers=headers, content=body)
            latencies.append(time.perf_counter() - start)
            answers.append(response)


async def run(base: str, tokens: list[str], payloads: list[bytes]) -> tuple[list, list, float]:
    latencies: list[float] = []
    answers: list[httpx.Response] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(client(base, tokens[i], payloads[i], latencies, answers) for i in range(CLIENTS))
    )
    return latencies, answers, time.perf_counter() - start


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
    log = folder / "serve.log"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "validate.py"), "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        # every worker started (warmed up), not just the first to answer: a worker still
        # warming up when the clients start would be measured, not the service
        for _ in range(600):
            if log.read_text().count("Application startup complete") >= workers:
                break
            time.sleep(0.1)
        latencies, answers, elapsed = asyncio.run(run(base, tokens, payloads))
        listed = httpx.get(
            base + "/api/submissions", headers={"Authorization": f"Bearer {reviewer}"}, timeout=60
        ).json()
        unfinished = len(store.selected(unfinished=True))
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    errors = sum(1 for r in answers if r.status_code >= 500)
    done = sum(map(checked, answers))
    total = CLIENTS * UPLOADS
    print(f"{len(answers)} uploads by {CLIENTS} clients, {workers} workers: {elapsed:.1f} s, "
          f"{len(answers) / elapsed:.1f} uploads/s")  # fmt: skip
    print(f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (budget p95 ≤ 500 ms)")
    print(f"5xx: {errors}; checked: {done} of {total}; stored and listed: {len(listed)}; "
          f"left unfinished: {unfinished}")  # fmt: skip
    ok = errors == 0 and done == total and len(listed) == total and unfinished == 0
    print("every upload checked" if done == total else f"NOT CHECKED: {total - done} uploads")
    within = ok and p95 <= 0.5
    print("within budget" if within else "over budget")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
