"""Undo on DynamoDB when requests fail or other stores write: an undo kept in the outbox
is sent even when its answer had reached the table (or reaches it only later), an undo is
idempotent (a request that landed but whose answer was lost, or a second try, is no
conflict), and the undone review's slot stays taken by a tombstone. Another store acting
between an undo's two writes, or a crash there, never brings the answer back. Run on moto
and on dynalite; what the table holds is read back with plain requests."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from servers import isolate_aws

from flashcards.clock import now
from flashcards.errors import ConflictError
from flashcards.model import CardState, Review
from flashcards.scheduling import before_of, replay, schedule
from flashcards.stores import StoreContext, open_store
from flashcards.stores.dynamodb import DynamoStore

Opener = Callable[[], DynamoStore]


@pytest.fixture(params=["moto", "dynalite"])
def open_(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Opener]:
    """Opens the same store (one table, one home) each time it is called."""
    home = tmp_path / "home"
    table = f"undo-{uuid.uuid4().hex[:12]}"
    mock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if request.param == "moto":
        from moto import mock_aws

        isolate_aws(monkeypatch, tmp_path, credentials=True)
        mock, url = mock_aws(), f"dynamodb://{table}"
    else:
        isolate_aws(monkeypatch, tmp_path, credentials=False)
        url = request.getfixturevalue("dynalite_server").url(table)
    opened: list[DynamoStore] = []

    def opener() -> DynamoStore:
        store = open_store(url, StoreContext(home, "default"))
        assert isinstance(store, DynamoStore)
        opened.append(store)
        return store

    with mock:
        yield opener
        for store in opened:
            store.close()


def answer(card: str, state: CardState | None, rating: int, minutes: int = 0) -> Review:
    at = now() + timedelta(minutes=minutes)
    return Review(
        id=uuid.uuid4().hex,
        deck="deck",
        card=card,
        rating=rating,
        reviewed_at=at,
        duration_ms=800,
        before=int(before_of(state)),
        state=schedule("deck", card, state, rating, at),
    )


def two_answers(store: DynamoStore, card: str = "card") -> tuple[Review, Review]:
    store.load_states()
    first = answer(card, None, 3)
    store.record(first, None)
    second = answer(card, first.state, 3, minutes=10)
    store.record(second, first.state)
    return first, second


def deck_items(store: DynamoStore) -> list[dict[str, Any]]:
    return store.client.query(  # type: ignore[no-any-return]
        TableName=store.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "default#deck"}},
        ConsistentRead=True,
    )["Items"]


def tombstones(store: DynamoStore) -> list[str]:
    """The ids of the undone reviews whose slots are tombstones, read directly."""
    return [
        i["x"]["S"].partition("#")[2]
        for i in deck_items(store)
        if i["sk"]["S"].startswith("rev#") and "r" not in i
    ]


def in_table(store: DynamoStore) -> tuple[list[str], dict[str, Any]]:
    """Review ids in the deck's review items, and its card items' states, read directly.
    A slot holds a review (``r`` and ``t``) or the tombstone of an undone one (``x``
    alone, so the time index does not hold it)."""
    items = deck_items(store)
    slots = [i for i in items if i["sk"]["S"].startswith("rev#")]
    for item in slots:
        assert set(item) in ({"pk", "sk", "r", "t"}, {"pk", "sk", "x"}), item
    reviews = [json.loads(i["r"]["S"])["id"] for i in slots if "r" in i]
    cards = {
        i["card"]["S"]: json.loads(i["s"]["S"]) if "s" in i else None
        for i in items
        if i["sk"]["S"].startswith("card#")
    }
    return reviews, cards


@contextlib.contextmanager
def unreachable(store: DynamoStore) -> Iterator[None]:
    """Every request fails as if the endpoint were gone (before reaching the table)."""
    from botocore.exceptions import EndpointConnectionError

    def refuse(**_: object) -> None:
        raise EndpointConnectionError(endpoint_url=store.endpoint)

    store.client.meta.events.register_first("before-send.dynamodb", refuse)
    try:
        yield
    finally:
        store.client.meta.events.unregister("before-send.dynamodb", refuse)


def test_an_undo_made_offline_of_an_answer_in_the_table_is_sent(open_: Opener) -> None:
    store = open_()
    first, second = two_answers(store)
    assert in_table(store)[0] == [first.id, second.id]
    assert [r.id for r in store.reviews()] == [first.id, second.id]  # read as a session does
    with unreachable(store):
        store.undo(second, first.state)
        assert len(store.notices) == 1 and "unreachable" in store.notices[0]
        assert store.load_states() == {("deck", "card"): first.state}
        assert [r.id for r in store.reviews()] == [first.id]
    assert [e["op"] for e in store.outbox.entries()] == ["undo"]
    store.close()

    again = open_()
    assert again.notices == [
        f"{again.location}: sent 0 answer(s) and 1 undo(s) kept from an earlier session"
    ]
    assert not again.outbox.path.exists()
    assert first.state is not None
    assert in_table(again) == ([first.id], {"card": first.state.to_dict()})
    assert again.load_states() == {("deck", "card"): first.state}
    assert [r.id for r in again.reviews()] == [first.id]


def test_an_undo_whose_tombstone_landed_but_whose_answer_was_lost_succeeds(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ConnectionClosedError

    store = open_()
    first, second = two_answers(store)
    put_item = store.client.put_item

    def lost(**kwargs: Any) -> Any:
        result = put_item(**kwargs)
        if "x" in kwargs["Item"]:  # the server writes the tombstone; the answer is lost
            raise ConnectionClosedError(endpoint_url=store.endpoint)
        return result

    monkeypatch.setattr(store.client, "put_item", lost)
    store.undo(second, first.state)  # no "answered in another session"
    assert len(store.notices) == 1 and "unreachable" in store.notices[0]
    assert store.load_states() == {("deck", "card"): first.state}
    store.close()

    again = open_()
    assert "1 undo(s)" in again.notices[0]
    assert in_table(again)[0] == [first.id]
    assert tombstones(again) == [second.id]
    assert again.load_states() == {("deck", "card"): first.state}


def test_an_undo_whose_card_write_landed_before_a_retry_succeeds(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_()
    first, second = two_answers(store)
    put_item = store.client.put_item

    def retried(**kwargs: Any) -> Any:
        put_item(**kwargs)  # lands; its answer is lost, so the client sends it again
        return put_item(**kwargs)

    monkeypatch.setattr(store.client, "put_item", retried)
    store.undo(second, first.state)
    monkeypatch.undo()
    assert store.notices == []
    assert first.state is not None
    assert in_table(store) == ([first.id], {"card": first.state.to_dict()})


def test_undoing_twice_is_no_conflict_and_changes_nothing(open_: Opener) -> None:
    store = open_()
    first, second = two_answers(store)
    store.undo(second, first.state)
    store.undo(second, first.state)  # a retry after an error that came too late
    open_().undo(second, first.state)  # the same from a store that read nothing yet
    assert first.state is not None
    assert in_table(store) == ([first.id], {"card": first.state.to_dict()})
    # Taken back to new: the card item keeps no state, and again nothing is left.
    store.undo(first, None)
    store.undo(first, None)
    assert in_table(store) == ([], {"card": None})
    assert sorted(tombstones(store)) == sorted([first.id, second.id])
    assert open_().load_states() == {}


def standing_matches_the_card_items(store: DynamoStore) -> None:
    """Every card item holds the replay of the reviews that stand, read directly."""
    reviews, cards = in_table(store)
    by_id = {r.id: r for r in store.reviews()}
    assert sorted(by_id) == sorted(reviews)
    replayed = replay(by_id.values()).states
    assert {card: state for card, state in cards.items() if state is not None} == {
        key[1]: state.to_dict() for key, state in replayed.items()
    }


@pytest.mark.parametrize("rival", ["answers from before the undo", "answers after it", "loads"])
def test_another_store_between_the_two_writes_of_an_undo_keeps_it_undone(
    open_: Opener, monkeypatch: pytest.MonkeyPatch, rival: str
) -> None:
    """Another store acts on the card after the undo wrote the card item and before
    the review's slot became a tombstone: whatever it rebuilds leaves the review out.
    (Before tombstones and ``u``, its rebuild put the review back into the card item and
    the undo then deleted it: a card one answer ahead of its log.)"""
    undoer, other = open_(), open_()
    first, second = two_answers(undoer)
    other.load_states()  # the other store has read the card with the answer in it
    assert first.state is not None and second.state is not None
    base = first if rival == "answers after it" else second
    third = answer("card", base.state, 1, minutes=20)
    standing: list[Review] = []  # what the other store's action leaves, once it ran
    put_item = undoer.client.put_item

    def then_the_other_store(**kwargs: Any) -> Any:
        result = put_item(**kwargs)
        if kwargs["Item"]["sk"]["S"].startswith("card#") and not standing:
            if rival == "loads":
                assert other.load_states() == {("deck", "card"): first.state}
                standing.append(first)
                return result
            try:
                other.record(third, base.state)
            except ConflictError:
                standing.append(first)  # refused: nothing of the other store's stands
            else:
                standing.extend([first, third])
        return result

    monkeypatch.setattr(undoer.client, "put_item", then_the_other_store)
    undoer.undo(second, first.state)
    assert standing and undoer.notices == other.notices == []

    reader = open_()
    assert sorted(in_table(reader)[0]) == sorted(r.id for r in standing)
    assert tombstones(reader) == [second.id]
    standing_matches_the_card_items(reader)
    assert reader.load_states() == replay(standing).states


class Crash(BaseException):
    """Stands for the process dying between two writes."""


def test_an_undo_cut_short_before_its_tombstone_is_finished_by_the_next_load(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_()
    first, second = two_answers(store)

    def crash(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(store, "_bury", crash)
    with pytest.raises(Crash):
        store.undo(second, first.state)  # the card item is restored; the review stands
    assert first.state is not None
    assert in_table(open_()) == ([first.id, second.id], {"card": first.state.to_dict()})

    reopened = open_()
    assert reopened.load_states() == {("deck", "card"): first.state}
    assert in_table(reopened) == ([first.id], {"card": first.state.to_dict()})
    assert tombstones(reopened) == [second.id]
    third = answer("card", first.state, 4, minutes=30)
    reopened.record(third, first.state)
    standing_matches_the_card_items(open_())
    assert [r.id for r in open_().reviews()] == [first.id, third.id]


def test_an_offline_undo_sent_before_the_answer_s_late_put_keeps_it_out(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The put of an answer is carried out after the client gave up on every try (the
    store went offline), and after the undo of that answer was sent from the outbox:
    the slot it was sent to is a tombstone by then, so the put fails."""
    from botocore.exceptions import ClientError, ReadTimeoutError

    store = open_()
    first, second = two_answers(store)
    third = answer("card", second.state, 2, minutes=20)
    put_item = store.client.put_item
    in_the_network: list[dict[str, Any]] = []

    def given_up(**kwargs: Any) -> Any:
        if "r" in kwargs["Item"]:
            in_the_network.append(kwargs)
            raise ReadTimeoutError(endpoint_url=store.endpoint)
        return put_item(**kwargs)

    monkeypatch.setattr(store.client, "put_item", given_up)
    store.record(third, second.state)
    assert len(store.notices) == 1 and in_the_network
    store.undo(third, second.state)
    assert [e["op"] for e in store.outbox.entries()] == ["record", "undo"]
    assert all(e["slots"] == [3] for e in store.outbox.entries())
    store.close()

    again = open_()
    assert again.notices == [f"{again.location}: sent 0 answer(s) kept from an earlier session"]
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        put_item(**in_the_network[0])  # at last the put arrives
    assert second.state is not None
    assert in_table(again) == ([first.id, second.id], {"card": second.state.to_dict()})
    assert tombstones(again) == [third.id]
    assert open_().load_states() == {("deck", "card"): second.state}
    fourth = answer("card", second.state, 3, minutes=30)
    again.record(fourth, second.state)  # the next answer takes the slot after it
    assert [r.id for r in open_().reviews()] == [first.id, second.id, fourth.id]
    standing_matches_the_card_items(open_())


