"""Scheduling rules ported from Anki: steps, graduation, fuzz, button order, study days.

Comparisons with Anki's engine itself over many histories are in test_anki_golden.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.days import elapsed_days, study_date
from flashcards.model import LEARNING, RELEARNING, REVIEW, CardState, Review
from flashcards.scheduling import (
    DEFAULT_CONFIG,
    SchedulerConfig,
    _minimum_fuzz_interval,
    button_seconds,
    preview,
    replay,
    schedule,
    with_fuzz,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NO_FUZZ = SchedulerConfig(fuzz=False)


def run(ratings: list[int], card: str = "c1", start: datetime = T0) -> list[CardState]:
    """Answer one card with ``ratings``, each when it falls due (day cards at 9:00)."""
    state: CardState | None = None
    at = start
    out = []
    for rating in ratings:
        state = schedule("deck", card, state, rating, at, config=NO_FUZZ)
        out.append(state)
        at = state.due if state.due_day is None else state.due.replace(hour=9)
    return out


def test_learning_steps_are_ankis_defaults() -> None:
    again, hard, good, easy = (schedule("d", "c", None, r, T0, config=NO_FUZZ) for r in range(1, 5))
    assert again.due - T0 == timedelta(minutes=1)
    # Hard on the first step is the average of the first two steps, as in Anki.
    assert hard.due - T0 == timedelta(minutes=5, seconds=30)
    assert good.due - T0 == timedelta(minutes=10)
    assert (again.state, hard.state, good.state) == (LEARNING, LEARNING, LEARNING)
    assert (again.left, hard.left, good.left) == (2, 2, 1)
    # Easy graduates at once to the FSRS interval of its initial stability (8.2956 d)
    assert (easy.state, easy.interval, easy.due_day) == (REVIEW, 8, date(2026, 3, 9))


def test_good_twice_graduates_on_a_study_day() -> None:
    states = run([3, 3, 3, 3])
    assert [s.state for s in states] == [LEARNING, REVIEW, REVIEW, REVIEW]
    assert states[1].interval == 2 and states[1].due_day == date(2026, 3, 3)
    intervals = [s.interval for s in states[1:]]
    assert intervals == sorted(intervals) and intervals[-1] > intervals[1]
    assert all(s.due == s.due.replace(hour=4, minute=0) for s in states[1:])


def test_lapse_goes_to_relearning_for_ten_minutes_and_counts() -> None:
    states = run([3, 3, 3, 1, 2, 3])
    lapse = states[3]
    assert lapse.state == RELEARNING and lapse.left == 1
    assert lapse.due - lapse.last_review == timedelta(minutes=10)
    assert lapse.lapses == 1 and lapse.interval >= 1
    # Hard on the only relearning step waits 1.5 times the step (15 minutes)
    assert states[4].state == RELEARNING
    assert states[4].due - states[4].last_review == timedelta(minutes=15)
    assert states[5].state == REVIEW and states[5].lapses == 1


@pytest.mark.parametrize(
    ("interval", "minimum", "maximum", "expected"),
    # Anki's own table (rslib/src/scheduler/states/fuzz.rs, test with_review_fuzz):
    # fuzz factors 0.0, 0.5 and 0.99 give the lower, middle and upper interval.
    [
        (1.0, 1, 1000, (1, 1, 1)),
        (2.49, 1, 1000, (2, 2, 2)),
        (2.5, 1, 1000, (2, 3, 4)),
        (7.0, 1, 1000, (5, 7, 9)),
        (17.0, 1, 1000, (14, 17, 20)),
        (37.0, 1, 1000, (33, 37, 41)),
        (2.0, 2, 1000, (2, 2, 2)),
        (2.0, 3, 1000, (3, 4, 4)),
        (2.0, 3, 3, (3, 3, 3)),
        (6.9, 3, 1000, (5, 7, 9)),
        (7.1, 3, 1000, (5, 7, 9)),
        (19.9, 3, 1000, (17, 20, 23)),
        (20.0, 3, 1000, (17, 20, 23)),
        (20.1, 3, 1000, (17, 20, 23)),
        (100.0, 101, 1000, (101, 105, 108)),
        (100.0, 1, 99, (92, 96, 99)),
        (100.0, 97, 103, (97, 100, 103)),
    ],
)
def test_fuzz_is_ankis(
    interval: float, minimum: int, maximum: int, expected: tuple[int, int, int]
) -> None:
    got = tuple(with_fuzz(f, interval, minimum, maximum) for f in (0.0, 0.5, 0.99))
    assert got == expected
    assert with_fuzz(None, 1.5, 1, 100) == 2 and with_fuzz(None, 101.0, 1, 100) == 100


def test_previous_interval_is_kept_only_within_the_fuzz_range() -> None:
    # Anki's minimum_review_fuzz_interval_preserves_previous_only_within_range
    assert _minimum_fuzz_interval(2.7269483, 4, 36500) == 4
    assert _minimum_fuzz_interval(2.7269483, 5, 36500) == 0
    assert _minimum_fuzz_interval(4.591988, 4, 36500) == 5


def test_elapsed_days_count_rollovers_not_24_hour_periods() -> None:
    berlin = timezone(timedelta(hours=1))
    evening = datetime(2026, 2, 10, 21, 45, tzinfo=berlin)
    assert elapsed_days(evening, datetime(2026, 2, 11, 10, 42, tzinfo=berlin)) == 1
    assert elapsed_days(evening, datetime(2026, 2, 11, 3, 59, tzinfo=berlin)) == 0
    assert elapsed_days(evening, datetime(2026, 2, 12, 4, 0, tzinfo=berlin)) == 2
    # a same-day review uses FSRS's short-term formula: stability changes less
    first = schedule("d", "c", None, 3, evening, config=NO_FUZZ)
    same_day = schedule("d", "c", first, 3, evening + timedelta(hours=1), config=NO_FUZZ)
    next_day = schedule("d", "c", first, 3, datetime(2026, 2, 11, 10, 42, tzinfo=berlin))
    assert same_day.stability != next_day.stability


def test_learning_steps_are_fuzzed_by_at_most_a_quarter_and_five_minutes() -> None:
    seen = set()
    for i in range(200):
        again = schedule("d", f"c{i}", None, 1, T0)
        good = schedule("d", f"c{i}", None, 3, T0)
        assert timedelta(minutes=1) <= again.due - T0 < timedelta(seconds=75)
        assert timedelta(minutes=10) <= good.due - T0 < timedelta(seconds=750)
        seen.add(good.due)
    assert len(seen) > 20
    # the button still names the step, as Anki's does
    spans = button_seconds("d", "c1", None, T0)
    assert (spans[1], spans[2], spans[3]) == (60, 330, 600)
    assert spans[4] in {days * 86400 for days in range(6, 11)}  # 8.3 days, fuzzed


def test_a_step_past_the_rollover_becomes_a_study_day() -> None:
    late = datetime(2026, 3, 1, 3, 55, tzinfo=UTC)  # five minutes before the rollover
    good = schedule("d", "c", None, 3, late, config=NO_FUZZ)
    assert good.state == LEARNING and good.due_day == date(2026, 3, 1)
    assert good.due == datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
    assert button_seconds("d", "c", None, late, config=NO_FUZZ)[3] == 86400


def test_fuzz_is_seeded_per_card_and_review_count() -> None:
    reached = run([3, 3, 3, 3])[-1]
    at = reached.due.replace(hour=9)
    assert schedule("deck", "c1", reached, 3, at) == schedule("deck", "c1", reached, 3, at)
    spread = {schedule("deck", f"card{i}", reached, 3, at).interval for i in range(40)}
    assert len(spread) > 1, "different cards should not all get the same fuzz"


def test_maximum_interval_is_respected() -> None:
    short = SchedulerConfig(maximum_interval=30)
    state = None
    at = T0
    for _ in range(12):
        state = schedule("d", "c", state, 4, at, config=short)
        assert state.interval <= 30
        at = state.due.replace(hour=9)
    assert state is not None and state.interval == 30


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        SchedulerConfig(desired_retention=1.5)
    with pytest.raises(ValueError):
        SchedulerConfig(learning_steps=(0.0,))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        schedule("d", "c", None, 3, datetime(2026, 1, 1, 9, 0))


def test_review_day_follows_the_offset_of_the_review() -> None:
    # 23:30 UTC on 1 March is already 2 March 05:00 in India: a different study day
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    india = late.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert study_date(late) == date(2026, 3, 1) and study_date(india) == date(2026, 3, 2)
    assert schedule("d", "c", None, 4, india, config=NO_FUZZ).due_day == date(2026, 3, 10)


review_states = st.builds(
    lambda s, d, ivl, lapses: CardState(
        REVIEW, 0, s, d, ivl, T0, study_date(T0), T0 - timedelta(days=ivl), 5, lapses
    ),
    st.floats(min_value=0.1, max_value=3000),
    st.floats(min_value=1, max_value=10),
    st.integers(min_value=1, max_value=3000),
    st.integers(min_value=0, max_value=5),
)


@settings(max_examples=300, deadline=None)
@given(review_states, st.integers(min_value=-30, max_value=400), st.booleans())
def test_review_buttons_keep_their_order(state: CardState, late: int, fuzz: bool) -> None:
    """Again < Hard < Good < Easy for review cards, fuzzed or not (Anki's constraints)."""
    at = T0 + timedelta(days=max(late, -state.interval + 1))
    config = DEFAULT_CONFIG if fuzz else NO_FUZZ
    spans = button_seconds("d", "c", state, at, config=config)
    assert spans[2] < spans[3] < spans[4]
    assert spans[1] < spans[2]


ratings = st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=12)
gaps = st.lists(st.integers(min_value=0, max_value=60 * 24 * 90), min_size=12, max_size=12)


