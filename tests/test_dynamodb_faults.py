"""Study sessions on DynamoDB through a proxy that injects faults (``faultproxy.py``):
500s, throttling, dropped connections, answers lost after the request was carried out,
answers 5 seconds late. Every acknowledged answer must be in the table exactly once,
no undone one, every card item as the session left it; an outage is one line and the
session carries on, its answers kept in the outbox and sent by a later session.

``FLASHCARDS_FAULT_SEED`` replays another run (the figures are printed with ``-s``).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from servers import Dynalite, isolate_aws

from flashcards.catalog import open_catalog
from flashcards.clock import now
from flashcards.errors import StoreUnavailable
from flashcards.model import BURY, SUSPEND, CardState, Review
from flashcards.queue import Limits
from flashcards.scheduling import replay, schedule
from flashcards.session import StudySession
from flashcards.stores import CardKey, StoreContext, flags_of, open_store
from flashcards.stores.dynamodb import ATTEMPTS, DynamoStore

SEED = int(os.environ.get("FLASHCARDS_FAULT_SEED", "20261125"))
#: Each fault's chance per request: high enough that retries run out now and then
#: (an outage), low enough that most sessions get some answers through.
RATES = {"error_500": 0.08, "throttle": 0.03, "drop": 0.08, "lost": 0.08, "delay": 0.02}
SESSIONS = 10
ANSWERS_PER_SESSION = 9
UNDO_CHANCE = 0.2
#: Some cards are forgotten, suspended or buried instead of answered (marks take
#: slots and go to the outbox as answers do).
MARK_CHANCE = 0.2
CARDS = 40
LIMITS = Limits(new_per_day=CARDS)
#: Short timeouts (store URL options) so that a 5-second delay costs a second.
TIMEOUTS = "connect_timeout=0.5&read_timeout=1"
#: Sessions in which, after a few answers, every try of one request fails (a first try
#: and 3 retries): an outage mid-session whatever the seed draws.
OUTAGES = {2: "error_500", 6: "drop"}


@dataclass
class Ledger:
    """What the store acknowledged, over every session."""

    kept: dict[str, Review] = field(default_factory=dict)  # answers not taken back
    undone: set[str] = field(default_factory=set)
    states: dict[CardKey, CardState | None] = field(default_factory=dict)


@dataclass
class Witness:
    """Stands between a session and its store and notes in the ledger what the store
    acknowledged (a call that returned)."""

    store: DynamoStore
    ledger: Ledger

    def record(self, review: Review, expected: CardState | None) -> None:
        self.store.record(review, expected)
        self.ledger.kept[review.id] = review
        self.ledger.states[review.key] = review.state

    def undo(self, review: Review, restore: CardState | None) -> None:
        self.store.undo(review, restore)
        del self.ledger.kept[review.id]
        self.ledger.undone.add(review.id)
        self.ledger.states[review.key] = restore

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture
def deck_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    cards = "".join(f"  - {{id: c{n:02d}, question: q{n}, answer: a{n}}}\n" for n in range(CARDS))
    (folder / "faults.yaml").write_text(f"name: Faults\ncards:\n{cards}")
    return folder


@pytest.fixture
def server(
    dynalite_server: Dynalite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Dynalite]:
    isolate_aws(monkeypatch, tmp_path, credentials=False)
    dynalite_server.start()
    yield dynalite_server


def table_contents(
    server: Dynalite, home: Path, table: str
) -> tuple[list[str], dict[str, dict[str, Any] | None]]:
    """Review ids of every review item and the state of every card item, read directly."""
    store = open_store(server.url(table), StoreContext(home, "reader"))
    assert isinstance(store, DynamoStore)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "default#faults"}},
        "ConsistentRead": True,
    }
    while True:
        page = store.client.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    store.close()
    slots = [i for i in items if i["sk"]["S"].startswith("rev#")]
    for item in slots:  # a review, or the tombstone of an undone one (out of the index)
        assert set(item) in ({"pk", "sk", "r", "t"}, {"pk", "sk", "x"}), item
    reviews = [json.loads(i["r"]["S"])["id"] for i in slots if "r" in i]
    cards = {
        i["card"]["S"]: json.loads(i["s"]["S"]) if "s" in i else None
        for i in items
        if i["sk"]["S"].startswith("card#")
    }
    return reviews, cards


def study(
    witness: Witness,
    session: StudySession,
    at: datetime,
    rng: random.Random,
    outage: Callable[[], None] | None,
) -> tuple[datetime, list[str]]:
    """Answer up to ANSWERS_PER_SESSION cards, taking some back, as the study screen
    does; returns the clock and the notices shown."""
    notices: list[str] = []
    for n in range(ANSWERS_PER_SESSION):
        if n == 3 and outage:
            outage()
        card = session.next_card(at)
        if card is None:
            break
        roll = rng.random()
        if roll < MARK_CHANCE / 2:
            session.forget(card, at)
        elif roll < MARK_CHANCE:
            session.set_aside(card, rng.choice([SUSPEND, BURY]), at)
        else:
            session.answer(card, rng.choice([1, 2, 3, 3, 3, 4]), at)
        at += timedelta(seconds=rng.randint(5, 90))
        if rng.random() < UNDO_CHANCE:
            session.undo()
        notices += witness.store.notices
        witness.store.notices.clear()
    return at, notices


def test_faults_lose_no_answer_double_none_and_say_each_outage_once(
    server: Dynalite, deck_folder: Path, isolated_home: Path
) -> None:
    table = f"faults-{uuid.uuid4().hex[:12]}"
    context = StoreContext(isolated_home, "default")
    open_store(server.url(table), context).close()  # the table exists before the faults
    catalog = open_catalog([deck_folder], None)
    rng = random.Random(SEED)
    ledger = Ledger()
    lines: list[str] = []  # what a learner reads, one item a line
    went_offline: list[int] = []  # per session, how many notices said so
    at = now()

    with FaultProxy(server.port, SEED, RATES, delay_s=5.0) as proxy:
        url = f"dynamodb://{table}?endpoint_url={proxy.endpoint}&region=us-east-1&{TIMEOUTS}"
        for number in range(SESSIONS):
            try:
                store = open_store(url, context)
            except StoreUnavailable as refused:
                lines.append(f"error: {refused}")  # the command stops, in one line
                continue
            assert isinstance(store, DynamoStore)
            witness = Witness(store, ledger)
            try:
                session = StudySession(witness, catalog, ["faults"], at, LIMITS)
            except StoreUnavailable as refused:
                lines.append(f"error: {refused}")
                store.close()
                continue
            kind = OUTAGES.get(number)
            outage = (lambda kind=kind: proxy.script.extend([kind] * 4)) if kind else None
            at, notices = study(witness, session, at, rng, outage)
            store.maintain()
            store.close()
            lines += notices + store.notices
            went_offline.append(sum("answers are kept in" in n for n in notices + store.notices))
        # The last outbox goes out with a session that meets no fault.
        proxy.faulty = False
        last = open_store(url, context)
        lines += last.notices
        last.close()
    figures = dict(proxy.counts)
    assert list((isolated_home / "outbox").glob("*.jsonl")) == []

    present, cards = table_contents(server, isolated_home, table)
    kept, undone = ledger.kept, ledger.undone
    lost = set(kept) - set(present)
    doubled = len(present) - len(set(present)) + len(undone & set(present))
    outages = [line for line in lines if "answers are kept in" in line or line.startswith("error")]
    sent = [line for line in lines if ": sent " in line]
    print(
        f"\nfault proxy, seed {SEED}: {figures.get('requests', 0)} requests, faults "
        f"{ {k: figures.get(k, 0) for k in RATES} } (+{4 * len(OUTAGES)} scripted); "
        f"{len(kept) + len(undone)} answers made, {len(undone)} undone, {len(lost)} lost, "
        f"{doubled} doubled; {len(outages)} outage lines; {len(sent)} outboxes sent"
    )
    for line in lines:
        print("   ", line)

    assert not lost, sorted(lost)
    assert not doubled, (Counter(present).most_common(3), sorted(undone & set(present)))
    assert set(present) == set(kept)
    # Each card item holds the state the session left the card in (a card taken back to
    # new may have no item at all), and that state is the replay of the card's reviews.
    assert set(cards) <= {key[1] for key in ledger.states}
    for key, state in ledger.states.items():
        assert cards.get(key[1]) == (state.to_dict() if state else None), key
    replayed = replay([kept[r] for r in present]).states
    reader = open_store(server.url(table), context)
    assert reader.flags() == flags_of(kept[r] for r in present)
    assert any(kept[r].is_mark for r in present)
    reader.close()
    assert {key[1]: s.to_dict() for key, s in replayed.items()} == {
        card: s for card, s in cards.items() if s is not None
    }
    # One line per outage, naming the endpoint; a session cut off carried on to its end
    # and a later one sent what it kept.
    assert all(count <= 1 for count in went_offline), went_offline
    assert sum(went_offline) >= len(OUTAGES) and sent
    for line in lines:
        assert "\n" not in line and "Traceback" not in line
        assert proxy.endpoint in line, line
    assert len(kept) + len(undone) > SESSIONS * ANSWERS_PER_SESSION // 2


def test_a_put_carried_out_after_the_client_gave_up_cannot_bring_back_an_undone_answer(
    server: Dynalite, isolated_home: Path
) -> None:
    table = f"stall-{uuid.uuid4().hex[:12]}"
    context = StoreContext(isolated_home, "default")
    open_store(server.url(table), context).close()
    with FaultProxy(server.port, SEED, {}, delay_s=1.5) as proxy:
        url = f"dynamodb://{table}?endpoint_url={proxy.endpoint}&region=us-east-1&{TIMEOUTS}"
        store = open_store(url, context)
        assert isinstance(store, DynamoStore)
        store.load_states()
        at = now()
        warm_up, review = (
            Review(
                uuid.uuid4().hex, "faults", card, 3, at, 1, 0, schedule("faults", card, None, 3, at)
            )
            for card in ("c00", "c01")
        )
        store.record(warm_up, None)  # the deck item is in: the review's put comes first
        proxy.script = ["stall"]  # the first try of the review's put: carried out late
        store.record(review, None)
        store.undo(review, None)
        assert store.notices == []
        store.close()
    # Closing the proxy passed the stalled put on, and waited for it.
    assert proxy.counts["stall"] == 1
    present, cards = table_contents(server, isolated_home, table)
    assert review.id not in present and warm_up.id in present
    assert cards.get("c01") is None
    again = open_store(server.url(table), context)
    assert set(again.load_states()) == {("faults", "c00")}
    assert [r.id for r in again.reviews()] == [warm_up.id]
    again.close()


def test_a_request_is_tried_four_times_before_dynamodb_counts_as_unreachable(
    server: Dynalite, isolated_home: Path
) -> None:
    """A first try and 3 retries (botocore's ``total_max_attempts``, as documented)."""
    table = f"tries-{uuid.uuid4().hex[:12]}"
    context = StoreContext(isolated_home, "default")
    with FaultProxy(server.port, SEED, {}) as proxy:
        url = f"dynamodb://{table}?endpoint_url={proxy.endpoint}&region=us-east-1&{TIMEOUTS}"
        store = open_store(url, context)
        assert isinstance(store, DynamoStore)
        proxy.script = ["error_500"] * 10
        before = proxy.counts["requests"]
        with pytest.raises(StoreUnavailable, match="server error"):
            store.load_states()
        assert proxy.counts["requests"] - before == ATTEMPTS == 4
        assert len(proxy.script) == 10 - ATTEMPTS
        store.close()