def test_importing_an_undone_answer_does_not_bring_it_back(open_: Opener) -> None:
    store = open_()
    first, second = two_answers(store)
    exported = list(store.reviews())
    store.undo(second, first.state)
    assert open_().import_reviews(exported) == 0  # as the JSON store: undone stays undone
    assert open_().load_states() == {("deck", "card"): first.state}
    assert [r.id for r in open_().reviews()] == [first.id]


def test_a_table_whose_undos_deleted_their_reviews_keeps_working(open_: Opener) -> None:
    """Tables written before tombstones: an undo deleted the review item and wrote the
    card item with ``n`` one lower, so the slot is empty and the next answer takes it;
    an undo of an answer below the top slot left a hole."""
    store = open_()
    first, second = two_answers(store)
    third = answer("card", second.state, 3, minutes=20)
    store.record(third, second.state)
    store.close()
    legacy = open_()
    client, table = legacy.client, legacy.table
    card_key = {"pk": {"S": "default#deck"}, "sk": {"S": "card#card"}}
    # As an older version left it: the second answer deleted (a hole under slot 3), then
    # the third undone (slot 3 deleted, n back to 2).
    for slot in (2, 3):
        client.delete_item(
            TableName=table,
            Key={"pk": {"S": "default#deck"}, "sk": {"S": f"rev#card#{slot:08d}"}},
        )
    assert first.state is not None
    old_state = json.dumps(first.state.to_dict(), separators=(",", ":"))
    client.put_item(
        TableName=table,
        Item={
            **card_key,
            "card": {"S": "card"},
            "v": {"N": "9"},
            "n": {"N": "2"},
            "s": {"S": old_state},
        },
    )

    again = open_()
    assert again.load_states() == {("deck", "card"): first.state}
    fourth = answer("card", first.state, 4, minutes=30)
    again.record(fourth, first.state)  # into the empty slot 3
    fifth = answer("card", fourth.state, 3, minutes=40)
    again.record(fifth, fourth.state)
    again.undo(fifth, fourth.state)
    assert in_table(open_())[0] == [first.id, fourth.id]
    assert tombstones(open_()) == [fifth.id]
    sixth = answer("card", fourth.state, 2, minutes=50)
    open_().record(sixth, fourth.state)
    assert [r.id for r in open_().reviews()] == [first.id, fourth.id, sixth.id]
    standing_matches_the_card_items(open_())
    assert open_().import_reviews([first, second, fourth]) == 1  # the hole is no tombstone


