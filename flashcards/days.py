"""Study days, as Anki counts them: a day rolls over at 4 a.m. in the UTC offset of the
moment given (the learner's offset at that moment), whatever zone they are in."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

ROLLOVER_HOUR = 4
DAY_SECONDS = 86_400


def fixed(moment: datetime) -> datetime:
    """The same moment in a fixed UTC offset (its own offset at that moment), so that
    adding a day adds exactly 24 hours, as Anki's arithmetic does."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a moment needs a UTC offset")
    return moment.astimezone(timezone(offset))


def study_date(moment: datetime) -> date:
    """The study day a moment falls in, named by the date of the 4 a.m. that starts it."""
    local = fixed(moment)
    return (local - timedelta(hours=ROLLOVER_HOUR)).date()


def day_start(now: datetime) -> datetime:
    """The start of the study day ``now`` falls in (4 a.m. in ``now``'s offset)."""
    local = fixed(now)
    start = local.replace(hour=ROLLOVER_HOUR, minute=0, second=0, microsecond=0)
    return start if local >= start else start - timedelta(days=1)


def next_day_start(now: datetime) -> datetime:
    """When the next study day starts (Anki's ``next_day_at``)."""
    return day_start(now) + timedelta(days=1)


def start_of(day: date, like: datetime) -> datetime:
    """4 a.m. of the study day ``day``, in the offset of ``like``."""
    local = fixed(like)
    return datetime(day.year, day.month, day.day, ROLLOVER_HOUR, tzinfo=local.tzinfo)


def elapsed_days(last_review: datetime, now: datetime) -> int:
    """Days elapsed since a review, as Anki gives them to FSRS: whole days from the
    review (in whole seconds) to the start of the next study day after ``now``."""
    last = int(last_review.timestamp() // 1)
    return max(0, int(next_day_start(now).timestamp()) - last) // DAY_SECONDS
