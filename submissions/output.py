"""Writing files so that a failed write (full disk, no permission) leaves nothing half written."""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WHY = {
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "只读文件系统",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EFBIG: "文件超过允许的大小",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EEXIST: "已有同名的文件，不是目录",
    errno.EISDIR: "这是一个目录",
    errno.ENOENT: "路径不存在",
    errno.ENAMETOOLONG: "路径太长",
}


def why(exc: OSError) -> str:
    """An operating-system error in Chinese, for the one line a user sees."""
    return WHY.get(exc.errno or 0, exc.strerror or type(exc).__name__)


@contextmanager
def replaced(path: Path, mode: str = "w", encoding: str | None = "utf-8", newline=None):
    """Open a temporary file beside `path` for writing and put it in place when the block
    ends; if anything fails the temporary file is removed and `path` is as it was.

    Something at `path` that is not a regular file (/dev/stdout, a pipe) is written directly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_file():
        with path.open(mode, encoding=encoding, newline=newline) as out:
            yield out
        return
    temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    # 0666 less the umask, as for any file the user creates (mkstemp would make it 0600)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    with replaced(path) as out:
        out.write(text)


@contextmanager
def replaced_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` for a library that writes files itself (openpyxl)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}"
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def check_writable(folder: Path) -> None:
    """Raise OSError now if nothing can be written in `folder` (made if missing), rather than
    after minutes of validation."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".write-test-{secrets.token_hex(4)}"
    descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    probe.unlink()
