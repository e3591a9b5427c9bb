"""Which card comes next, as Anki decides it. Pure: ``now`` is always passed in.

Order: learning cards that are due, then due reviews with new cards spread
evenly among them (new cards in deck order), then learning cards due within the
learn-ahead limit. Daily limits count what was already done today; the study
day rolls over at 4 a.m. in the time zone of ``now``.

Siblings (cards made from one deck entry: both directions, every cloze number) are
kept apart as Anki's "bury siblings" options do, all three on: once one is answered,
the others are buried until the next study day, and of siblings due the same day only
the first in this order is shown. A card in a learning step is never buried.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Hashable, Iterable, Mapping
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
    note_of,
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


def answered_today(states: Mapping[CardKey, CardState], now: datetime) -> set[CardKey]:
    """The cards last answered on the study day ``now`` falls in."""
    start = day_start(now)
    return {key for key, state in states.items() if state.last_review >= start}


def sibling_notes(cards: Iterable[CardKey]) -> dict[CardKey, tuple[str, str]]:
    """The entry (deck and ``model.note_of``) of each card that has a sibling."""
    groups: dict[tuple[str, str], list[CardKey]] = {}
    for key in cards:
        groups.setdefault((key[0], note_of(key[1])), []).append(key)
    return {key: note for note, keys in groups.items() if len(keys) > 1 for key in keys}


def buried_today(
    cards: Iterable[CardKey],
    overview: Mapping[CardKey, DueEntry],
    answered: Collection[CardKey],
) -> set[CardKey]:
    """The cards buried until the next study day because a sibling was answered today
    (``answered``, see :func:`answered_today`). ``cards`` are the cards of the decks that
    bury siblings; ``overview`` their due entries (``Store.due_overview``). A card in a
    learning step, or answered today itself, is not buried."""
    notes = sibling_notes(cards)
    touched = {notes[key] for key in answered if key in notes}
    return {
        key
        for key, note in notes.items()
        if note in touched and key not in answered and not _in_step(overview.get(key))
    }


def _in_step(entry: DueEntry | None) -> bool:
    return entry is not None and not entry.day


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
        *,
        siblings: Mapping[CardKey, Hashable] | None = None,
        buried: Collection[CardKey] = (),
    ) -> None:
        """``overview`` gives the due entry of each answered card
        (``Store.due_overview``, or ``overview_of`` for whole states). ``today`` is what
        was already studied today per deck (or one tally that every deck has used): the
        daily limits apply to each deck on its own, as Anki's deck limits do.

        ``siblings`` gives the entry of each card whose siblings it buries
        (:func:`sibling_notes` of the decks that bury siblings) and ``buried`` the cards
        already buried today (:func:`buried_today`). Buried cards count against no limit."""
        limits = limits or Limits()
        self.end_of_day = next_day_start(now)
        self.siblings: Mapping[CardKey, Hashable] = siblings or {}
        #: Cards kept for another day because of a sibling (buried, or left out for one).
        self.held = set(buried)

        def used(deck: str) -> Tally:
            return today if isinstance(today, Tally) else today.get(deck, Tally())

        new_by_deck: dict[str, list[CardKey]] = {}
        due_by_deck: dict[str, list[tuple[int, CardKey]]] = {}
        self.learning: dict[CardKey, datetime] = {}
        for key in cards:
            entry = overview.get(key)
            if key in self.held:
                continue
            if entry is None:
                new_by_deck.setdefault(key[0], []).append(key)
            elif not due_within(entry, now, 1):
                continue
            elif entry.day:
                # due on a study day (reviews, and steps that reached past a rollover)
                due_by_deck.setdefault(key[0], []).append((entry.day, key))
            else:
                self.learning[key] = from_us(entry.due_us)
        # Anki gathers learning cards, then reviews, then new cards: a sibling of a
        # card gathered before is left for another day.
        seen = {self.siblings[key] for key in self.learning if key in self.siblings}
        due_reviews: list[tuple[int, CardKey]] = []
        for deck, waiting in due_by_deck.items():
            waiting.sort(key=lambda item: item[0])
            waiting = [item for item in waiting if self._first_of_entry(item[1], seen)]
            due_reviews += waiting[: max(0, limits.reviews_per_day - used(deck).review)]
        due_reviews.sort(key=lambda item: item[0])
        reviews = [key for _, key in due_reviews]
        new: list[CardKey] = []
        for deck, fresh in new_by_deck.items():
            fresh = [key for key in fresh if self._first_of_entry(key, seen)]
            new += fresh[: max(0, limits.new_per_day - used(deck).new)]
        self.main = _spread(reviews, new)
        self._new = set(new)

    def _first_of_entry(self, key: CardKey, seen: set[Hashable]) -> bool:
        """Whether ``key`` is the first of its siblings gathered (then the others are
        not); a card without siblings always is."""
        note = self.siblings.get(key)
        if note is None:
            return True
        if note in seen:
            self.held.add(key)
            return False
        seen.add(note)
        return True

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
        """Take an answered card off the queue; a card still learning comes back today.
        Its siblings waiting in the queue are buried until the next study day."""
        self.learning.pop(key, None)
        if key in self.main:
            self.main.remove(key)
        self._new.discard(key)
        note = self.siblings.get(key)
        if note is not None:
            for other in [k for k in self.main if k != key and self.siblings.get(k) == note]:
                self.main.remove(other)
                self._new.discard(other)
                self.held.add(other)
        if in_learning_step(state) and state.due < self.end_of_day:
            self.learning[key] = state.due

    def counts(self) -> Counts:
        new = sum(1 for key in self.main if key in self._new)
        return Counts(new=new, learning=len(self.learning), review=len(self.main) - new)

    def copy(self) -> StudyQueue:
        return copy.deepcopy(self)
