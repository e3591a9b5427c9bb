"""Marks on DynamoDB when requests fail: a mark made offline waits in the outbox (and
counts meanwhile), an undo of a mark is sent too, a crash between a mark's two writes
or before an undo's tombstone is repaired by the next load, and the card item's marks
are always those of its standing log. Run on moto and on dynalite."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from test_dynamodb_undo import (
    Opener,
    answer,
    in_table,
    open_,
    tombstones,
    two_answers,
    unreachable,
)

from flashcards.clock import now
from flashcards.days import study_date
from flashcards.errors import ConflictError
from flashcards.model import BURY, CRAM, FORGET, SUSPEND, UNSUSPEND, CardState, Flags, Review
from flashcards.scheduling import before_of, replay
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


def test_an_offline_run_of_marks_answers_and_undos_is_sent_in_order(open_: Opener) -> None:
    # Offline: suspend, a cram answer, forget, an answer from new, bury and its undo,
    # unsuspend. What the outbox makes count meanwhile is what the table says once sent.
    store = open_()
    _, second = two_answers(store)
    store.day_stats()  # read before the outage: what the stats answer from offline
    with unreachable(store):
        suspend = mark(second.state, SUSPEND, minutes=20)
        store.record(suspend, second.state)
        cram = replace(answer("card", second.state, 1, minutes=25), action=CRAM)
        cram = replace(cram, state=second.state, last_interval=second.state.interval)
        store.record(cram, second.state)
        forget = mark(second.state, FORGET, minutes=30)
        store.record(forget, second.state)
        fresh = answer("card", None, 3, minutes=40)
        store.record(fresh, None)
        bury = mark(fresh.state, BURY, minutes=50)
        store.record(bury, fresh.state)
        store.undo(bury, fresh.state)
        unsuspend = mark(fresh.state, UNSUSPEND, minutes=60)
        store.record(unsuspend, fresh.state)
        offline = (store.load_states(), store.flags(), store.day_stats())
    assert offline[0] == {KEY: fresh.state}
    assert offline[1] == {}  # the forget cleared the suspend; the bury was undone
    assert sum(day.cram for day in offline[2]["deck"].values()) == 1
    store.close()

    reopened = open_()
    assert reopened.notices[-1].endswith(
        "sent 2 answer(s) and 3 mark(s) kept from an earlier session"
    )
    assert (reopened.load_states(), reopened.flags(), reopened.day_stats()) == offline
    assert card_marks(reopened) == [SUSPEND, FORGET, UNSUSPEND]
    reviews = list(open_().reviews())
    assert [r.id for r in reviews][-5:] == [suspend.id, cram.id, forget.id, fresh.id, unsuspend.id]
    assert open_().flags() == flags_of(reviews) == {}
    assert replay(reviews).states == offline[0]
    # and it stays so: the next change to the card (suspend again) goes on that state
    again = mark(fresh.state, SUSPEND, minutes=70)
    reopened.record(again, fresh.state)
    assert open_().flags() == {KEY: Flags(suspended=True)}


@pytest.mark.parametrize("first", ["forget", "undo"])
def test_a_forget_and_an_undo_from_two_stores_at_once_agree_with_the_log(
    open_: Opener, first: str
) -> None:
    # One store answered the card and takes the answer back while another, which saw
    # that answer, forgets the card: whichever comes second, the table stays the replay
    # of its standing log, the forget is never lost, and the undo holds or is refused.
    one, other = open_(), open_()
    first_answer, second = two_answers(one)
    assert other.load_states() == {KEY: second.state}
    forget = mark(second.state, FORGET, minutes=20)
    refused = False
    if first == "forget":
        other.record(forget, second.state)
        try:
            one.undo(second, first_answer.state)
        except ConflictError as conflict:
            refused = True
            assert conflict.current is None  # the card as the forget left it
        assert refused
    else:
        one.undo(second, first_answer.state)
        # The forget meets the undo at the card item, after taking the next slot: it
        # stands on the state the undo restored (a card is new after it either way).
        other.record(forget, second.state)
    reader = open_()
    reviews = list(reader.reviews())
    assert reader.load_states() == replay(reviews).states
    assert reader.flags() == flags_of(reviews) == {}
    ids = [r.id for r in reviews]
    assert forget.id in ids
    assert (second.id in ids) == (first == "forget")
    if first == "undo":
        assert reader.load_states() == {}
