"""Child processes that read untrusted files within memory, CPU and wall-time limits.

A native library (calamine, openpyxl, lxml) can abort, crash or allocate without bound on a
crafted file; in a child that only costs the child. Children are started once and reused (a
new one spends about 0.3 s importing its parsers and the catalog model), and replaced when one
dies: the job it was on comes back as a Failure saying why.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from submissions.finding import CannotContinue
from submissions.reading.limits import Limits, size_text
from submissions.reading.screening import TOO_BIG

# A fresh interpreter per child (not fork: the caller may have threads, e.g. the web server;
# not multiprocessing's spawn: it re-runs the caller's main module, which a script without an
# `if __name__ == "__main__"` guard cannot survive).
CHILD = "from submissions.reading.isolation import child_main; child_main()"
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the checkout: submissions/reading/..


@dataclass
class Failure:
    """What a job came to instead of a result: why, in Chinese, and how far it had got."""

    reason: str
    started: int  # items the job had started when it failed; the last one is the likely cause
    detail: str = ""  # for the log: a traceback or what the child printed
    transient: bool = False  # ran out of wall time: another try on a quieter machine may pass


@dataclass
class Job:
    function: Callable  # module-level, called as function(*args, tick=tick) in a child
    args: tuple
    started: int = 0


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Connection
    stderr: str
    job: int | None = None
    deadline: float = 0.0


class Pool:
    """Runs jobs in up to `size` children; each job item (a file) gets `limits.wall_seconds`
    of wall time and `limits.cpu_seconds` of CPU time, the child at most `limits.memory`."""

    def __init__(self, limits: Limits | None = None, size: int | None = None) -> None:
        self.limits = limits or Limits()
        self.size = max(1, size or self.limits.reader_count())
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def warm(self, count: int = 1) -> None:
        """Start children now, so that their start-up overlaps the caller's own."""
        with self._lock:
            while len(self._workers) < min(count, self.size):
                self._workers.append(self._start())

    def run(
        self,
        jobs: list[Job],
        on_tick: Callable[[int, int], None] | None = None,
        on_result: Callable[[int, object], object] | None = None,
    ) -> list[object]:
        """Each job's result, or a Failure. `on_tick(job, item)` as items are started;
        `on_result(job, result)` as each job succeeds, its return value kept instead (the
        caller's work on one result overlaps the children's on the next)."""
        with self._lock:
            return self._run(jobs, on_tick, on_result)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for worker in self._workers:
                self._stop(worker)
            self._workers = []

    # ---------------------------------------------------------------------------------------
    def _run(self, jobs: list[Job], on_tick, on_result) -> list[object]:
        results: list[object] = [None] * len(jobs)
        waiting = deque(range(len(jobs)))
        finished: list[int] = []  # jobs done, their results not yet handed to on_result
        while waiting or finished or any(w.job is not None for w in self._workers):
            while waiting:
                worker = self._idle_worker()
                if worker is None:
                    break
                self._assign(worker, waiting.popleft(), jobs)
            # the children have their next jobs before the caller works on the last results
            for index in finished:
                if on_result is not None and not isinstance(results[index], Failure):
                    results[index] = on_result(index, results[index])
            finished = []
            busy = [w for w in self._workers if w.job is not None]
            if not busy:
                continue
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            # A child that dies closes its end of the socket: that too makes it "ready".
            ready = set(wait([w.connection for w in busy], timeout))
            for worker in busy:
                on_job = worker.job
                assert on_job is not None  # busy workers have a job
                if worker.connection in ready:
                    self._receive(worker, jobs, results, on_tick)
                elif time.monotonic() >= worker.deadline:
                    reason = self._timeout_reason()
                    self._fail(worker, jobs, results, reason, killed=True, transient=True)
                if results[on_job] is not None:
                    finished.append(on_job)
        return results

    def _idle_worker(self) -> _Worker | None:
        for worker in list(self._workers):
            if worker.job is None:
                if worker.process.poll() is None:
                    return worker
                self._replace(worker, kill=False)  # ended while idle (killed from outside)
        if len(self._workers) < self.size:
            worker = self._start()
            self._workers.append(worker)
            return worker
        return None

    def _assign(self, worker: _Worker, index: int, jobs: list[Job]) -> None:
        job = jobs[index]
        worker.job = index
        try:
            os.truncate(worker.stderr, 0)  # what it prints is read for this job only
        except OSError:
            pass
        worker.deadline = time.monotonic() + self.limits.wall_seconds
        try:
            worker.connection.send((index, job.function, job.args))
        except (OSError, EOFError, ValueError):
            pass  # a child that died while idle: its socket reports it in the next wait

    def _receive(self, worker: _Worker, jobs: list[Job], results: list, on_tick) -> None:
        index = worker.job
        if index is None:
            return  # nothing asked of this child
        while True:
            try:
                if not worker.connection.poll():
                    return  # more to come
                kind, _job, payload, leaving = worker.connection.recv()
            except (EOFError, OSError):
                break  # the child has gone
            except Exception as exc:  # a result that cannot be unpickled here
                self._fail(worker, jobs, results, f"读取结果无法传回：{exc}", killed=True)
                return
            if kind == "tick":
                jobs[index].started = payload + 1
                worker.deadline = time.monotonic() + self.limits.wall_seconds
                if on_tick is not None:
                    on_tick(index, payload)
                continue
            if kind == "done":
                results[index] = payload
            else:  # "failed": a Python exception or MemoryError inside the job
                reason, detail = payload
                results[index] = Failure(reason, jobs[index].started, detail)
            worker.job = None
            if leaving:  # the child ends after this message: never hand it another job
                self._replace(worker, kill=False)
            return
        self._fail(worker, jobs, results, self._crash_reason(worker), killed=False)

    def _fail(
        self, worker: _Worker, jobs, results, reason: str, *, killed: bool, transient=False
    ) -> None:
        index = worker.job
        detail = _tail(worker.stderr)
        results[index] = Failure(reason, jobs[index].started, detail, transient)
        self._replace(worker, kill=killed)

    def _replace(self, worker: _Worker, kill: bool = True) -> None:
        self._stop(worker, kill=kill)
        self._workers.remove(worker)

    def _timeout_reason(self) -> str:
        return f"{TOO_BIG}读取超过 {self.limits.wall_seconds:g} 秒仍未完成，已停止"

    def _crash_reason(self, worker: _Worker) -> str:
        """Why a child ended in the middle of a job, from its exit status and what it printed
        (calamine says "memory allocation of N bytes failed" before it aborts)."""
        try:
            code = worker.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        printed = _tail(worker.stderr)
        wanted = re.search(r"memory allocation of (\d+) bytes failed", printed)
        if wanted:
            return (
                f"{TOO_BIG}读取时需要 {size_text(int(wanted.group(1)))} 内存，"
                f"超过上限 {size_text(self.limits.memory)}"
            )
        if "MemoryError" in printed or "out of memory" in printed.lower():
            return f"{TOO_BIG}读取时内存超过上限 {size_text(self.limits.memory)}"
        if code == -signal.SIGXCPU:
            return f"{TOO_BIG}读取用时超过 CPU 时间上限 {self.limits.cpu_seconds} 秒"
        if code is not None and code < 0:
            # the signal's name is in the log and the JSON's detail (the child's stderr)
            return f"{TOO_BIG}读取程序被系统终止（信号 {-code}）"
        return f"{TOO_BIG}读取程序意外退出（退出码 {code}）"

    def _start(self) -> _Worker:
        if self._closed:
            raise RuntimeError("pool closed")
        created, stderr = tempfile.mkstemp(prefix="validate-reader-", suffix=".log")
        os.close(created)
        # appending: the parent empties the file before each job, the child writes at its end
        handle = os.open(stderr, os.O_WRONLY | os.O_APPEND)
        ours, theirs = socket.socketpair()
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [PACKAGE_ROOT, *filter(None, [environment.get("PYTHONPATH")])]
        )
        # numpy's BLAS would start a thread per core, each reserving memory; readers need none.
        environment.setdefault("OPENBLAS_NUM_THREADS", "1")
        environment["RUST_BACKTRACE"] = "0"  # calamine's failure message, not pages of frames
        limits = json.dumps(dataclasses.asdict(self.limits))
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(theirs.fileno()), limits],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=handle,
                env=environment,
                start_new_session=True,  # a Ctrl-C in the terminal is the parent's to handle
            )
        finally:
            os.close(handle)
            theirs.close()
        _live.add(self)
        return _Worker(process, Connection(ours.detach()), stderr)

    @staticmethod
    def _stop(worker: _Worker, kill: bool = True) -> None:
        try:
            if worker.process.poll() is None:
                if kill:
                    worker.process.kill()
                else:
                    worker.connection.send(None)
            try:
                worker.process.wait(5)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        finally:
            worker.connection.close()
            try:
                os.unlink(worker.stderr)
            except OSError:
                pass


