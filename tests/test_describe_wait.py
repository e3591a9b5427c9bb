"""How long until the next card, as the screen says it when nothing is due: days are
study days, so a card given "Easy 7d" is said to be due in 7d."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from flashcards.session import describe_wait

PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("now", "due", "said"),
    [
        # answered mid-morning, due at the 4 a.m. that starts the study day 7 days on
        ("2026-11-21T10:40", "2026-11-28T04:00", "in 7d (Sat 2026-11-28 04:00)"),
        # before the rollover it is still yesterday's study day
        ("2026-11-21T03:00", "2026-11-27T04:00", "in 7d (Fri 2026-11-27 04:00)"),
        ("2026-11-21T10:40", "2026-11-23T04:00", "in 2d (Mon 2026-11-23 04:00)"),
        ("2026-11-21T10:00", "2026-11-22T04:00", "in 18h 0m (Sun 2026-11-22 04:00)"),
        ("2026-11-21T10:00", "2026-11-21T10:25", "in 25m (Sat 2026-11-21 10:25)"),
    ],
)
def test_days_are_study_days(now: str, due: str, said: str) -> None:
    start = datetime.fromisoformat(now).replace(tzinfo=PARIS)
    moment = datetime.fromisoformat(due).replace(tzinfo=PARIS)
    assert describe_wait(moment, start) == said
