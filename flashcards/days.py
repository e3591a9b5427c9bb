"""Study days: they roll over at 4 a.m. in the time zone of the moment given."""

from __future__ import annotations

from datetime import datetime, timedelta

ROLLOVER_HOUR = 4


def day_start(now: datetime) -> datetime:
    """The start of the study day ``now`` falls in (4 a.m. local time)."""
    start = now.replace(hour=ROLLOVER_HOUR, minute=0, second=0, microsecond=0)
    return start if now >= start else start - timedelta(days=1)


def next_day_start(now: datetime) -> datetime:
    return day_start(now) + timedelta(days=1)
