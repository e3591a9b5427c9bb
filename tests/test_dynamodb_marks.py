"""Marks on DynamoDB when requests fail: a mark made offline waits in the outbox (and
counts meanwhile), an undo of a mark is sent too, a crash between a mark's two writes
or before an undo's tombstone is repaired by the next load, and the card item's marks
are always those of its standing log. Run on moto and on dynalite."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from test_dynamodb_undo import Opener, in_table, open_, tombstones, two_answers, unreachable

from flashcards.clock import now
from flashcards.days import study_date
from flashcards.model import BURY, FORGET, SUSPEND, CardState, Flags, Review
from flashcards.scheduling import before_of
from flashcards.stores import flags_of
from flashcards.stores.dynamodb import DynamoStore

__all__ = ["open_"]  # the fixture, shared with the undo tests

KEY = ("deck", "card")


class Crash(BaseException):
    """Stands for the process dying between two writes."""


def crash(*args: object) -> None:
    raise Crash


def mark(state: CardState | None, action: str, minutes: int = 0) -> Review:
    return Review(
        id=uuid.uuid4().hex,
        deck="deck",
        card="card",
        rating=0,
        reviewed_at=now() + timedelta(minutes=minutes),
        duration_ms=None,
        before=int(before_of(state)),
        state=None if action == FORGET else state,
        action=action,
    )


def card_marks(store: DynamoStore) -> list[str]:
    """The actions the card item keeps in ``m``, read directly."""
    item = store.client.get_item(
        TableName=store.table,
        Key={"pk": {"S": "default#deck"}, "sk": {"S": "card#card"}},
        ConsistentRead=True,
    )["Item"]
    return [action for _, action, _ in json.loads(item["m"]["S"])] if "m" in item else []


def test_a_mark_made_offline_counts_at_once_and_is_sent_next_time(open_: Opener) -> None:
    store = open_()
    _, second = two_answers(store)
    suspend = mark(second.state, SUSPEND, minutes=20)
    with unreachable(store):
        store.record(suspend, second.state)
        assert store.flags() == {KEY: Flags(suspended=True)}
        assert store.load_states() == {KEY: second.state}
    assert card_marks(store) == []  # only in the outbox so far
    store.close()

    reopened = open_()
    assert reopened.notices == [
        f"{reopened.location}: sent 0 answer(s) and 1 mark(s) kept from an earlier session"
    ]
    assert card_marks(reopened) == [SUSPEND]
    assert reopened.flags() == {KEY: Flags(suspended=True)}
    assert open_().flags() == flags_of(open_().reviews()) == {KEY: Flags(True)}


def test_an_undo_of_a_mark_made_offline_is_sent_and_leaves_a_tombstone(open_: Opener) -> None:
    store = open_()
    _, second = two_answers(store)
    bury = mark(second.state, BURY, minutes=20)
    store.record(bury, second.state)
    assert card_marks(store) == [BURY]
    with unreachable(store):
        store.undo(bury, second.state)
        assert store.flags() == {}
    store.close()
    reopened = open_()
    assert reopened.flags() == {}
    assert card_marks(reopened) == []
    assert tombstones(reopened) == [bury.id]
    assert bury.id not in {r.id for r in reopened.reviews()}


def test_a_forget_made_offline_makes_the_card_new_there_and_in_the_table(open_: Opener) -> None:
    store = open_()
    first, second = two_answers(store)
    forget = mark(second.state, FORGET, minutes=20)
    with unreachable(store):
        store.record(forget, second.state)
        assert store.load_states() == {}
    store.close()
    reopened = open_()
    assert reopened.load_states() == {}
    ids, cards = in_table(reopened)
    assert ids == [first.id, second.id, forget.id] and cards == {"card": None}


def test_a_crash_between_a_mark_s_two_writes_is_repaired_on_load(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_()
    _, second = two_answers(store)
    suspend = mark(second.state, SUSPEND, minutes=20)
    monkeypatch.setattr(store, "_write_card", crash)
    with pytest.raises(Crash):
        store.record(suspend, second.state)  # the mark is in its slot, the card item not
    reopened = open_()  # its load finds the slot above the card item's and repairs it
    assert reopened.flags() == {KEY: Flags(suspended=True)}
    assert card_marks(reopened) == [SUSPEND]
    assert reopened.load_states() == {KEY: second.state}


def test_an_undo_of_a_mark_cut_short_before_its_tombstone_is_finished(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_()
    _, second = two_answers(store)
    bury = mark(second.state, BURY, minutes=20)
    store.record(bury, second.state)
    assert store.flags() == {KEY: Flags(buried_on=study_date(bury.reviewed_at))}
    monkeypatch.setattr(store, "_bury", crash)
    with pytest.raises(Crash):
        store.undo(bury, second.state)  # the card item no longer has it; its slot does
    reopened = open_()
    assert reopened.flags() == {}
    assert tombstones(reopened) == [bury.id]
    # Undoing it again (a retry) is no conflict and changes nothing.
    reopened.undo(bury, second.state)
    assert open_().flags() == {} and card_marks(open_()) == []
