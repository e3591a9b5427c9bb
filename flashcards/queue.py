"""Which card comes next, as Anki decides it. Pure: ``now`` is always passed in.

Order: learning cards that are due, then due reviews with new cards spread
evenly among them (new cards in deck order), then learning cards due within the
learn-ahead limit. Daily limits count what was already done today; the study
day rolls over at 4 a.m. in the time zone of ``now``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flashcards.days import day_start, next_day_start
from flashcards.due import DueEntry, due_within, entry_of
from flashcards.model import (
    LEARNING,
    RELEARNING,
    CardState,
    Tally,
    from_us,
    slot_of,
)

CardKey = tuple[str, str]
LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class Limits:
    new_per_day: int = 20
    reviews_per_day: int = 200


def in_learning_step(state: CardState) -> bool:
    """A card waiting for a learning step due at a moment (not on a study day)."""
    return state.state in (LEARNING, RELEARNING) and state.due_day is None


def done_today(activity: Mapping[str, Mapping[int, Tally]], now: datetime) -> Tally:
    """What was already studied this study day, over the given decks."""
    first = slot_of(day_start(now))
    total = Tally()
    for hours in activity.values():
        for hour, tally in hours.items():
            if hour >= first:
                total.absorb(tally)
    return total


@dataclass(frozen=True)
class Counts:
    new: int
    learning: int
    review: int


def _spread(reviews: list[CardKey], new: list[CardKey]) -> list[CardKey]:
    """New cards placed evenly among the reviews, each list keeping its order."""
    placed = [((i + 1) / (len(reviews) + 1), 0, key) for i, key in enumerate(reviews)]
    placed += [((i + 1) / (len(new) + 1), 1, key) for i, key in enumerate(new)]
    return [key for _, _, key in sorted(placed, key=lambda item: (item[0], item[1]))]


def overview_of(states: Mapping[CardKey, CardState]) -> dict[CardKey, DueEntry]:
    """The due entries a queue is built from."""
    return {key: entry_of(state) for key, state in states.items()}


class StudyQueue:
    """The cards of one study session. ``cards`` lists every card key in deck order."""

    def __init__(
        self,
        cards: Iterable[CardKey],
        overview: Mapping[CardKey, DueEntry],
        now: datetime,
        today: Tally | Mapping[str, Tally],
        limits: Limits | None = None,
    ) -> None:
        """``overview`` gives the due entry of each answered card
        (``Store.due_overview``, or ``overview_of`` for whole states). ``today`` is what
        was already studied today per deck (or one tally that every deck has used): the
        daily limits apply to each deck on its own, as Anki's deck limits do."""
        limits = limits or Limits()
        self.end_of_day = next_day_start(now)

        def used(deck: str) -> Tally:
            return today if isinstance(today, Tally) else today.get(deck, Tally())

        new_taken: dict[str, int] = {}
        new: list[CardKey] = []
        due_by_deck: dict[str, list[tuple[int, CardKey]]] = {}
        self.learning: dict[CardKey, datetime] = {}
        for key in cards:
            entry = overview.get(key)
            if entry is None:
                taken = new_taken.get(key[0], 0)
                if taken < limits.new_per_day - used(key[0]).new:
                    new.append(key)
                    new_taken[key[0]] = taken + 1
            elif not due_within(entry, now, 1):
                continue
            elif entry.day:
                # due on a study day (reviews, and steps that reached past a rollover)
                due_by_deck.setdefault(key[0], []).append((entry.day, key))
            else:
                self.learning[key] = from_us(entry.due_us)
        due_reviews: list[tuple[int, CardKey]] = []
        for deck, waiting in due_by_deck.items():
            waiting.sort(key=lambda item: item[0])
            due_reviews += waiting[: max(0, limits.reviews_per_day - used(deck).review)]
        due_reviews.sort(key=lambda item: item[0])
        reviews = [key for _, key in due_reviews]
        self.main = _spread(reviews, new)
        self._new = set(new)

    def next(self, now: datetime) -> CardKey | None:
        """The card to show now, or ``None`` when nothing is left for this session."""
        due_learning = min(self.learning.items(), key=lambda item: item[1], default=None)
        if due_learning is not None and due_learning[1] <= now:
            return due_learning[0]
        if self.main:
            return self.main[0]
        if due_learning is not None and due_learning[1] <= now + LEARN_AHEAD:
            return due_learning[0]
        return None

    def next_due(self) -> datetime | None:
        """When the earliest learning card left for today comes due."""
        return min(self.learning.values(), default=None)

    def answered(self, key: CardKey, state: CardState) -> None:
        """Take an answered card off the queue; a card still learning comes back today."""
        self.learning.pop(key, None)
        if key in self.main:
            self.main.remove(key)
        self._new.discard(key)
        if in_learning_step(state) and state.due < self.end_of_day:
            self.learning[key] = state.due

    def counts(self) -> Counts:
        new = sum(1 for key in self.main if key in self._new)
        return Counts(new=new, learning=len(self.learning), review=len(self.main) - new)

    def copy(self) -> StudyQueue:
        return copy.deepcopy(self)
