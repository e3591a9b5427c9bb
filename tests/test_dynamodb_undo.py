"""Undo on DynamoDB when requests fail: an undo kept in the outbox is sent even when
its answer had reached the table, and an undo is idempotent (a request that landed but
whose answer was lost, or a second try, is no conflict). Run on moto and on dynalite;
what the table holds is read back with plain requests."""

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
from flashcards.model import CardState, Review
from flashcards.scheduling import before_of, schedule
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


def in_table(store: DynamoStore) -> tuple[list[str], dict[str, Any]]:
    """Review ids in the deck's review items, and its card items' states, read directly."""
    items = store.client.query(
        TableName=store.table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "default#deck"}},
        ConsistentRead=True,
    )["Items"]
    reviews = [json.loads(i["r"]["S"])["id"] for i in items if i["sk"]["S"].startswith("rev#")]
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


def test_an_undo_whose_delete_landed_but_whose_answer_was_lost_succeeds(
    open_: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ConnectionClosedError

    store = open_()
    first, second = two_answers(store)
    delete_item = store.client.delete_item

    def lost(**kwargs: Any) -> Any:
        delete_item(**kwargs)  # the server deletes; every try's answer is lost
        raise ConnectionClosedError(endpoint_url=store.endpoint)

    monkeypatch.setattr(store.client, "delete_item", lost)
    store.undo(second, first.state)  # no "answered in another session"
    assert len(store.notices) == 1 and "unreachable" in store.notices[0]
    assert store.load_states() == {("deck", "card"): first.state}
    store.close()

    again = open_()
    assert "1 undo(s)" in again.notices[0]
    assert in_table(again)[0] == [first.id]
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
    assert open_().load_states() == {}
