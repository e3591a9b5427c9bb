"""Siblings (cards made from one deck entry) kept apart as Anki's "bury siblings" options
do: in the queue, across sessions of one study day, and not at all with
``bury_siblings: false``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import card_state

from flashcards.catalog import Catalog, open_catalog
from flashcards.model import LEARNING, REVIEW, Tally
from flashcards.queue import (
    Limits,
    StudyQueue,
    answered_today,
    buried_today,
    overview_of,
    sibling_notes,
)
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore

PARIS = timezone(timedelta(hours=1))
NOW = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)

CARDS = [
    ("d", "a"),
    ("d", "a/reverse"),
    ("d", "t/c1"),
    ("d", "t/c2"),
    ("d", "t/c3"),
    ("d", "alone"),
    ("e", "a"),  # same entry id, another deck: no sibling of d's
]


def test_siblings_are_the_cards_of_one_entry_in_one_deck() -> None:
    notes = sibling_notes(CARDS)
    assert set(notes) == {
        ("d", "a"),
        ("d", "a/reverse"),
        ("d", "t/c1"),
        ("d", "t/c2"),
        ("d", "t/c3"),
    }
    assert notes[("d", "a")] == notes[("d", "a/reverse")] != notes[("d", "t/c1")]


def test_of_new_siblings_only_the_first_is_studied_today() -> None:
    queue = StudyQueue(CARDS, {}, NOW, Tally(), siblings=sibling_notes(CARDS))
    assert queue.main == [("d", "a"), ("d", "t/c1"), ("d", "alone"), ("e", "a")]
    assert queue.counts().new == 4
    assert queue.held == {("d", "a/reverse"), ("d", "t/c2"), ("d", "t/c3")}
    # without burying, every card comes
    assert StudyQueue(CARDS, {}, NOW, Tally()).counts().new == 7


def test_held_siblings_take_nothing_from_the_daily_limit() -> None:
    cards = [("d", f"n{i}/c{k}") for i in range(10) for k in (1, 2)]
    queue = StudyQueue(
        cards, {}, NOW, Tally(), Limits(new_per_day=10), siblings=sibling_notes(cards)
    )
    assert queue.main == [("d", f"n{i}/c1") for i in range(10)]


def test_a_sibling_in_a_learning_step_holds_back_the_review_and_the_new_one() -> None:
    states = {
        ("d", "t/c1"): card_state(REVIEW, NOW - timedelta(days=2)),
        ("d", "t/c2"): card_state(LEARNING, NOW - timedelta(minutes=1)),
    }
    queue = StudyQueue(CARDS, overview_of(states), NOW, Tally(), siblings=sibling_notes(CARDS))
    assert ("d", "t/c2") in queue.learning
    assert queue.held >= {("d", "t/c1"), ("d", "t/c3")}


def test_of_due_siblings_the_most_overdue_is_studied() -> None:
    states = {
        ("d", "a"): card_state(REVIEW, NOW - timedelta(days=1)),
        ("d", "a/reverse"): card_state(REVIEW, NOW - timedelta(days=3)),
    }
    queue = StudyQueue(CARDS, overview_of(states), NOW, Tally(), siblings=sibling_notes(CARDS))
    assert ("d", "a/reverse") in queue.main and ("d", "a") not in queue.main


def test_answering_a_card_buries_its_siblings_still_queued() -> None:
    # (siblings can only both be queued when they were not siblings at the start,
    # which the queue still handles)
    queue = StudyQueue(CARDS, {}, NOW, Tally())
    queue.siblings = sibling_notes(CARDS)
    state = card_state(REVIEW, NOW + timedelta(days=3))
    queue.answered(("d", "t/c2"), state)
    assert ("d", "t/c1") not in queue.main and ("d", "t/c3") not in queue.main
    assert ("d", "a/reverse") in queue.main
    assert {("d", "t/c1"), ("d", "t/c3")} <= queue.held


def test_buried_today_is_a_sibling_answered_on_this_study_day() -> None:
    answered_at = NOW - timedelta(hours=2)
    reviewed = card_state(REVIEW, NOW + timedelta(days=4))._replace(last_review=answered_at)
    in_step = card_state(LEARNING, NOW + timedelta(minutes=5))
    yesterday = card_state(REVIEW, NOW)._replace(last_review=NOW - timedelta(days=1))
    states = {("d", "t/c1"): reviewed, ("d", "t/c2"): in_step, ("d", "a"): yesterday}
    answered = answered_today(states, NOW)
    assert answered == {("d", "t/c1")}
    # c2 is in a learning step: never buried; c3 is new: buried; a/reverse: a was
    # answered yesterday, so nothing of that entry is buried
    assert buried_today(CARDS, overview_of(states), answered) == {("d", "t/c3")}
    # the study day starts at 4 a.m.: at 3:59 the next morning it is still the same day
    late = datetime(2026, 5, 11, 3, 59, tzinfo=PARIS)
    assert answered_today(states, late) == {("d", "t/c1")}
    assert answered_today(states, late + timedelta(minutes=1)) == set()


def test_buried_cards_stay_out_of_the_queue_and_its_counts() -> None:
    buried = {("d", "a/reverse")}
    queue = StudyQueue(CARDS, {}, NOW, Tally(), buried=buried)
    assert ("d", "a/reverse") not in queue.main and queue.counts().new == 6
    assert queue.held == buried


# --- across sessions, against a store ---------------------------------------------------------

DECK = """\
name: Siblings
cards:
  - {id: dynamodb-what-is, question: What is DynamoDB?, answer: A NoSQL database, reverse: true}
  - {id: tls, cloze: "{{c1::TLS}} runs on top of {{c2::TCP}}"}
