"""The one place that reads the wall clock. ``FLASHCARDS_NOW`` overrides it."""

from __future__ import annotations

import os
from datetime import datetime

from flashcards.errors import UsageError


def now() -> datetime:
    """The current time, aware, in the local time zone (or ``FLASHCARDS_NOW``)."""
    override = os.environ.get("FLASHCARDS_NOW")
    if override:
        return parse_now(override)
    return datetime.now().astimezone()


def parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"FLASHCARDS_NOW: {text!r} is not an ISO 8601 time (e.g. 2026-01-31T09:00:00+01:00)"
        ) from None
    if value.tzinfo is None:
        raise UsageError(f"FLASHCARDS_NOW: {text!r} needs a UTC offset (e.g. +00:00)")
    if not 1971 <= value.year <= 9000:
        # Intervals of up to 100 years are added to it; the epoch is subtracted from it.
        raise UsageError(f"FLASHCARDS_NOW: {text!r} is outside the years 1971 to 9000")
    return value
