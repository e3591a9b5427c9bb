"""Day statistics (the review calendar, true retention, answer buttons) count study
days: an answer at 2:30 a.m. belongs to the study day before, in the offset it was
given in, as Anki's do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from flashcards.model import Review
from flashcards.scheduling import before_of, schedule
from flashcards.stores.jsonstore import JsonStore

TOKYO = timezone(timedelta(hours=9))


def answer(store: JsonStore, rid: str, card: str, at: datetime) -> None:
    state = schedule("d", card, None, 3, at)
    store.record(Review(rid, "d", card, 3, at, 1000, int(before_of(None)), state), None)


def test_an_answer_before_four_in_the_morning_counts_for_the_day_before(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "s")
    store.load_states()
    answer(store, "r1", "night", datetime(2026, 3, 2, 2, 30, tzinfo=TOKYO))
    answer(store, "r2", "morning", datetime(2026, 3, 2, 4, 30, tzinfo=TOKYO))
    # the same rule in another offset: a minute before the rollover in UTC
    answer(store, "r3", "utc-night", datetime(2026, 3, 2, 3, 59, tzinfo=UTC))
    for reopened in (store, JsonStore(tmp_path / "s")):
        days = reopened.day_stats()["d"]
        assert {day: stats.reviews for day, stats in days.items()} == {
            date(2026, 3, 1): 2,
            date(2026, 3, 2): 1,
        }
