"""A study session: queue, answers, undo. No terminal here; the time is passed in."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flashcards.catalog import Catalog
from flashcards.due import entry_of, is_due, shows_from
from flashcards.errors import ConflictError, StoreError
from flashcards.model import Card, CardState, Review
from flashcards.queue import (
    Counts,
    Limits,
    StudyQueue,
    answered_today,
    buried_today,
    day_start,
    done_today,
    next_day_start,
    sibling_notes,
)
from flashcards.scheduling import (
    DEFAULT_CONFIG,
    SchedulerConfig,
    before_of,
    button_seconds,
    preview,
    schedule,
)
from flashcards.stores import CardKey, Store

#: How many times an answer is recomputed when another process keeps changing the card.
CONFLICT_RETRIES = 5


@dataclass
class _Answered:
    review: Review
    previous: CardState | None
    queue: StudyQueue


@dataclass
class Summary:
    answered: int = 0
    again: int = 0


class StudySession:
    """Study the named decks (all when none are named) against a store."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        deck_ids: list[str],
        now: datetime,
        limits: Limits | None = None,
        schedulers: Callable[[str], SchedulerConfig] | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.decks = [info.id for info in catalog.select(deck_ids)]
        #: Each deck's scheduler (its FSRS parameters and desired retention).
        self.scheduler: Callable[[str], SchedulerConfig] = schedulers or (
            lambda _deck: DEFAULT_CONFIG
        )
        # The queue needs only each card's state and due time; whole states are read
        # per deck when one of its cards is shown.
        self.overview = store.due_overview(self.decks)
        self._states: dict[str, dict[CardKey, CardState]] = {}
        activity = store.activity(day_start(now), self.decks)
        today = {deck: done_today({deck: slots}, now) for deck, slots in activity.items()}
        keys = [(info.id, card) for info in catalog.select(self.decks) for card in info.card_ids]
        siblings, buried = self._siblings(now)
        self.queue = StudyQueue(
            keys, self.overview, now, today, limits or Limits(), siblings=siblings, buried=buried
        )
        self.summary = Summary()
        #: Whether the last answer had to be recomputed after another session's.
        self.recomputed = False
        self._history: list[_Answered] = []

    def _siblings(self, now: datetime) -> tuple[dict[CardKey, tuple[str, str]], set[CardKey]]:
        """The entry of each card with siblings in the decks that bury them, and the
        cards buried today because a sibling was answered today. Only those decks'
        states are read (for when each card was last answered)."""
        cards = [
            (info.id, card)
            for info in self.catalog.select(self.decks)
            if info.bury_siblings
            for card in info.card_ids
        ]
        siblings = sibling_notes(cards)
        answered: set[CardKey] = set()
        for deck in dict.fromkeys(key[0] for key in siblings):
            answered |= answered_today(self._deck_states(deck), now)
        return siblings, buried_today(siblings, self.overview, answered)

    def held_back(self) -> int:
        """How many cards wait for the next study day because of a sibling."""
        return len(self.queue.held)

    def next_card(self, now: datetime) -> Card | None:
        key = self.queue.next(now)
        return self.card(key) if key else None

    def card(self, key: CardKey) -> Card:
        deck = self.catalog.deck(key[0])
        for card in deck.cards:
            if card.id == key[1]:
                return card
        raise StoreError(f"card {key[0]}/{key[1]} vanished from its deck file during the session")

    def counts(self) -> Counts:
        return self.queue.counts()

    def preview(self, card: Card, now: datetime) -> dict[int, CardState]:
        state = self.state((card.deck, card.id))
        return preview(card.deck, card.id, state, now, config=self.scheduler(card.deck))

    def button_seconds(self, card: Card, now: datetime) -> dict[int, int]:
        """What each answer button says, in seconds (see ``scheduling.button_seconds``)."""
        state = self.state((card.deck, card.id))
        return button_seconds(card.deck, card.id, state, now, config=self.scheduler(card.deck))

    def state(self, key: CardKey) -> CardState | None:
        """The card's current state (``None`` while new)."""
        return self._deck_states(key[0]).get(key)

    def _deck_states(self, deck: str) -> dict[CardKey, CardState]:
        """The states of a deck's answered cards, read from the store once."""
        if deck not in self._states:
            self._states[deck] = self.store.load_states([deck])
        return self._states[deck]

    def _set_state(self, key: CardKey, state: CardState | None) -> None:
        self.state(key)  # the deck's states are loaded before one is changed
        if state is None:
            self._states[key[0]].pop(key, None)
            self.overview.pop(key, None)
        else:
            self._states[key[0]][key] = state
            self.overview[key] = entry_of(state)

    def answer(
        self, card: Card, rating: int, now: datetime, duration_ms: int | None = None
    ) -> CardState:
        """Keep an answer durably, then move the queue on. If another process answered
        the same card meanwhile, the answer is recomputed from that newer state."""
        key = (card.deck, card.id)
        expected = self.state(key)
        queue_before = self.queue.copy()
        self.recomputed = False
        for _ in range(CONFLICT_RETRIES):
            if expected is not None and expected.last_review and expected.last_review > now:
                # Another session answered this card a moment "later": ours follows it.
                now = expected.last_review
            after = schedule(
                card.deck, card.id, expected, rating, now, config=self.scheduler(card.deck)
            )
            review = Review(
                id=new_review_id(),
                deck=card.deck,
                card=card.id,
                rating=rating,
                reviewed_at=now,
                duration_ms=duration_ms,
                before=int(before_of(expected)),
                last_interval=expected.interval if expected is not None else None,
                state=after,
            )
            try:
                self.store.record(review, expected)
                break
            except ConflictError as conflict:
                expected = conflict.current if isinstance(conflict.current, CardState) else None
                self.recomputed = True
        else:
            raise StoreError(f"{card.deck}/{card.id} keeps changing in another session; try again")
        self._set_state(key, after)
        self.queue.answered(key, after)
        self._history.append(_Answered(review, expected, queue_before))
        self.summary.answered += 1
        self.summary.again += rating == 1
        return after

    def can_undo(self) -> bool:
        return bool(self._history)

    def undo(self) -> Card | None:
        """Take back the last answer of this session; returns its card, to show again."""
        if not self._history:
            return None
        last = self._history[-1]
        try:
            self.store.undo(last.review, last.previous)
        except ConflictError:
            raise StoreError(
                f"cannot undo {last.review.deck}/{last.review.card}: it was answered in another session"
            ) from None
        self._history.pop()
        key = last.review.key
        self._set_state(key, last.previous)
        self.queue = last.queue
        self.summary.answered -= 1
        self.summary.again -= last.review.rating == 1
        return self.card(key)

    def next_due(self, now: datetime) -> datetime | None:
        """When something will next be there to study in these decks."""
        candidates: list[datetime] = []
        learning = self.queue.next_due()
        if learning is not None:
            candidates.append(learning)
        later = [shows_from(e, now) for e in self.overview.values() if not is_due(e, now)]
        if later:
            candidates.append(min(later))
        tomorrow = next_day_start(now)
        if self.queue.held or any(
            (info.id, card) not in self.overview
            for info in self.catalog.select(self.decks)
            for card in info.card_ids
        ):
            candidates.append(tomorrow)
        return min(candidates, default=None)


def new_review_id() -> str:
    """A unique id made once on this client; ids sort in the order they were made,
    which keeps answers given at the same (simulated) moment in order."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


def describe_wait(moment: datetime, now: datetime) -> str:
    """``in 3h 20m (Tue 14:00)`` style."""
    wait = max(moment - now, timedelta(0))
    minutes = int(wait.total_seconds() // 60)
    if minutes < 1:
        span = "in under a minute"
    elif minutes < 60:
        span = f"in {minutes}m"
    elif minutes < 24 * 60:
        span = f"in {minutes // 60}h {minutes % 60}m"
    else:
        span = f"in {minutes // (24 * 60)}d"
    return f"{span} ({moment.astimezone(now.tzinfo):%a %Y-%m-%d %H:%M})"
