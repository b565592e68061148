"""Every setting the tool reads from the environment, in one place, typed and checked.

A bad value is a configuration error: one Chinese line and exit code 2 for a command, and a
service that refuses to start. Nothing here is read at import time, and nothing heavy is
imported: every command checks these first, before `check` starts its reading child. No other
module reads the environment: the data folder, the plan texts' folder and the reading limits
are handed out from here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from submissions.finding import CannotContinue
from submissions.reading.limits import Limits, size_text

DEFAULT_MAX_UPLOAD = 20 * 1024 * 1024
# The team keeps the plan texts beside the checkout (CI has them there too); a user's clone
# does not have them, and then the checks against them cannot run.
SEEDS_VARIABLE = "VALIDATE_SEEDS_DIR"
DEFAULT_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DEFAULT_TIMEZONE = "Asia/Shanghai"  # every city this serves keeps China's time
SUPPORTED_DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None  # None: SQLite in the data directory
    max_upload: int
    secret_key: str | None  # None: made once and kept in the data directory
    https: bool
    limits: Limits
    seeds_dir: Path  # the plan texts, for catalog lint and the tests (VALIDATE_SEEDS_DIR)
    timezone: str = DEFAULT_TIMEZONE  # the service shows times and judges deadlines in it

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        return cls(
            data_dir=Path(environ.get("VALIDATE_DATA_DIR", "").strip() or "data"),
            database_url=_database_url(environ.get("DATABASE_URL", "").strip() or None),
            max_upload=_positive(environ, "VALIDATE_MAX_UPLOAD", DEFAULT_MAX_UPLOAD),
            secret_key=environ.get("VALIDATE_SECRET_KEY") or None,
            https=_flag(environ, "VALIDATE_HTTPS"),
            limits=Limits.from_variables(environ),
            seeds_dir=Path(environ.get(SEEDS_VARIABLE, "").strip() or DEFAULT_SEEDS),
            timezone=_timezone(environ.get("VALIDATE_TIMEZONE", "").strip() or DEFAULT_TIMEZONE),
        )


def settings() -> Settings:
    """The settings as the environment has them now (cheap: read when asked, never cached,
    so that a test or a job that changes the environment is heard)."""
    return Settings.from_environment()


def _positive(environ, name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise CannotContinue(
            f"配置错误：{name}={text!r} 应为正整数（字节数，缺省 {size_text(default)}）"
        )
    return int(text)


def _flag(environ, name: str) -> bool:
    text = environ.get(name, "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise CannotContinue(f"配置错误：{name}={text!r} 应为 1 或 0")


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CannotContinue(
            f"配置错误：VALIDATE_TIMEZONE={name[:40]!r} 不是时区名称（如 Asia/Shanghai）"
        ) from None
    return name


def _database_url(url: str | None) -> str | None:
    if url is None:
        return None
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if "://" not in url or scheme not in SUPPORTED_DATABASES:
        raise CannotContinue(
            f"配置错误：DATABASE_URL 应为 sqlite:///路径 或 postgresql+psycopg://用户:密码@主机/库，"
            f"现为 {url.split('@')[-1][:80]!r}"
        )
    return url
