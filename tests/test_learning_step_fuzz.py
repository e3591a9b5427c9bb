"""Learning-step fuzz on long steps: a quarter of the step, but never more than five
minutes (Anki's ``learning_fuzz``), whatever the step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flashcards.scheduling import SchedulerConfig, interval_range, schedule

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOURLY = SchedulerConfig(learning_steps=(60.0, 180.0))


def test_a_long_step_is_fuzzed_by_at_most_five_minutes() -> None:
    dues = set()
    for i in range(100):
        again = schedule("d", f"c{i}", None, 1, T0, config=HOURLY)
        wait = again.due - T0
        assert timedelta(minutes=60) <= wait < timedelta(minutes=65), (i, wait)
        dues.add(again.due)
    assert len(dues) > 20  # fuzzed all the same


def test_a_long_step_stays_within_the_range_it_is_said_to_have() -> None:
    low, high = interval_range(None, 3, T0, config=HOURLY)
    assert (low, high) == (3 * 3600, 3 * 3600 + 299)
    for i in range(100):
        good = schedule("d", f"c{i}", None, 3, T0, config=HOURLY)
        assert low <= (good.due - T0).total_seconds() <= high