def _tail(path: str, size: int = 4000) -> str:
    """What a child printed for its last job: the start and the end."""
    try:
        with open(path, "rb") as printed:
            head = printed.read(size)
            printed.seek(0, os.SEEK_END)
            end = printed.tell()
            if end <= size:
                return head.decode("utf-8", "replace")
            printed.seek(max(size, end - size))
            return (head + b"\n...\n" + printed.read()).decode("utf-8", "replace")
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------
# The child side.


def child_main() -> None:
    """Entry of a reading child: `python -c CHILD FD LIMITS`. One thread imports: a job that
    starts a thread of its own (a big file's parse) keeps it to code already imported, since
    two threads importing at once can see each other's modules half made."""
    connection = Connection(int(sys.argv[1]))
    limits = Limits(**json.loads(sys.argv[2]))
    _confine(limits)
    while True:
        try:
            data = connection.recv_bytes()
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the parent is gone
        try:
            message = pickle.loads(data)
        except Exception:  # a job this child cannot load: said, not died of
            reason = "读取时出现内部错误（任务无法载入），原因已写入日志；请把文件发给管理员"
            _send(connection, ("failed", -1, (reason, traceback.format_exc()), False))
            continue
        if message is None:
            return
        index, function, args = message

        def tick(item: int, index: int = index) -> None:
            _cpu_budget(limits)
            connection.send(("tick", index, item, False))

        _cpu_budget(limits)
        try:
            result = function(*args, tick=tick)
        except MemoryError:
            reason = f"{TOO_BIG}读取时内存超过上限 {size_text(limits.memory)}"
            _send(connection, ("failed", index, (reason, ""), True))
            return
        except CannotContinue as exc:  # a job's own Chinese reason, the library's words apart
            _send(connection, ("failed", index, (str(exc), exc.detail or ""), False))
            continue
        except Exception:
            reason = "读取时出现内部错误，原因已写入日志；请把文件发给管理员"
            _send(connection, ("failed", index, (reason, traceback.format_exc()), False))
            continue
        # a fresh child is cheaper than one that keeps a big heap
        leaving = _resident() > limits.memory // 2
        if not _send(connection, ("done", index, result, leaving)) or leaving:
            return


