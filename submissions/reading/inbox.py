"""What a batch reads from a folder: regular files only, never a pipe, a device or a link out."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SKIPPED_NAMES = ("~$", ".")  # Excel's lock files and hidden files are not submissions


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str  # Chinese, for the log


def list_inbox(directory: Path) -> tuple[list[Path], list[Skipped]]:
    """The submissions under `directory` in name order, and what was passed over and why.

    Nothing is opened here: a FIFO would block whoever opens it, a device never ends, and a
    link may point anywhere on the machine. Links that stay inside the folder are followed."""
    root = directory.resolve()
    files: list[Path] = []
    skipped: list[Skipped] = []
    for folder, subfolders, names in os.walk(directory, followlinks=False):
        base = Path(folder)
        kept = []
        for name in sorted(subfolders):
            if name.startswith(SKIPPED_NAMES):
                continue
            if (base / name).is_symlink():
                skipped.append(Skipped(base / name, "指向目录的链接，未进入"))
                continue
            kept.append(name)
        subfolders[:] = kept
        for name in names:
            if name.startswith(SKIPPED_NAMES):
                continue
            path = base / name
            reason = _not_readable(path, root)
            if reason:
                skipped.append(Skipped(path, reason))
            else:
                files.append(path)
    return sorted(files), sorted(skipped, key=lambda s: str(s.path))


def _not_readable(path: Path, root: Path) -> str | None:
    try:
        status = os.lstat(path)
    except OSError as exc:
        return f"无法查看：{exc.strerror}"
    if stat.S_ISLNK(status.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root):
            return f"链接指向目录之外（{target}），未打开"
        try:
            status = os.stat(path)
        except OSError:
            return "链接指向的文件不存在"
    if not stat.S_ISREG(status.st_mode):
        return f"不是普通文件（{_kind(status.st_mode)}），未打开"
    return None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "管道"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISDIR(mode):
        return "目录"
    return "特殊文件"