"""


def catalog(tmp_path: Path, options: str = "") -> Catalog:
    folder = tmp_path / "decks"
    folder.mkdir(exist_ok=True)
    (folder / "s.yaml").write_text(options + DECK)
    return open_catalog([folder], None)


def study_all(session: StudySession, now: datetime, rating: int = 4) -> list[str]:
    """Answer everything the session offers now; the ids, in order."""
    seen = []
    while (card := session.next_card(now)) is not None:
        seen.append(card.id)
        session.answer(card, rating, now)
    return seen


def test_a_sibling_waits_for_the_next_study_day(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "store")
    first = StudySession(store, catalog(tmp_path), [], NOW)
    assert first.counts().new == 2
    assert study_all(first, NOW) == ["dynamodb-what-is", "tls/c1"]
    assert first.held_back() == 2
    assert first.next_due(NOW) == datetime(2026, 5, 11, 4, 0, tzinfo=PARIS)
    later = NOW + timedelta(hours=3)  # another session, the same day: still buried
    again = StudySession(JsonStore(tmp_path / "store"), catalog(tmp_path), [], later)
    assert again.counts().new == 0 and again.next_card(later) is None
    assert again.held_back() == 2
    tomorrow = NOW + timedelta(days=1)
    next_day = StudySession(JsonStore(tmp_path / "store"), catalog(tmp_path), [], tomorrow)
    assert study_all(next_day, tomorrow) == ["dynamodb-what-is/reverse", "tls/c2"]


def test_bury_siblings_false_studies_them_the_same_day(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "store")
    session = StudySession(store, catalog(tmp_path, "bury_siblings: false\n"), [], NOW)
    assert session.counts().new == 4
    assert study_all(session, NOW) == [
        "dynamodb-what-is",
        "dynamodb-what-is/reverse",
        "tls/c1",
        "tls/c2",
    ]


def test_undo_brings_the_sibling_back(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "store")
    session = StudySession(store, catalog(tmp_path), [], NOW)
    card = session.next_card(NOW)
    assert card is not None
    session.answer(card, 4, NOW)
    session.undo()
    assert session.counts().new == 2
    fresh = StudySession(JsonStore(tmp_path / "store"), catalog(tmp_path), [], NOW)
    assert fresh.counts().new == 2  # nothing answered today any more: nothing buried
