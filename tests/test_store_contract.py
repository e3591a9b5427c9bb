"""One contract for every progress store, run against each build of one:

* ``json`` — the default JSON Lines store in a folder;
* ``moto`` — the DynamoDB store on moto's in-process mock of AWS;
* ``dynalite`` — the DynamoDB store on a real dynalite server process (one per test
  session, a fresh table per test).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from servers import isolate_aws

from flashcards.clock import now
from flashcards.days import study_date
from flashcards.errors import ConflictError
from flashcards.model import (
    BURY,
    CRAM,
    FORGET,
    SUSPEND,
    UNBURY,
    UNSUSPEND,
    CardState,
    DayStats,
    Flags,
    Review,
    Tally,
    slot_of,
)
from flashcards.scheduling import DEFAULT_CONFIG, SchedulerConfig, before_of, replay, schedule
from flashcards.stores import Store, StoreContext, flags_of, open_store
from flashcards.stores import dynamodb as dynamo

# A fixed morning, in a zone that is not UTC, so that hours are counted in UTC.
T0 = datetime(2025, 3, 3, 9, 15, tzinfo=timezone(timedelta(hours=1)))

Opener = Callable[..., Store]


class Factory:
    """Opens stores of one build; every call opens the same store again (optionally as
    another profile)."""

    def __init__(self, kind: str, open_: Callable[..., Store]) -> None:
        self.kind = kind
        self._open = open_
        self.opened: list[Store] = []

    def __call__(self, profile: str = "default", **context: Any) -> Store:
        store = self._open(profile, **context)
        self.opened.append(store)
        return store


class Crash(BaseException):
    """Stands for the process dying between two writes."""


def crash(*args: object) -> None:
    raise Crash


def _factory(
    kind: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Factory]:
    home = tmp_path / "home"
    monkeypatch.setenv("FLASHCARDS_HOME", str(home))
    table = f"cards-{uuid.uuid4().hex[:12]}"
    mock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if kind == "json":
        url = "json"
    elif kind == "moto":
        from moto import mock_aws

        isolate_aws(monkeypatch, tmp_path, credentials=True)
        mock, url = mock_aws(), f"dynamodb://{table}"
    else:
        # No credentials at all: a local endpoint must do with dummy ones.
        isolate_aws(monkeypatch, tmp_path, credentials=False)
        url = request.getfixturevalue("dynalite_server").url(table)

    def open_(profile: str, **context: Any) -> Store:
        # The JSON store keeps one learner per folder: another profile is another folder.
        where = url if kind != "json" or profile == "default" else f"json:{home / profile}"
        return open_store(where, StoreContext(home, profile, **context))

    with mock:
        factory = Factory(kind, open_)
        yield factory
        for store in factory.opened:
            store.close()


@pytest.fixture(params=["json", "moto", "dynalite"])
def store_factory(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Factory]:
    yield from _factory(request.param, request, monkeypatch, tmp_path)


@pytest.fixture(params=["moto", "dynalite"])
def dynamo_factory(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Factory]:
    yield from _factory(request.param, request, monkeypatch, tmp_path)


def answer(
    deck: str, card: str, state: CardState | None, rating: int, at: datetime, id: str = ""
) -> Review:
    """A review as a study session makes it."""
    return Review(
        id=id or uuid.uuid4().hex,
        deck=deck,
        card=card,
        rating=rating,
        reviewed_at=at,
        duration_ms=2500,
        before=int(before_of(state)),
        state=schedule(deck, card, state, rating, at),
        last_interval=state.interval if state is not None else None,
    )


def history(deck: str, card: str, ratings: list[int], start: datetime) -> list[Review]:
    """Successive answers of one card, each when the previous one made it due."""
    out: list[Review] = []
    state, at = None, start
    for rating in ratings:
        review = answer(deck, card, state, rating, at)
        out.append(review)
        state = review.state
        assert state is not None
        at = max(state.due, at + timedelta(minutes=1))
    return out


def record_all(store: Store, reviews: list[Review]) -> None:
    states: dict[tuple[str, str], CardState] = {}
    for review in reviews:
        store.record(review, states.get(review.key))
        assert review.state is not None
        states[review.key] = review.state


def totals(activity: dict[str, dict[int, Tally]]) -> list[int]:
    """All decks' and hours' counts added up: reviews, new, review, passed."""
    sums = [0, 0, 0, 0]
    for hours in activity.values():
        for tally in hours.values():
            sums = [a + b for a, b in zip(sums, tally.as_list(), strict=True)]
    return sums


# -- the contract ---------------------------------------------------------------


def test_recorded_states_survive_reopening(store_factory: Factory) -> None:
    store = store_factory()
    assert store.load_states() == {}
    first = history("spanish", "hola", [3, 3, 4], T0)
    other = history("spanish", "adios", [1], T0 + timedelta(minutes=2))
    record_all(store, first + other)
    expected = {("spanish", "hola"): first[-1].state, ("spanish", "adios"): other[-1].state}
    assert store.load_states() == expected
    store.close()

    again = store_factory()
    assert again.load_states() == expected
    assert again.load_states(["spanish"]) == expected


def test_record_from_a_stale_state_raises_conflict_with_the_current_state(
    store_factory: Factory,
) -> None:
    store = store_factory()
    store.load_states()
    first = answer("geo", "paris", None, 3, T0)
    store.record(first, None)
    stale = answer("geo", "paris", None, 4, T0 + timedelta(minutes=1))
    with pytest.raises(ConflictError) as caught:
        store.record(stale, None)
    assert caught.value.current == first.state
    assert [r.id for r in store.reviews()] == [first.id]


def test_an_answer_from_another_session_is_seen_as_a_conflict(store_factory: Factory) -> None:
    mine, theirs = store_factory(), store_factory()
    assert mine.load_states() == theirs.load_states() == {}
    their_answer = answer("geo", "rome", None, 3, T0)
    theirs.record(their_answer, None)
    my_answer = answer("geo", "rome", None, 1, T0 + timedelta(seconds=30))
    with pytest.raises(ConflictError) as caught:
        mine.record(my_answer, None)
    assert caught.value.current == their_answer.state
    # The session recomputes its answer from the current state; that one is kept.
    redone = answer("geo", "rome", their_answer.state, 1, T0 + timedelta(seconds=31))
    mine.record(redone, their_answer.state)
    assert store_factory().load_states() == {("geo", "rome"): redone.state}
    assert [r.id for r in theirs.reviews()] == [their_answer.id, redone.id]


def test_recording_the_same_answer_twice_counts_it_once(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    review = answer("geo", "oslo", None, 3, T0)
    store.record(review, None)
    with contextlib.suppress(ConflictError):
        store.record(review, None)  # a retry after an error that came too late
    reopened = store_factory()
    assert [r.id for r in reopened.reviews()] == [review.id]
    assert totals(reopened.activity()) == [1, 1, 0, 0]
    assert reopened.load_states() == {("geo", "oslo"): review.state}


def test_undo_restores_the_previous_state_and_uncounts_the_answer(
    store_factory: Factory,
) -> None:
    store = store_factory()
    store.load_states()
    first, second = history("geo", "lima", [3, 3], T0)
    record_all(store, [first, second])
    assert totals(store.activity()) == [2, 1, 0, 0]

    store.undo(second, first.state)
    assert store.load_states() == {("geo", "lima"): first.state}
    assert [r.id for r in store.reviews()] == [first.id]
    assert totals(store.activity()) == [1, 1, 0, 0]

    store.undo(first, None)
    assert store.load_states() == {}
    reopened = store_factory()
    assert reopened.load_states() == {}
    assert list(reopened.reviews()) == []
    assert totals(reopened.activity()) == [0, 0, 0, 0]
    # The card is new again: answering it anew is no conflict.
    again = answer("geo", "lima", None, 4, T0 + timedelta(hours=1))
    reopened.record(again, None)
    assert store_factory().load_states() == {("geo", "lima"): again.state}


def test_undo_of_an_answer_that_is_no_longer_the_latest_is_a_conflict(
    store_factory: Factory,
) -> None:
    mine, theirs = store_factory(), store_factory()
    mine.load_states()
    first = answer("geo", "bern", None, 3, T0)
    mine.record(first, None)
    theirs.load_states()
    later = answer("geo", "bern", first.state, 3, T0 + timedelta(minutes=5))
    theirs.record(later, first.state)
    with pytest.raises(ConflictError) as caught:
        mine.undo(first, None)
    assert caught.value.current == later.state
    assert [r.id for r in store_factory().reviews()] == [first.id, later.id]


def test_activity_counts_new_review_and_passed_answers_per_hour(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    # Easy on a new card makes it a review card; its next answer counts as a review.
    kept = history("deck", "kept", [4, 3], T0)
    lapsed = history("deck", "lapsed", [4, 1], T0 + timedelta(minutes=1))
    learning = history("deck", "learning", [3, 3], T0 + timedelta(minutes=2))
    assert [r.before for r in kept + lapsed] == [0, 2, 0, 2]
    assert learning[1].before == 1
    record_all(store, sorted(kept + lapsed + learning, key=lambda r: r.reviewed_at))

    per_hour: dict[int, list[int]] = {}
    for review in kept + lapsed + learning:
        counts = per_hour.setdefault(slot_of(review.reviewed_at), [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += review.before == 0
        counts[2] += review.before == 2
        counts[3] += review.before == 2 and review.rating > 1
    activity = store_factory().activity()
    assert set(activity) == {"deck"}
    assert {h: t.as_list() for h, t in activity["deck"].items() if t.reviews} == per_hour
    assert totals(activity) == [6, 3, 2, 1]

    since = T0 + timedelta(days=1)  # after the first answers, before the Easy ones fell due
    assert min(kept[1].reviewed_at, lapsed[1].reviewed_at) > since
    later = store.activity(since)
    assert totals(later) == [2, 0, 2, 1]
    assert all(h >= slot_of(since) for h in later["deck"])
    elsewhere = store.activity(since, decks=["other"])
    assert "deck" not in elsewhere and totals(elsewhere) == [0, 0, 0, 0]
    assert totals(store.activity(since, decks=["deck"])) == [2, 0, 2, 1]


def test_day_stats_count_each_study_day_and_forget_undone_answers(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    mature = history("deck", "mature", [4, 3, 3, 1], T0)
    young = history("deck", "young", [3, 3, 3], T0 + timedelta(minutes=1))
    assert mature[2].last_interval is not None and mature[2].last_interval >= 21
    reviews = sorted(mature + young, key=lambda r: r.reviewed_at)
    record_all(store, reviews)
    last = reviews[-1]
    store.undo(last, next(r.state for r in reversed(reviews[:-1]) if r.key == last.key))
    standing = reviews[:-1]

    expected: dict[date, DayStats] = {}
    for review in standing:
        expected.setdefault(study_date(review.reviewed_at), DayStats()).add(
            review, review.last_interval
        )
    got = store_factory().day_stats()["deck"]
    assert {d: s.as_list() for d, s in got.items() if s.reviews} == {
        d: s.as_list() for d, s in expected.items()
    }
    assert sum(s.mature for s in got.values()) >= 1 and sum(s.young for s in got.values()) >= 1
    assert sum(s.milliseconds for s in got.values()) == 2500 * len(standing)
    assert store.day_stats(["other"]) == {}


def test_active_hours_are_the_hours_with_standing_reviews(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    monday = answer("a", "one", None, 3, T0)
    tuesday = answer("a", "two", None, 3, T0 + timedelta(days=1))
    other = answer("b", "one", None, 3, T0 + timedelta(days=2))
    taken_back = answer("a", "three", None, 3, T0 + timedelta(days=3))
    record_all(store, [monday, tuesday, other, taken_back])
    store.undo(taken_back, None)
    hours = store_factory().active_slots()
    assert hours["a"] == {slot_of(monday.reviewed_at), slot_of(tuesday.reviewed_at)}
    assert hours["b"] == {slot_of(other.reviewed_at)}
    assert set(store.active_slots(["b"])) == {"b"}


def test_reviews_are_listed_oldest_first(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    made = [
        answer("b-deck", "one", None, 3, T0),
        answer("a-deck", "two", None, 2, T0 + timedelta(seconds=10)),
        answer("b-deck", "three", None, 1, T0 + timedelta(minutes=3)),
    ]
    made.append(answer("b-deck", "one", made[0].state, 3, T0 + timedelta(minutes=4)))
    record_all(store, made)
    assert list(store_factory().reviews()) == made


def test_import_is_idempotent_and_states_are_replayed(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    local = answer("vocab", "cat", None, 3, T0 + timedelta(days=1))
    store.record(local, None)
    # Reviews from elsewhere: one card older than the local answer, others fresh.
    outside = (
        history("vocab", "cat", [3, 4], T0)
        + history("vocab", "dog", [1, 3, 3], T0 + timedelta(hours=2))
        + history("verbs", "run", [4], T0 + timedelta(hours=3))
    )
    assert store.import_reviews(outside[:4]) == 4
    assert store.import_reviews(outside) == len(outside) - 4
    expected = replay([local, *outside]).states
    assert store.load_states() == expected
    assert store.import_reviews(outside) == 0
    reopened = store_factory()
    assert reopened.load_states() == expected
    assert {r.id for r in reopened.reviews()} == {r.id for r in [local, *outside]}
    assert totals(reopened.activity())[0] == len(outside) + 1


def test_load_states_filters_by_deck(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    a = answer("alpha", "x", None, 3, T0)
    b = answer("beta", "x", None, 3, T0)
    record_all(store, [a, b])
    reopened = store_factory()
    assert reopened.load_states(["alpha"]) == {("alpha", "x"): a.state}
    assert reopened.load_states(["beta", "gamma"]) == {("beta", "x"): b.state}
    assert reopened.load_states(["gamma"]) == {}
    assert set(reopened.load_states()) == {("alpha", "x"), ("beta", "x")}


# -- marks: suspend, unsuspend, bury, unbury, forget --------------------------------


def mark(deck: str, card: str, state: CardState | None, action: str, at: datetime) -> Review:
    """A mark as the study screen or a command makes it."""
    return Review(
        id=uuid.uuid4().hex,
        deck=deck,
        card=card,
        rating=0,
        reviewed_at=at,
        duration_ms=None,
        before=int(before_of(state)),
        state=None if action == FORGET else state,
        action=action,
    )


def test_suspend_and_unsuspend_set_and_clear_the_flag_and_leave_the_state(
    store_factory: Factory,
) -> None:
    store = store_factory()
    store.load_states()
    first = answer("geo", "lima", None, 3, T0)
    store.record(first, None)
    suspend = mark("geo", "lima", first.state, SUSPEND, T0 + timedelta(minutes=5))
    store.record(suspend, first.state)
    # A new card (no state) can be suspended too.
    fresh = mark("geo", "quito", None, SUSPEND, T0 + timedelta(minutes=6))
    store.record(fresh, None)
    suspended = {("geo", "lima"): Flags(suspended=True), ("geo", "quito"): Flags(True)}
    assert store.flags() == suspended
    assert store.load_states() == {("geo", "lima"): first.state}
    assert store.flags(["other"]) == {}

    reopened = store_factory()
    assert reopened.flags(["geo"]) == suspended
    assert reopened.flags() == flags_of(reopened.reviews()) == suspended
    assert [r.action for r in reopened.reviews()] == [None, SUSPEND, SUSPEND]
    unsuspend = mark("geo", "lima", first.state, UNSUSPEND, T0 + timedelta(minutes=7))
    reopened.record(unsuspend, first.state)
    assert reopened.flags() == {("geo", "quito"): Flags(True)}
    assert store_factory().flags() == {("geo", "quito"): Flags(True)}


def test_a_bury_hides_the_card_for_its_study_day_only(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    # 03:30 in the learner's offset is still the study day before: it rolls over at 4 a.m.
    late = datetime(2025, 3, 4, 3, 30, tzinfo=timezone(timedelta(hours=-5)))
    bury = mark("geo", "oslo", None, BURY, late)
    store.record(bury, None)
    flags = store_factory().flags()[("geo", "oslo")]
    assert flags == Flags(buried_on=date(2025, 3, 3))
    assert flags.buried(late + timedelta(minutes=29)) and flags.hidden(late)
    assert not flags.buried(late + timedelta(minutes=30))  # 4 a.m.: the next study day
    assert not flags.suspended

    unbury = mark("geo", "oslo", None, UNBURY, late + timedelta(minutes=1))
    store.record(unbury, None)
    assert store.flags() == {}
    assert store_factory().flags() == {}


def test_undo_of_each_mark_brings_back_the_flags_before_it(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    first = answer("geo", "bern", None, 3, T0)
    store.record(first, None)
    state = first.state
    made = []
    for minutes, action in enumerate([SUSPEND, BURY, UNSUSPEND, UNBURY], start=1):
        made.append(mark("geo", "bern", state, action, T0 + timedelta(minutes=minutes)))
        store.record(made[-1], state)
    buried_on = study_date(T0)
    seen = [store.flags().get(("geo", "bern"), Flags())]
    for undone in reversed(made):
        store.undo(undone, state)
        seen.append(store_factory().flags().get(("geo", "bern"), Flags()))
    assert seen == [
        Flags(),  # all four
        Flags(False, buried_on),  # suspend, bury, unsuspend
        Flags(True, buried_on),  # suspend, bury
        Flags(True, None),  # suspend
        Flags(),  # nothing
    ]
    assert [r.id for r in store_factory().reviews()] == [first.id]
    assert store_factory().load_states() == {("geo", "bern"): state}


def test_forget_makes_the_card_new_and_keeps_its_reviews(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    answers = history("geo", "rome", [3, 3, 4], T0)
    other = answer("geo", "kyiv", None, 3, T0)
    record_all(store, [*answers, other])
    before = answers[-1].state
    forget = mark("geo", "rome", before, FORGET, answers[-1].reviewed_at + timedelta(hours=1))
    assert forget.before == 2 and forget.state is None
    store.record(forget, before)
    assert store.load_states() == {("geo", "kyiv"): other.state}
    assert ("geo", "rome") not in store.due_overview()
    reopened = store_factory()
    assert reopened.load_states() == {("geo", "kyiv"): other.state}
    assert set(reopened.due_overview()) == {("geo", "kyiv")}
    kept = list(reopened.reviews())
    assert {r.id for r in kept} == {r.id for r in [*answers, other, forget]}
    assert kept[-1] == forget
    assert totals(reopened.activity()) == [4, 2, 1, 1]
    # Answered anew, it starts from new, as a replay of its whole log says.
    again = answer("geo", "rome", None, 3, forget.reviewed_at + timedelta(minutes=1))
    reopened.record(again, None)
    assert store_factory().load_states()[("geo", "rome")] == again.state
    assert replay(store_factory().reviews()).states[("geo", "rome")] == again.state


def test_undo_of_a_forget_brings_the_state_back(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    first, second = history("geo", "riga", [3, 3], T0)
    record_all(store, [first, second])
    forget = mark("geo", "riga", second.state, FORGET, T0 + timedelta(days=1))
    store.record(forget, second.state)
    assert store.load_states() == {}
    store.undo(forget, second.state)
    assert store.load_states() == {("geo", "riga"): second.state}
    reopened = store_factory()
    assert reopened.load_states() == {("geo", "riga"): second.state}
    assert [r.id for r in reopened.reviews()] == [first.id, second.id]


def test_forget_clears_suspend_and_bury_and_its_undo_brings_them_back(
    store_factory: Factory,
) -> None:
    # As Anki's reset: the card goes back among the new cards, neither suspended nor
    # buried; taking the forget back leaves the card as it was, flags and all.
    store = store_factory()
    store.load_states()
    first = answer("geo", "doha", None, 3, T0)
    store.record(first, None)
    suspend = mark("geo", "doha", first.state, SUSPEND, T0 + timedelta(minutes=1))
    bury = mark("geo", "doha", first.state, BURY, T0 + timedelta(minutes=2))
    store.record(suspend, first.state)
    store.record(bury, first.state)
    aside = Flags(True, study_date(T0))
    assert store.flags() == {("geo", "doha"): aside}
    forget = mark("geo", "doha", first.state, FORGET, T0 + timedelta(minutes=3))
    store.record(forget, first.state)
    assert store.flags() == {} and store.load_states() == {}
    reopened = store_factory()
    assert reopened.flags() == {} == flags_of(reopened.reviews())
    # Set aside again after the forget, it is aside: only marks before a forget go.
    again = mark("geo", "doha", None, SUSPEND, T0 + timedelta(minutes=4))
    reopened.record(again, None)
    assert store_factory().flags() == {("geo", "doha"): Flags(True)}
    reopened.undo(again, None)
    reopened.undo(forget, first.state)
    for view in (reopened, store_factory()):
        assert view.flags() == {("geo", "doha"): aside} == flags_of(view.reviews())
        assert view.load_states() == {("geo", "doha"): first.state}


def test_an_import_replays_each_deck_with_its_own_scheduler(store_factory: Factory) -> None:
    # Steps, retention and maximum interval as a deck's options set them: the states an
    # import recomputes are those its sessions gave, deck by deck.
    own = SchedulerConfig(
        learning_steps=(5.0, 30.0),
        relearning_steps=(20.0,),
        desired_retention=0.85,
        maximum_interval=20,
    )
    schedulers = {"geo": own}
    store = store_factory(schedulers=lambda deck: schedulers.get(deck, DEFAULT_CONFIG))
    made: list[Review] = []
    for deck in ("geo", "verbs"):
        state, at = None, T0
        for rating in (3, 3, 3, 1, 3, 3):
            config = schedulers.get(deck, DEFAULT_CONFIG)
            after = schedule(deck, "one", state, rating, at, config=config)
            made.append(
                Review(uuid.uuid4().hex, deck, "one", rating, at, 800, int(before_of(state)), after)
            )
            state, at = after, max(after.due, at + timedelta(minutes=1))
    expected = {r.key: r.state for r in made}
    assert (
        expected[("geo", "one")]
        != replay(r for r in made if r.deck == "geo").states[("geo", "one")]
    )
    assert store.import_reviews(made) == len(made)
    assert store.load_states() == expected
    assert store_factory().load_states() == expected
    listed = list(store_factory().reviews())
    assert all(a.reviewed_at <= b.reviewed_at for a, b in pairwise(listed))  # oldest first
    # (answers at the same moment, here one of each deck, come in either order)
    assert sorted((r.reviewed_at, r.id, r.state) for r in listed) == sorted(
        (r.reviewed_at, r.id, r.state) for r in made
    )


def test_a_mark_from_a_stale_state_is_a_conflict(store_factory: Factory) -> None:
    mine, theirs = store_factory(), store_factory()
    mine.load_states()
    theirs.load_states()
    their_answer = answer("geo", "baku", None, 3, T0)
    theirs.record(their_answer, None)
    with pytest.raises(ConflictError) as caught:
        mine.record(mark("geo", "baku", None, SUSPEND, T0 + timedelta(seconds=5)), None)
    assert caught.value.current == their_answer.state
    assert store_factory().flags() == {}


def test_marks_count_as_no_answer(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    first = answer("geo", "doha", None, 3, T0)
    store.record(first, None)
    later = T0 + timedelta(days=1, hours=2)  # another study day, another quarter hour
    state: CardState | None = first.state
    for minutes, action in enumerate([SUSPEND, UNSUSPEND, BURY, UNBURY, FORGET]):
        made = mark("geo", "doha", state, action, later + timedelta(minutes=minutes))
        store.record(made, state)
        state = made.state
    for view in (store, store_factory()):
        assert totals(view.activity()) == [1, 1, 0, 0]
        assert totals(view.activity(since=T0 - timedelta(hours=1))) == [1, 1, 0, 0]
        assert view.active_slots() == {"geo": {slot_of(T0)}}
        days = view.day_stats()["geo"]
        assert list(days) == [study_date(T0)]
        assert days[study_date(T0)].reviews == 1
        assert days[study_date(T0)].milliseconds == 2500


def test_marks_travel_with_the_history_into_an_empty_store(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    answers = history("geo", "lima", [3, 3], T0)
    record_all(store, answers)
    state = answers[-1].state
    marks = [
        mark("geo", "lima", state, SUSPEND, T0 + timedelta(days=2)),
        mark("geo", "oslo", None, BURY, T0 + timedelta(days=2, minutes=1)),
        mark("geo", "rome", None, SUSPEND, T0 + timedelta(days=2, minutes=2)),
        mark("geo", "rome", None, UNSUSPEND, T0 + timedelta(days=2, minutes=3)),
    ]
    for made in marks:
        store.record(made, state if made.card == "lima" else None)
    exported = list(store_factory().reviews())
    assert [r.action for r in exported] == [None, None, SUSPEND, BURY, SUSPEND, UNSUSPEND]

    elsewhere = store_factory("elsewhere")
    assert elsewhere.load_states() == {} and elsewhere.flags() == {}
    assert elsewhere.import_reviews(exported) == 6
    expected = {
        ("geo", "lima"): Flags(suspended=True),
        ("geo", "oslo"): Flags(buried_on=study_date(marks[1].reviewed_at)),
    }
    assert elsewhere.flags() == expected
    assert elsewhere.import_reviews(exported) == 0  # by id: nothing twice
    reopened = store_factory("elsewhere")
    assert reopened.flags() == expected
    assert reopened.load_states() == {("geo", "lima"): state}
    assert list(reopened.reviews()) == exported
    assert totals(reopened.activity()) == [2, 1, 0, 0]


def test_an_imported_forget_is_replayed_in_time_order(store_factory: Factory) -> None:
    store = store_factory()
    store.load_states()
    local = history("vocab", "cat", [3, 3], T0 + timedelta(days=3))
    record_all(store, local)
    # From elsewhere: older answers, then a forget, all before the local ones; and a
    # card forgotten as its last event.
    older = history("vocab", "cat", [1, 3], T0)
    forget_cat = mark("vocab", "cat", older[-1].state, FORGET, T0 + timedelta(days=1))
    dog = history("vocab", "dog", [3, 4], T0)
    forget_dog = mark("vocab", "dog", dog[-1].state, FORGET, T0 + timedelta(days=5))
    outside = [*older, forget_cat, *dog, forget_dog]
    assert store.import_reviews(outside) == len(outside)
    expected = replay([*local, *outside]).states
    assert set(expected) == {("vocab", "cat")}  # the dog was forgotten last
    # The local answers came after the forget: the card's state is theirs alone.
    assert expected[("vocab", "cat")] == replay(local).states[("vocab", "cat")]
    assert store.load_states() == expected
    assert store_factory().load_states() == expected
    assert store_factory().due_overview().keys() == expected.keys()


def test_a_cram_answer_is_kept_and_undone_without_touching_state_flags_or_counts(
    store_factory: Factory,
) -> None:
    store = store_factory()
    store.load_states()
    first = answer("geo", "lima", None, 3, T0)
    store.record(first, None)
    suspend = mark("geo", "lima", first.state, SUSPEND, T0 + timedelta(minutes=1))
    store.record(suspend, first.state)
    crams = [
        Review(
            uuid.uuid4().hex, "geo", card, 1, T0 + timedelta(hours=n), 900, 1, state, action=CRAM
        )
        for n, (card, state) in enumerate([("lima", first.state), ("oslo", None)], start=1)
    ]
    for cram in crams:
        store.record(cram, cram.state)
    for view in (store, store_factory()):
        assert view.load_states() == {("geo", "lima"): first.state}
        assert view.flags() == {("geo", "lima"): Flags(suspended=True)}
        assert totals(view.activity()) == [1, 1, 0, 0]
        assert [r.action for r in view.reviews()] == [None, SUSPEND, CRAM, CRAM]
    store.undo(crams[1], None)
    store.undo(crams[0], first.state)
    reopened = store_factory()
    assert [r.id for r in reopened.reviews()] == [first.id, suspend.id]
    assert reopened.flags() == {("geo", "lima"): Flags(suspended=True)}
    assert reopened.load_states() == {("geo", "lima"): first.state}


def test_day_stats_count_cram_answers_apart_and_their_undo_takes_them_back(
    store_factory: Factory,
) -> None:
    store = store_factory()
    store.load_states()
    first = answer("geo", "lima", None, 3, T0)
    store.record(first, None)
    day, next_day = study_date(T0), study_date(T0 + timedelta(days=1))

    def cram(card: str, state: CardState | None, at: datetime) -> Review:
        return Review(uuid.uuid4().hex, "geo", card, 2, at, 700, 1, state, action=CRAM)

    crams = [
        cram("lima", first.state, T0 + timedelta(minutes=5)),
        cram("oslo", None, T0 + timedelta(minutes=6)),
        cram("oslo", None, T0 + timedelta(days=1)),  # a day with cram answers only
    ]
    for made in crams:
        store.record(made, made.state)
    answered = DayStats()
    answered.add(first, None)
    expected = {
        "geo": {
            day: DayStats(answered.ratings, milliseconds=answered.milliseconds, cram=2),
            next_day: DayStats(cram=1),
        }
    }
    for view in (store, store_factory()):
        assert view.day_stats() == expected
        assert view.day_stats()["geo"][day].reviews == 1  # the answers are as they were
    store.undo(crams[2], None)
    store.undo(crams[1], None)
    expected["geo"] = {day: DayStats(answered.ratings, milliseconds=answered.milliseconds, cram=1)}
    for view in (store, store_factory()):
        assert view.day_stats() == expected
    store.undo(crams[0], first.state)
    assert store_factory().day_stats()["geo"][day] == answered


# -- DynamoDB only ------------------------------------------------------------------


def test_profiles_sharing_a_table_do_not_see_each_other(dynamo_factory: Factory) -> None:
    alice, bob = dynamo_factory("alice"), dynamo_factory("bob#2")
    alice.load_states()
    bob.load_states()
    hers = answer("geo", "paris", None, 3, T0)
    alice.record(hers, None)
    assert bob.load_states() == {}
    assert bob.activity() == {}
    assert list(bob.reviews()) == []
    his = answer("geo", "paris", None, 1, T0)
    bob.record(his, None)  # same deck and card, no conflict
    assert dynamo_factory("alice").load_states() == {("geo", "paris"): hers.state}
    assert dynamo_factory("bob#2").load_states() == {("geo", "paris"): his.state}
    assert [r.id for r in dynamo_factory("alice").reviews()] == [hers.id]


def test_a_crash_between_the_two_writes_is_repaired_on_load(
    dynamo_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = dynamo_factory()
    store.load_states()
    at = now()
    first = answer("geo", "kyiv", None, 3, at)
    store.record(first, None)
    second = answer("geo", "kyiv", first.state, 3, at + timedelta(seconds=1))

    monkeypatch.setattr(store, "_write_card", crash)
    with pytest.raises(Crash):
        store.record(second, first.state)  # the review is written, its card item is not

    reopened = dynamo_factory()
    assert reopened.load_states() == {("geo", "kyiv"): second.state}
    assert [r.id for r in reopened.reviews()] == [first.id, second.id]
    third = answer("geo", "kyiv", second.state, 1, at + timedelta(seconds=2))
    reopened.record(third, second.state)
    assert dynamo_factory().load_states() == {("geo", "kyiv"): third.state}


def test_a_crash_halfway_through_an_import_is_repaired_on_load(
    dynamo_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = dynamo_factory()
    assert isinstance(store, dynamo.DynamoStore)
    old = history("verbs", "go", [3, 3, 4], T0) + history("verbs", "be", [1, 3], T0)

    monkeypatch.setattr(store, "_write_card", crash)
    with pytest.raises(Crash):
        store.import_reviews(old)  # reviews of the first card are in, no card item yet

    reopened = dynamo_factory()
    assert isinstance(reopened, dynamo.DynamoStore)
    assert reopened.load_states() == replay(old[:3]).states
    assert reopened.import_reviews(old) == 2  # running it again completes it
    # Once repaired, the checkpoint moves past those reviews: later loads skip them.
    reopened.maintain()
    item = reopened.client.get_item(
        TableName=reopened.table, Key={"pk": {"S": "default"}, "sk": {"S": "deck#verbs"}}
    )["Item"]
    assert item["chk"]["S"] > dynamo._stamp(now() - timedelta(hours=2))
    assert dynamo_factory().load_states() == replay(old).states


def test_a_checkpoint_an_import_cut_short_moved_back_is_not_moved_on_by_another_store(
    dynamo_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A study session loaded the deck and would move its checkpoint on at its end; in
    # between, an import elsewhere moved it back and died halfway. The checkpoint must
    # stay back, or the reviews that import left above their cards are never repaired.
    first = dynamo_factory()
    first.import_reviews(history("verbs", "ask", [3, 3], T0 + timedelta(days=30)))
    studying = dynamo_factory()
    assert isinstance(studying, dynamo.DynamoStore)
    studying.load_states()
    assert studying._advance  # it would move the checkpoint on

    importing = dynamo_factory()
    assert isinstance(importing, dynamo.DynamoStore)
    old = history("verbs", "go", [3, 3, 4], T0) + history("verbs", "be", [1, 3], T0)
    monkeypatch.setattr(importing, "_write_card", crash)
    with pytest.raises(Crash):
        importing.import_reviews(old)  # reviews of "go" are in, no card item yet
    studying.maintain()

    reopened = dynamo_factory()
    assert reopened.load_states()[("verbs", "go")] == replay(old[:3]).states[("verbs", "go")]


def test_credentials_rejected_mid_session_keep_the_answer(dynamo_factory: Factory) -> None:
    from botocore.exceptions import ClientError

    store = dynamo_factory()
    assert isinstance(store, dynamo.DynamoStore)
    store.load_states()
    first = answer("geo", "quito", None, 3, T0)
    store.record(first, None)

    def expired(**kwargs: object) -> None:
        error = {"Code": "ExpiredTokenException", "Message": "The security token is expired"}
        raise ClientError({"Error": error}, "PutItem")

    store.client.put_item = expired  # type: ignore[method-assign]
    second = answer("geo", "quito", first.state, 3, T0 + timedelta(days=3))
    store.record(second, first.state)
    assert len(store.notices) == 1 and "credentials rejected" in store.notices[0]
    assert store.load_states() == {("geo", "quito"): second.state}
    store.close()

    reopened = dynamo_factory()
    assert reopened.notices == [
        f"{reopened.location}: sent 1 answer(s) kept from an earlier session"
    ]
    assert list(reopened.reviews()) == [first, second]
    assert reopened.load_states() == {("geo", "quito"): second.state}


def test_an_answer_takes_two_writes_and_no_reads(dynamo_factory: Factory) -> None:
    store = dynamo_factory()
    assert isinstance(store, dynamo.DynamoStore)
    store.load_states()
    store.record(answer("geo", "warm-up", None, 3, T0), None)  # creates the deck item
    calls: list[str] = []
    store.client.meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    made = history("geo", "counted", [3, 3, 1], T0)
    record_all(store, made)
    assert calls == ["PutItem", "PutItem"] * 3
    calls.clear()
    store.undo(made[-1], made[-2].state)
    assert calls == ["PutItem", "PutItem"]  # the card item, then the review's tombstone


def test_a_mark_takes_two_writes_and_flags_after_a_load_take_no_request(
    dynamo_factory: Factory,
) -> None:
    first = answer("geo", "tirana", None, 3, T0)
    earlier = dynamo_factory()
    earlier.load_states()
    earlier.record(first, None)
    store = dynamo_factory()
    assert isinstance(store, dynamo.DynamoStore)
    assert store.load_states() == {("geo", "tirana"): first.state}  # as a session starts
    calls: list[str] = []
    store.client.meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    suspend = mark("geo", "tirana", first.state, SUSPEND, T0 + timedelta(minutes=1))
    store.record(suspend, first.state)
    assert calls == ["PutItem", "PutItem"]  # the mark's slot, then the card item
    calls.clear()
    assert store.flags(["geo"]) == {("geo", "tirana"): Flags(suspended=True)}
    assert calls == []  # the card items read by the load carry the marks
    other = dynamo_factory()
    assert other.flags() == {("geo", "tirana"): Flags(suspended=True)}  # loads first


def test_module_import_does_not_import_boto3() -> None:
    import subprocess
    import sys

    code = "import sys, flashcards.stores.dynamodb; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_timestamps_sort_as_times() -> None:
    early = datetime(2025, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
    late = datetime(2025, 1, 2, 1, 0, tzinfo=timezone(timedelta(hours=2)))  # 23:00 UTC before
    assert dynamo._stamp(late) < dynamo._stamp(early)
    assert dynamo._stamp(early) < dynamo._stamp(early + timedelta(microseconds=1))