@pytest.mark.parametrize("other_store", ["answers", "loads, then answers"])
def test_an_undo_that_landed_is_no_conflict_when_the_card_was_answered_before_the_retry(
    open_: Opener, monkeypatch: pytest.MonkeyPatch, other_store: str
) -> None:
    """The undo's card write lands, its answer is lost, another store answers the card,
    and the client's retry of the write finds the version moved on: the undo stands
    (the other store's answer came after it), so it is no conflict."""
    undoer, other = open_(), open_()
    first, second = two_answers(undoer)
    third = answer("card", first.state, 2, minutes=20)
    put_item = undoer.client.put_item
    calls: list[str] = []

    def landed_then_retried(**kwargs: Any) -> Any:
        put_item(**kwargs)  # carried out; the answer is lost, so botocore sends it again
        if kwargs["Item"]["sk"]["S"].startswith("card#") and not calls:
            calls.append("other")
            if other_store == "loads, then answers":
                assert other.load_states() == {("deck", "card"): first.state}
            other.record(third, first.state)
        return put_item(**kwargs)

    monkeypatch.setattr(undoer.client, "put_item", landed_then_retried)
    undoer.undo(second, first.state)  # no ConflictError
    assert calls and undoer.notices == other.notices == []
    reader = open_()
    assert in_table(reader)[0] == [first.id, third.id]
    assert tombstones(reader) == [second.id]
    standing_matches_the_card_items(reader)
    assert reader.load_states() == {("deck", "card"): third.state}
