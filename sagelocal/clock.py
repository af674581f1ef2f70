"""The one clock of the rooms: now in UTC, and a timestamp as a client may send it read as a UTC datetime."""
from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def utc_now_iso() -> str:
    """Now as the ISO-8601 text the databases keep (``2024-05-01T12:00:00.123456+00:00``)."""
    return utc_now().isoformat()


def as_utc_datetime(value) -> datetime:
    """A timestamp as botocore may send it (a datetime, epoch seconds, ISO-8601 text), or epoch seconds as a
    store keeps them, made an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
