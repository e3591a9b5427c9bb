"""Setting cards aside in a study session, on both stores: bury and suspend (with
siblings), forget, leeches at the threshold with either action, and undo of each."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import card_state
from servers import isolate_aws

from flashcards.catalog import open_catalog
from flashcards.model import BURY, NO_FLAGS, REVIEW, SUSPEND, Review
from flashcards.options import DeckOptions
from flashcards.session import StudySession
from flashcards.stores import Store, StoreContext, open_store

PARIS = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
DECK = """\
name: D
cards:
  - {id: a, question: qa, answer: aa}
  - {id: b, question: qb, answer: ab, reverse: true}
  - {id: c, question: qc, answer: ac}
"""

Opener = Callable[[], Store]


@pytest.fixture(params=["json", "moto", pytest.param("dynalite", marks=pytest.mark.dynalite)])
def open_(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Opener]:
    """Opens the same store each time it is called (a restart): the JSON store, and
    DynamoDB on moto in this process and on a real dynalite server."""
    mock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    url = "json"
    if request.param == "moto":
        from moto import mock_aws

        isolate_aws(monkeypatch, tmp_path, credentials=True)
        mock, url = mock_aws(), f"dynamodb://marks-{uuid.uuid4().hex[:10]}"
    elif request.param == "dynalite":
        isolate_aws(monkeypatch, tmp_path, credentials=False)
        url = request.getfixturevalue("dynalite_server").url(f"marks-{uuid.uuid4().hex[:10]}")
    opened: list[Store] = []

    def opener() -> Store:
        store = open_store(url, StoreContext(tmp_path / "home", "default"))
        opened.append(store)
        return store

    with mock:
        yield opener
        for store in opened:
            store.close()


def session(
    tmp_path: Path, store: Store, options: DeckOptions | None = None, now: datetime = NOW
) -> StudySession:
    folder = tmp_path / "decks"
    folder.mkdir(exist_ok=True)
    (folder / "d.yaml").write_text(DECK)
    catalog = open_catalog([folder], None)
    return StudySession(store, catalog, [], now, options=lambda _deck: options or DeckOptions())


def queued(s: StudySession) -> list[str]:
    return [key[1] for key in s.queue.main]


def test_bury_and_suspend_take_cards_out_and_undo_brings_them_back(
    tmp_path: Path, open_: Opener
) -> None:
    s = session(tmp_path, open_())
    assert queued(s) == ["a", "b", "c"]  # b/reverse waits: a sibling of b
    card = s.next_card(NOW)
    assert card is not None and card.id == "a"
    assert s.set_aside(card, BURY, NOW) == 1
    assert queued(s) == ["b", "c"]
    b = s.next_card(NOW)
    assert b is not None and b.id == "b"
    assert s.set_aside(b, SUSPEND, NOW, siblings=True) == 2  # b and b/reverse
    assert queued(s) == ["c"]
    flags = open_().flags()
    assert flags[("d", "a")].buried(NOW) and not flags[("d", "a")].suspended
    assert flags[("d", "b")].suspended and flags[("d", "b/reverse")].suspended
    # a restart: still set aside
    again = session(tmp_path, open_())
    assert queued(again) == ["c"]
    assert s.undo() == b  # both siblings back at once
    assert queued(s) == ["b", "c"]
    assert set(open_().flags()) == {("d", "a")}
    assert s.undo() == card
    assert queued(s) == ["a", "b", "c"] and open_().flags() == {}
    assert session(tmp_path, open_()).queue.main == s.queue.main


def test_buried_cards_come_back_the_next_study_day(tmp_path: Path, open_: Opener) -> None:
    s = session(tmp_path, open_())
    card = s.next_card(NOW)
    assert card is not None
    s.set_aside(card, BURY, NOW)
    assert "a" not in queued(session(tmp_path, open_(), now=NOW + timedelta(hours=12)))
    assert "a" in queued(session(tmp_path, open_(), now=NOW + timedelta(days=1)))


def test_forget_makes_the_card_new_and_undo_restores_it(tmp_path: Path, open_: Opener) -> None:
    store = open_()
    old = card_state(REVIEW, NOW, reps=4, lapses=1)
    store.record(Review("r1", "d", "a", 3, NOW - timedelta(days=3), 900, 0, old), None)
    s = session(tmp_path, store)
    card = s.card(("d", "a"))
    s.forget(card, NOW)
    assert s.state(("d", "a")) is None and "a" not in queued(s)
    assert ("d", "a") not in open_().load_states()
    reviews = list(open_().reviews())
    assert [r.action for r in reviews] == [None, "forget"]  # the answer stays in the log
    assert s.undo() == card
    assert s.state(("d", "a")) == old and open_().load_states()[("d", "a")] == old


@pytest.mark.parametrize("action", ["tag", "suspend"])
def test_a_lapse_at_the_threshold_is_a_leech(tmp_path: Path, open_: Opener, action: str) -> None:
    store = open_()
    lapsed = card_state(REVIEW, NOW - timedelta(hours=1), reps=12, lapses=7)
    store.record(Review("r1", "d", "a", 3, NOW - timedelta(days=3), 900, 0, lapsed), None)
    options = DeckOptions(leech_threshold=8, leech_action=action)
    s = session(tmp_path, store, options)
    assert "a" in queued(s)  # due
    card = s.card(("d", "a"))
    after = s.answer(card, 1, NOW)
    assert after is not None and after.lapses == 8
    assert s.leech and s.leech_suspended == (action == "suspend")
    suspended = open_().flags().get(("d", "a"))
    assert (suspended is not None and suspended.suspended) == (action == "suspend")
    if action == "suspend":
        assert ("d", "a") not in s.queue.learning and "a" not in queued(s)
    # undoing the answer undoes the suspend with it
    assert s.undo() == card
    assert open_().flags() == {} and open_().load_states()[("d", "a")] == lapsed
    assert not s.leech


def test_a_lapse_short_of_the_threshold_is_not_a_leech(tmp_path: Path, open_: Opener) -> None:
    store = open_()
    lapsed = card_state(REVIEW, NOW - timedelta(hours=1), reps=12, lapses=6)
    store.record(Review("r1", "d", "a", 3, NOW - timedelta(days=3), 900, 0, lapsed), None)
    s = session(tmp_path, store, DeckOptions(leech_action="suspend"))
    after = s.answer(s.card(("d", "a")), 1, NOW)
    assert after is not None and after.lapses == 7
    assert not s.leech and open_().flags() == {}


def test_a_card_taken_out_of_its_deck_by_an_edit_is_skipped(tmp_path: Path, open_: Opener) -> None:
    s = session(tmp_path, open_())
    assert queued(s) == ["a", "b", "c"]
    (tmp_path / "decks" / "d.yaml").write_text(
        DECK.replace("  - {id: a, question: qa, answer: aa}\n", "")
    )
    s.reload_deck("d")
    card = s.next_card(NOW)
    assert card is not None and card.id == "b"
    assert "a" not in queued(s)


@pytest.mark.parametrize("action", [SUSPEND, BURY, "forget"])
def test_a_card_answered_in_another_session_meanwhile_can_still_be_set_aside(
    tmp_path: Path, open_: Opener, action: str
) -> None:
    s = session(tmp_path, open_())
    card = s.card(("d", "a"))
    other = session(tmp_path, open_())  # another terminal answers the card first
    other.answer(other.card(("d", "a")), 4, NOW)
    answered = other.state(("d", "a"))
    assert answered is not None
    if action == "forget":
        s.forget(card, NOW + timedelta(minutes=1))
        assert s.state(("d", "a")) is None
    else:
        s.set_aside(card, action, NOW + timedelta(minutes=1))
    flags = open_().flags().get(("d", "a"), NO_FLAGS)
    assert flags.suspended == (action == SUSPEND)
    assert flags.buried(NOW + timedelta(minutes=2)) == (action == BURY)
    # The mark went on the other terminal's answer: it kept that state, or forgot it.
    assert open_().load_states().get(("d", "a")) == (None if action == "forget" else answered)
    s.undo()  # the mark only: the other session's answer stays
    assert open_().load_states().get(("d", "a")) == answered
    assert ("d", "a") not in open_().flags()


def test_a_mark_from_the_command_line_goes_on_a_card_answered_meanwhile(
    tmp_path: Path, open_: Opener
) -> None:
    from flashcards.markcmd import apply_marks

    s = session(tmp_path, open_())
    store = open_()
    store.load_states()
    real_record = store.record
    answered: list[Any] = []

    def record_after_another_answer(review: Review, expected: Any) -> None:
        if not answered:  # another terminal answers the card between read and write
            other = session(tmp_path, open_())
            answered.append(other.answer(other.card(("d", "a")), 4, NOW))
        real_record(review, expected)

    store.record = record_after_another_answer  # type: ignore[method-assign]
    outcome = apply_marks(SUSPEND, ["d/a"], s.catalog, store, NOW + timedelta(minutes=1))
    assert outcome.marked == [("d", "a")]
    assert open_().flags()[("d", "a")].suspended
    assert open_().load_states()[("d", "a")] == answered[0]


def test_setting_aside_works_when_todays_counts_cannot_be_read(
    tmp_path: Path, open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flashcards.errors import StoreUnavailable

    store = open_()
    s = session(tmp_path, store)

    def unavailable(*args: object, **kwargs: object) -> object:
        raise StoreUnavailable("the store is out of reach")

    monkeypatch.setattr(store, "activity", unavailable)
    s.set_aside(s.card(("d", "a")), SUSPEND, NOW)
    assert "a" not in queued(s) and s.flags[("d", "a")].suspended
    assert s.undo() is not None and "a" in queued(s)


def test_a_card_suspended_from_another_terminal_does_not_come_up(tmp_path: Path) -> None:
    # The JSON store reads the marks other processes append to the log; a DynamoDB store
    # reads a card's marks with its item once a session.
    from flashcards.markcmd import apply_marks

    def opened() -> Store:
        return open_store("json", StoreContext(tmp_path / "home", "default"))

    s = session(tmp_path, opened())
    first = s.next_card(NOW)
    assert first is not None and first.id == "a"
    apply_marks(SUSPEND, ["d/a"], s.catalog, opened(), NOW)  # another terminal
    shown = s.next_card(NOW)
    assert shown is not None and shown.id == "b"
    assert s.flags[("d", "a")].suspended and "a" not in queued(s)
