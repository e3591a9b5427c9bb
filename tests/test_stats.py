"""Statistics from states and activity: retention, streaks across the 4 a.m. rollover."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import card_state

from flashcards.model import CardState, Review, Tally, slot_of
from flashcards.stats import deck_stats, retention, streak

TOKYO = timezone(timedelta(hours=9))
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=TOKYO)


def at(days_ago: float, hour: int = 12) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour)


def tally(*reviews: tuple[int, int]) -> Tally:
    total = Tally()
    for before, rating in reviews:
        total.add(Review("x", "d", "c", rating, NOW, None, before=before))
    return total


def test_streak_counts_consecutive_study_days_ending_today_or_yesterday() -> None:
    hours = {slot_of(at(d)) for d in (0, 1, 2, 4)}
    assert streak(hours, NOW) == 3
    assert streak({slot_of(at(d)) for d in (1, 2)}, NOW) == 2  # today not studied yet
    assert streak({slot_of(at(d)) for d in (2, 3)}, NOW) == 0
    assert streak(set(), NOW) == 0


def test_a_review_at_two_in_the_morning_belongs_to_the_day_before() -> None:
    late_night = at(0, hour=2)  # 02:00 today, local: still yesterday's study day
    assert streak({slot_of(late_night), slot_of(at(2))}, NOW) == 2
    assert streak({slot_of(at(0, hour=5)), slot_of(at(2))}, NOW) == 1


def test_retention_counts_review_cards_over_the_last_30_days_only() -> None:
    activity = {
        slot_of(at(1)): tally((2, 3), (2, 1), (0, 3), (1, 1)),  # two review cards: one passed
        slot_of(at(5)): tally((2, 4), (2, 2)),
        slot_of(at(40)): tally((2, 1), (2, 1), (2, 1)),  # too old
    }
    assert retention(activity, NOW) == 3 / 4
    assert retention({slot_of(at(1)): tally((0, 3))}, NOW) is None


def test_deck_stats_counts_states_and_what_is_due() -> None:
    def state(kind: int, due: datetime) -> CardState:
        return card_state(kind, due)

    states = {
        ("d", "a"): state(2, NOW - timedelta(days=1)),  # review, overdue
        ("d", "b"): state(2, NOW.replace(hour=23)),  # review, later today
        ("d", "c"): state(2, NOW + timedelta(days=3)),  # within 7 days
        ("d", "e"): state(1, NOW + timedelta(minutes=5)),  # learning, due today not now
        ("d", "f"): state(3, NOW - timedelta(minutes=1)),  # relearning, due now
        ("other", "a"): state(2, NOW),
    }
    today = {slot_of(NOW): tally((2, 3), (0, 3))}
    stats = deck_stats("d", "D", ["a", "b", "c", "e", "f", "g"], states, today, {slot_of(NOW)}, NOW)
    assert (stats.cards, stats.new, stats.learning, stats.review, stats.relearning) == (
        6,
        1,
        1,
        3,
        1,
    )
    assert (stats.due_now, stats.due_today, stats.due_7_days) == (3, 4, 5)
    assert stats.reviews_today == 2 and stats.streak_days == 1 and stats.retention_30d == 1.0