@settings(max_examples=60, deadline=None)
@given(ratings, gaps)
def test_properties_due_after_review_and_preview_is_result(
    sequence: list[int], minutes: list[int]
) -> None:
    state: CardState | None = None
    at = T0
    reviews = []
    for index, (rating, gap) in enumerate(zip(sequence, minutes, strict=False)):
        options = preview("deck", "card", state, at)
        after = schedule("deck", "card", state, rating, at)
        assert after == options[rating], "the button label must be what the card gets"
        assert after.due >= at - timedelta(hours=24)
        if after.due_day is not None:
            assert after.due_day > study_date(at) or after.state != REVIEW
        assert after.last_review == at
        reviews.append(Review(f"r{index}", "deck", "card", rating, at, None, state=after))
        state = after
        at = at + timedelta(minutes=gap)
    assert replay(reviews).states[("deck", "card")] == state


def test_replay_orders_by_time_and_recomputes_before() -> None:
    first = schedule("d", "c", None, 3, T0)
    second = schedule("d", "c", first, 3, T0 + timedelta(minutes=10))
    shuffled = [
        Review("b", "d", "c", 3, T0 + timedelta(minutes=10), None),
        Review("a", "d", "c", 3, T0, None),
    ]
    result = replay(shuffled)
    assert result.states[("d", "c")] == second
    assert [(r.id, r.before) for r in result.reviews] == [("a", 0), ("b", 1)]
