"""The due windows: due now, by the end of today, within N study days. A card in a
learning step is due at its moment; every other card on its study day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import card_state

from flashcards.due import due_within, entry_of, is_due
from flashcards.model import LEARNING, REVIEW
from flashcards.stats import deck_stats

PARIS = timezone(timedelta(hours=1))
NOW = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)  # study day 2026-05-10, till 11th 4:00


def test_a_learning_step_is_due_within_n_days_up_to_the_nth_rollover_only() -> None:
    end_of_today = datetime(2026, 5, 11, 4, 0, tzinfo=PARIS)
    for days in (1, 2, 7):
        end = end_of_today + timedelta(days=days - 1)
        before = entry_of(card_state(LEARNING, end - timedelta(seconds=1)))
        at_end = entry_of(card_state(LEARNING, end))
        assert due_within(before, NOW, days), days
        assert not due_within(at_end, NOW, days), days


def test_a_review_is_due_within_n_days_through_its_nth_study_day_only() -> None:
    for days in (1, 2, 7):
        last_day = NOW + timedelta(days=days - 1)
        assert due_within(entry_of(card_state(REVIEW, last_day)), NOW, days)
        assert not due_within(entry_of(card_state(REVIEW, last_day + timedelta(days=1))), NOW, days)


def test_a_learning_step_due_this_very_moment_is_due_now() -> None:
    assert is_due(entry_of(card_state(LEARNING, NOW)), NOW)
    assert not is_due(entry_of(card_state(LEARNING, NOW + timedelta(microseconds=1))), NOW)


def test_stats_windows_leave_out_a_learning_step_past_their_last_rollover() -> None:
    states = {
        # a learning step due tomorrow morning, after the rollover: not due today
        ("d", "a"): card_state(LEARNING, datetime(2026, 5, 11, 9, 0, tzinfo=PARIS)),
        # a learning step due on the 8th study day: not within 7 days
        ("d", "b"): card_state(LEARNING, datetime(2026, 5, 17, 9, 0, tzinfo=PARIS)),
        # the 7th study day still is
        ("d", "c"): card_state(LEARNING, datetime(2026, 5, 17, 3, 0, tzinfo=PARIS)),
    }
    stats = deck_stats("d", "D", ["a", "b", "c"], states, {}, set(), NOW)
    assert (stats.due_now, stats.due_today, stats.due_7_days) == (0, 0, 2)