def _preload(modules: list[str]) -> None:
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            return


def _send(connection, message: tuple) -> bool:
    try:
        connection.send(message)
        return True
    except MemoryError:
        reason = "读取结果过大，无法传回"
        return _send(connection, ("failed", message[1], (reason, ""), True))
    except Exception:
        return False


def _confine(limits: Limits) -> None:
    """Limits for this process (what it prints goes to a file the parent reads)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    memory = limits.memory if hard == resource.RLIM_INFINITY else min(limits.memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _cpu_budget(limits: Limits) -> None:
    """RLIMIT_CPU counts the whole life of the process: each item gets its own allowance."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    wanted = used + limits.cpu_seconds
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (wanted, hard))


def _resident() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# ------------------------------------------------------------------------------------------
# One pool per process, shared by everything that reads.

_shared: Pool | None = None
_shared_lock = threading.Lock()
_live: set[Pool] = set()


def shared_pool(limits: Limits | None = None) -> Pool:
    """The process's pool; a call with other limits replaces it."""
    global _shared
    with _shared_lock:
        if _shared is None or (limits is not None and limits != _shared.limits):
            if _shared is not None:
                _shared.close()
            if limits is None:
                from submissions.settings import settings

                limits = settings().limits
            _shared = Pool(limits)
        return _shared


@atexit.register
def close_all() -> None:
    """Stop every pool's children (also at exit)."""
    for pool in list(_live):
        pool.close()
