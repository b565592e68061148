"""`validate.py serve` as operators run it: a real process (or several) on a free port, with its
own data directory and log, for the tests that need what a test client cannot show (several
workers, kill -9, two instances on one database)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(data: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "VALIDATE_DATA_DIR": str(data), "VALIDATE_SECRET_KEY": "test", **extra}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log: Path

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """The whole process group: uvicorn's workers with their supervisor."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def said(self) -> str:
        return self.log.read_text(errors="replace")


def start(env: dict[str, str], workers: int = 1, log: Path | None = None) -> Server:
    """A `serve` process (not waited for: see `ready`)."""
    port = free_port()
    log = log or Path(env["VALIDATE_DATA_DIR"]).parent / f"serve-{port}.log"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "validate.py"), "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"), start_new_session=True,
    )  # fmt: skip
    return Server(process, f"http://127.0.0.1:{port}", log)


def ready(server: Server, seconds: float = 90) -> bool:
    """Whether the server answers within `seconds` (False: it has exited or never answered)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if httpx.get(server.base + "/login", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


@contextmanager
def serving(env: dict[str, str], workers: int = 1):
    server = start(env, workers)
    try:
        assert ready(server), server.said()
        yield server
    finally:
        server.kill(signal.SIGTERM)
