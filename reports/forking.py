"""Work handed to a forked copy of this process, for writers that have a second core to use."""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import BinaryIO


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def can_fork_alone() -> bool:
    """Whether forking is safe here: no other thread, which might hold a lock (an import, a
    log handler) that the copy would inherit held and wait on for ever."""
    return can_fork() and threading.active_count() == 1


class Forked:
    """`write(sink)` run in a forked copy of this process, into a temporary file, while this
    process goes on; `copy_to(out)` waits for it and appends what it wrote. If the copy fails
    or outlasts `timeout` seconds, `write` is run here instead: the output is the same, only
    slower. The copy reads what it inherited and writes only its own file."""

    def __init__(self, write: Callable[[BinaryIO], None], timeout: float) -> None:
        self._write = write
        self._timeout = timeout
        self._file = tempfile.TemporaryFile(prefix="validate-part-")
        # Frozen, the inherited objects are not traversed by the copy's collector: traversing
        # them would write to (and so copy) every page of the inherited heap.
        gc.freeze()
        self._process: multiprocessing.process.BaseProcess | None
        try:
            self._process = multiprocessing.get_context("fork").Process(
                target=self._run, daemon=True
            )
            self._process.start()
        except Exception:
            gc.unfreeze()
            self._process = None

    def _run(self) -> None:
        with os.fdopen(os.dup(self._file.fileno()), "wb") as sink:
            self._write(sink)

    def copy_to(self, out: BinaryIO) -> None:
        process = self._process
        try:
            if process is not None:
                process.join(self._timeout)
                if process.is_alive():
                    process.kill()
                    process.join()
            if process is not None and process.exitcode == 0:
                self._file.seek(0)
                shutil.copyfileobj(self._file, out, 1024 * 1024)
            else:
                self._write(out)
        finally:
            if process is not None:
                gc.unfreeze()
            self._file.close()
