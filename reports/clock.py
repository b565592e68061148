"""Times as people read them: stored in UTC, shown and judged (deadlines) in the city's time
zone (the setting VALIDATE_TIMEZONE, Asia/Shanghai unless told)."""

from __future__ import annotations

import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from submissions.settings import settings


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime.datetime) -> datetime.datetime:
    """A stored moment (naive UTC) in the city's time zone."""
    return moment.replace(tzinfo=datetime.UTC).astimezone(_zone(settings().timezone))


def shown(moment: datetime.datetime | None, seconds: bool = False) -> str:
    """As pages write it: 2026-12-05 16:49 (the city's time)."""
    if moment is None:
        return ""
    return local(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def stamped(moment: datetime.datetime | None) -> str | None:
    """As the JSON API writes it: ISO 8601 with the offset (2026-12-05T16:49:00+08:00)."""
    return None if moment is None else local(moment).isoformat(timespec="seconds")
