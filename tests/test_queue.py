"""Queue building: day rollover at 4 a.m., daily limits, Anki's order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import card_state

from flashcards.due import entry_of, is_due
from flashcards.model import CardState, Review, Tally
from flashcards.queue import (
    Limits,
    StudyQueue,
    day_start,
    done_today,
    next_day_start,
    overview_of,
)
from flashcards.scheduling import schedule

PARIS = timezone(timedelta(hours=1))


def review_state(due: datetime) -> CardState:
    return card_state(2, due)


def learning_state(due: datetime) -> CardState:
    return card_state(1, due)


def keys(n: int, deck: str = "d") -> list[tuple[str, str]]:
    return [(deck, f"c{i:03d}") for i in range(n)]


def test_day_rolls_over_at_four_in_the_morning_local_time() -> None:
    before = datetime(2026, 5, 10, 3, 59, tzinfo=PARIS)
    after = datetime(2026, 5, 10, 4, 0, tzinfo=PARIS)
    assert day_start(before) == datetime(2026, 5, 9, 4, 0, tzinfo=PARIS)
    assert day_start(after) == datetime(2026, 5, 10, 4, 0, tzinfo=PARIS)
    assert next_day_start(before) == after


def test_a_review_due_later_today_is_due_but_not_before_the_rollover() -> None:
    due = datetime(2026, 5, 10, 18, 0, tzinfo=PARIS)
    assert not is_due(entry_of(review_state(due)), datetime(2026, 5, 10, 3, 30, tzinfo=PARIS))
    assert is_due(entry_of(review_state(due)), datetime(2026, 5, 10, 4, 30, tzinfo=PARIS))
    # learning cards wait for their exact minute
    assert not is_due(entry_of(learning_state(due)), datetime(2026, 5, 10, 17, 59, tzinfo=PARIS))
    assert is_due(entry_of(learning_state(due)), due)


def test_daily_new_limit_counts_what_was_studied_today() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)
    fresh = StudyQueue(keys(30), overview_of({}), now, Tally())
    assert fresh.counts().new == 20
    already = StudyQueue(keys(30), overview_of({}), now, Tally(reviews=5, new=5))
    assert already.counts().new == 15
    assert StudyQueue(keys(30), overview_of({}), now, Tally(new=25)).counts().new == 0


def test_daily_review_limit_keeps_the_most_overdue() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)
    cards = keys(250)
    states = {key: review_state(now - timedelta(days=i)) for i, key in enumerate(cards)}
    queue = StudyQueue(cards, overview_of(states), now, Tally(), Limits(reviews_per_day=200))
    assert queue.counts().review == 200
    assert ("d", "c249") in queue.main and ("d", "c000") not in queue.main
    assert queue.main[0] == ("d", "c249")
    assert StudyQueue(cards, overview_of(states), now, Tally(review=190)).counts().review == 10


def test_order_learning_first_then_reviews_with_new_spread_among_them() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)
    reviews = keys(6, "r")
    new = keys(3, "n")
    learning = ("l", "x")
    states = {key: review_state(now - timedelta(days=i)) for i, key in enumerate(reviews)}
    states[learning] = learning_state(now - timedelta(minutes=1))
    queue = StudyQueue([learning, *reviews, *new], overview_of(states), now, Tally())
    assert queue.next(now) == learning
    queue.answered(learning, review_state(now + timedelta(days=3)))
    order = []
    while (key := queue.next(now)) is not None:
        order.append(key)
        queue.answered(key, review_state(now + timedelta(days=3)))
    assert [k for k in order if k[0] == "n"] == new, "new cards keep deck order"
    positions = [i for i, k in enumerate(order) if k[0] == "n"]
    assert positions[0] > 0 and positions[-1] < len(order) - 1, "new cards are spread out"
    assert [k for k in order if k[0] == "r"] == list(reversed(reviews)), "most overdue first"


def test_a_card_answered_again_comes_back_after_its_step() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)
    card = ("d", "c1")
    queue = StudyQueue([card, ("d", "c2")], overview_of({}), now, Tally())
    assert queue.next(now) == card
    again = schedule("d", "c1", None, 1, now)
    queue.answered(card, again)
    assert queue.counts().learning == 1
    assert queue.next(now) == ("d", "c2")
    queue.answered(("d", "c2"), schedule("d", "c2", None, 4, now))
    # nothing else left: a learning card within the 20-minute learn-ahead limit is shown
    assert queue.next(now) == card
    far = schedule("d", "c1", again, 3, now)  # 10 minutes
    queue.answered(card, far)
    assert queue.next(now) == card
    assert queue.next(now - timedelta(minutes=30)) is None
    assert queue.next_due() == far.due


def test_done_today_counts_only_since_the_rollover() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)
    today = Tally()
    yesterday = Tally()
    for kind, tally in ((0, today), (2, today), (0, yesterday)):
        tally.add(Review("x", "d", "c", 3, now, None, before=kind))
    start = int(day_start(now).timestamp() // 900)
    activity = {"d": {start: today, start - 1: yesterday}}
    counted = done_today(activity, now)
    assert (counted.reviews, counted.new, counted.review, counted.passed) == (2, 1, 1, 1)


def test_daily_limits_apply_to_each_deck_on_its_own() -> None:
    now = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)
    cards = keys(30, "a") + keys(30, "b")
    queue = StudyQueue(cards, overview_of({}), now, {"a": Tally(new=15)})
    new = [key for key in queue.main]
    assert sum(k[0] == "a" for k in new) == 5 and sum(k[0] == "b" for k in new) == 20
    due = {key: review_state(now - timedelta(days=1)) for key in cards}
    reviews = StudyQueue(cards, overview_of(due), now, {"b": Tally(review=195)}, Limits(20, 25))
    assert sum(k[0] == "a" for k in reviews.main) == 25
    assert sum(k[0] == "b" for k in reviews.main) == 0
    fewer = StudyQueue(cards, overview_of(due), now, {"b": Tally(review=20)}, Limits(20, 25))
    assert sum(k[0] == "b" for k in fewer.main) == 5
