"""Cramming: going through chosen cards whatever their due dates, as Anki's filtered deck
with rescheduling off. Each answer is kept as a cram review (``model.CRAM``): in the log
and shown by ``stats``, but it never changes a card's schedule. No terminal here; the
time is passed in."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flashcards.catalog import Catalog
from flashcards.due import DueEntry
from flashcards.model import CRAM, LEARNING, RELEARNING, STATE_NAMES, Card, CardState, Review
from flashcards.options import DeckOptions
from flashcards.queue import Counts, Limits
from flashcards.scheduling import SchedulerConfig, before_of
from flashcards.session import StudySession, _Step, new_review_id, record_retrying
from flashcards.stores import CardKey, Store
from flashcards.tags import ALL_TAGS, TagFilter


@dataclass(frozen=True)
class CramPlan:
    """Which cards to cram and in what order. ``states`` holds state names (``new``,
    ``review``...; all when empty); ``limit`` caps how many (``None``: all); ``order``
    is ``due`` (soonest first), ``difficulty`` (hardest first) or ``random``; new cards
    come last but for ``random``."""

    states: frozenset[str] = frozenset()
    limit: int | None = None
    order: str = "due"
    seed: int | None = None


class CramQueue:
    """The cards of a cram session in order; a card answered Again goes to the end."""

    def __init__(self, keys: list[CardKey], overview: Mapping[CardKey, DueEntry]) -> None:
        self.main = list(keys)
        self.overview = overview
        self.learning: dict[CardKey, datetime] = {}  # none: nothing waits for a moment
        self.held: set[CardKey] = set()

    def next(self, now: datetime) -> CardKey | None:
        return self.main[0] if self.main else None

    def next_due(self) -> datetime | None:
        return None

    def done(self, key: CardKey, again: bool) -> None:
        """Take an answered card off; answered Again, it comes back at the end."""
        if key in self.main:
            self.main.remove(key)
        if again:
            self.main.append(key)

    def counts(self, now: datetime | None = None) -> Counts:
        """The cards left, by what they are (new, learning or relearning, review):
        cramming takes each whatever its due time, so ``now`` changes nothing."""
        new = learning = 0
        for key in self.main:
            entry = self.overview.get(key)
            new += entry is None
            learning += entry is not None and entry.state in (LEARNING, RELEARNING)
        return Counts(new=new, learning=learning, review=len(self.main) - new - learning)

    def copy(self) -> CramQueue:
        return CramQueue(self.main, self.overview)


def cram_order(
    keys: list[CardKey], states: Mapping[CardKey, CardState], plan: CramPlan
) -> list[CardKey]:
    """``keys`` (in deck order) in the plan's order, cut to its limit."""
    if plan.order == "random":
        ordered = list(keys)
        random.Random(plan.seed).shuffle(ordered)
    else:
        seen = [key for key in keys if key in states]
        if plan.order == "difficulty":
            seen.sort(key=lambda key: -states[key].difficulty)
        else:
            seen.sort(key=lambda key: states[key].due)
        ordered = seen + [key for key in keys if key not in states]
    return ordered if plan.limit is None else ordered[: plan.limit]


class CramSession(StudySession):
    """A study session over every chosen card, whatever its due date; answers leave
    every card's state as it was."""

    nothing_text = "No cards to cram: none is chosen, or every one is suspended or buried."
    none_tagged_text = "No cards to cram: no card in these decks has the tags chosen."

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        deck_ids: list[str],
        now: datetime,
        plan: CramPlan,
        schedulers: Callable[[str], SchedulerConfig] | None = None,
        *,
        options: Callable[[str], DeckOptions] | None = None,
        tags: TagFilter = ALL_TAGS,
    ) -> None:
        self.plan = plan
        super().__init__(
            store, catalog, deck_ids, now, None, schedulers, options=options, tags=tags
        )

    def _build_queue(self, now: datetime, limits: Limits | None, ahead_days: int) -> CramQueue:
        keys = self._candidates(now)
        states: dict[CardKey, CardState] = {}
        for deck in dict.fromkeys(key[0] for key in keys):
            states.update(self._deck_states(deck))
        if self.plan.states:
            keys = [
                key
                for key in keys
                if STATE_NAMES[int(states[key].state) if key in states else 0] in self.plan.states
            ]
        return CramQueue(cram_order(keys, states, self.plan), self.overview)

    def answer(
        self, card: Card, rating: int, now: datetime, duration_ms: int | None = None
    ) -> CardState | None:
        """Keep a cram review; the card's state stays as it is. Again or Hard brings the
        card back at the end of the session."""
        key = (card.deck, card.id)
        queue_before = self.queue.copy()
        self.recomputed = self.leech = self.leech_suspended = False
        review, expected = record_retrying(
            self.store,
            key,
            self.state(key),
            partial(cram_review, key, rating, now=now, duration_ms=duration_ms),
            partial(self._set_state, key),
        )
        assert isinstance(self.queue, CramQueue)
        # Anki's preview answers: Again and Hard come back later (1 and 10 minutes),
        # Good and Easy are done with the card.
        self.queue.done(key, again=rating <= 2)
        self._history.append(_Step(key, [(review, expected)], queue_before, answer=review))
        self.summary.answered += 1
        self.summary.again += rating == 1
        return expected

    def next_due(self, now: datetime) -> datetime | None:
        """Nothing comes due in a cram session: every card was there from the start."""
        return None

    def button_labels(self, card: Card, now: datetime) -> dict[int, str]:
        """Again and Hard bring the card back later in the session; Good and Easy are
        done with it."""
        return {1: "again later", 2: "again later", 3: "done", 4: "done"}


def cram_review(
    key: CardKey,
    rating: int,
    state: CardState | None,
    now: datetime,
    duration_ms: int | None,
) -> Review:
    """A cram answer: kept with its rating and time, the card's state unchanged."""
    return Review(
        id=new_review_id(),
        deck=key[0],
        card=key[1],
        rating=rating,
        reviewed_at=now,
        duration_ms=duration_ms,
        before=int(before_of(state)),
        state=state,
        last_interval=state.interval if state is not None else None,
        action=CRAM,
    )


def check_states(names: Collection[str]) -> frozenset[str]:
    """State names as ``--state`` takes them."""
    wanted = frozenset(names)
    unknown = wanted - set(STATE_NAMES.values())
    if unknown:
        from flashcards.errors import UsageError

        raise UsageError(f"--state {sorted(unknown)[0]!r}: use new, learning, review or relearning")
    return wanted
