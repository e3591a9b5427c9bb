"""Which card comes next, as Anki decides it. Pure: ``now`` is always passed in.

Order: learning cards that are due, then due reviews with new cards spread
evenly among them (new cards in deck order, or shuffled for the day), then learning
cards due within the learn-ahead limit, then reviews studied ahead of their day when
asked for. The study day rolls over at 4 a.m. in the time zone of ``now``.

Daily limits are Anki's v3 limits. Each deck has its own (``Limits``), less what it
already studied today; new cards count against the review limit too, and no more new
cards come than reviews could. A session over several decks is treated as Anki treats
a parent deck: its own limits (``session_limits``, less what all its decks studied
today) cap every deck in it, and each card gathered counts against both.

Siblings (cards made from one deck entry: both directions, every cloze number) are
kept apart as Anki's "bury siblings" options do, all three on: once one is answered,
the others are buried until the next study day, and of siblings due the same day only
the first in this order is shown. A card in a learning step is never buried.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flashcards.days import day_start, next_day_start, study_date
from flashcards.due import DueEntry, due_within, entry_of
from flashcards.model import (
    LEARNING,
    RELEARNING,
    REVIEW,
    CardState,
    Tally,
    from_us,
    note_of,
    slot_of,
)
from flashcards.options import DEFAULT_OPTIONS, DeckOptions, DeckOptionsMap

CardKey = tuple[str, str]
LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class Limits:
    """Daily limits: how many new cards, and how many reviews, a day may bring."""

    new_per_day: int = 20
    reviews_per_day: int = 200

    @classmethod
    def of(cls, options: DeckOptions) -> Limits:
        """A deck's limits from its options."""
        return cls(new_per_day=options.new_per_day, reviews_per_day=options.reviews_per_day)


@dataclass
class _Remaining:
    """What a deck (or a session) may still gather today, as Anki's ``RemainingLimits``
    with "new cards ignore review limit" off: new cards studied today count against
    the review limit, and new cards never outnumber the reviews still allowed."""

    review: int
    new: int

    @classmethod
    def of(cls, limits: Limits, used: Tally) -> _Remaining:
        review = limits.reviews_per_day - used.review - used.new
        new = min(limits.new_per_day - used.new, review)
        return cls(review=max(review, 0), new=max(new, 0))

    def take_review(self) -> None:
        self.review = max(self.review - 1, 0)
        self.new = min(self.new, self.review)

    def take_new(self) -> None:
        self.new = max(self.new - 1, 0)


def session_limits(options: Callable[[str], DeckOptions], decks: Sequence[str]) -> Limits | None:
    """The limits of a study session over several decks: those of the general options
    (``config.toml`` ``[options]``, see ``options.DeckOptionsMap``), as Anki caps the
    decks under the parent deck studied with the parent's limits. ``None`` for a session
    over one deck, which follows that deck's limits alone."""
    if len(decks) < 2:
        return None
    general = options.general if isinstance(options, DeckOptionsMap) else DEFAULT_OPTIONS
    return Limits.of(general)


def new_card_order(cards: Iterable[CardKey], order: str, now: datetime) -> list[CardKey]:
    """A deck's new cards in the order they are gathered: as in the deck, or for
    ``random`` shuffled by a hash of deck, study day and card, so the order holds for
    the whole study day (a restarted session sees the same) and changes the next."""
    ordered = list(cards)
    if order != "random":
        return ordered
    day = study_date(now).isoformat()
    import hashlib  # only for a random order

    def position(key: CardKey) -> bytes:
        return hashlib.blake2b(f"{day}/{key[0]}/{key[1]}".encode(), digest_size=8).digest()

    return sorted(ordered, key=position)


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
        limits: Limits | Mapping[str, Limits] | None = None,
        *,
        siblings: Mapping[CardKey, Hashable] | None = None,
        buried: Collection[CardKey] = (),
        hidden: Collection[CardKey] = (),
        ahead_days: int = 0,
        new_order: Mapping[str, str] | None = None,
        session_limits: Limits | None = None,
    ) -> None:
        """``overview`` gives the due entry of each answered card
        (``Store.due_overview``, or ``overview_of`` for whole states). ``today`` is what
        was already studied today per deck (or one tally that every deck has used).

        ``limits`` are the daily limits of every deck, or of each deck by id (a deck not
        named has ``Limits()``); ``session_limits``, when given, cap the whole session
        as a parent deck's do in Anki. ``new_order`` gives a deck's order of new cards,
        ``deck`` (the default) or ``random`` (see :func:`new_card_order`).

        ``siblings`` gives the entry of each card whose siblings it buries
        (:func:`sibling_notes` of the decks that bury siblings) and ``buried`` the cards
        already buried today (:func:`buried_today`). ``hidden`` cards (suspended, or
        buried by hand) never come up. Neither counts against any limit.

        ``ahead_days``: review cards due within that many study days after today also
        come, after everything due, counting against no limit (as Anki's filtered deck
        for reviewing ahead)."""
        self.end_of_day = next_day_start(now)
        self.siblings: Mapping[CardKey, Hashable] = siblings or {}
        #: Cards kept for another day because of a sibling (buried, or left out for one).
        self.held = set(buried)
        hidden = set(hidden)

        def used(deck: str) -> Tally:
            return today if isinstance(today, Tally) else today.get(deck, Tally())

        def limits_of(deck: str) -> Limits:
            if isinstance(limits, Limits):
                return limits
            return (limits or {}).get(deck, Limits())

        new_by_deck: dict[str, list[CardKey]] = {}
        due_learning: list[tuple[int, int, CardKey]] = []
        due_reviews: list[tuple[int, int, CardKey]] = []
        ahead: list[tuple[int, int, CardKey]] = []
        self.learning: dict[CardKey, datetime] = {}
        for position, key in enumerate(cards):
            entry = overview.get(key)
            if key in self.held or key in hidden:
                continue
            new_by_deck.setdefault(key[0], [])
            if entry is None:
                new_by_deck[key[0]].append(key)
            elif not due_within(entry, now, 1):
                if ahead_days > 0 and entry.day and due_within(entry, now, 1 + ahead_days):
                    ahead.append((entry.day, position, key))
            elif entry.day:
                # due on a study day: reviews, and steps that reached past a rollover
                kind = due_reviews if entry.state == REVIEW else due_learning
                kind.append((entry.day, position, key))
            else:
                self.learning[key] = from_us(entry.due_us)
        remaining = {deck: _Remaining.of(limits_of(deck), used(deck)) for deck in new_by_deck}
        session = None
        if session_limits is not None:
            if isinstance(today, Tally):
                total = today  # one tally is what the session's decks used together
            else:
                total = Tally()
                for deck in new_by_deck:
                    total.absorb(used(deck))
            session = _Remaining.of(session_limits, total)

        # Anki gathers learning cards, then interday learning, reviews and new cards:
        # a sibling of a card gathered before is left for another day.
        seen = {self.siblings[key] for key in self.learning if key in self.siblings}
        gathered: list[tuple[int, int, CardKey]] = []
        for item in sorted(due_learning) + sorted(due_reviews):
            deck_left = remaining[item[2][0]]
            if session is not None and session.review == 0:
                break
            if deck_left.review > 0 and self._first_of_entry(item[2], seen):
                gathered.append(item)
                deck_left.take_review()
                if session is not None:
                    session.take_review()
        reviews = [key for _, _, key in sorted(gathered)]
        new: list[CardKey] = []
        for deck, fresh in new_by_deck.items():
            deck_left = remaining[deck]
            for key in new_card_order(fresh, (new_order or {}).get(deck, "deck"), now):
                if deck_left.new == 0 or (session is not None and session.new == 0):
                    break
                if self._first_of_entry(key, seen):
                    new.append(key)
                    deck_left.take_new()
                    if session is not None:
                        session.take_new()
        self.main = _spread(reviews, new)
        for _, _, key in sorted(ahead):
            note = self.siblings.get(key)
            if note is None:
                self.main.append(key)
            elif note not in seen:  # a sibling left out here is not held back: not due
                self.main.append(key)
                seen.add(note)
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

    def counts(self, now: datetime | None = None) -> Counts:
        """New, learning and review cards left. With ``now``, learning counts as in
        Anki: the cards due by then or within :data:`LEARN_AHEAD`, not those waiting
        for a later step today; without it, every learning card left today."""
        new = sum(1 for key in self.main if key in self._new)
        if now is None:
            learning = len(self.learning)
        else:
            learning = sum(1 for due in self.learning.values() if due <= now + LEARN_AHEAD)
        return Counts(new=new, learning=learning, review=len(self.main) - new)

    def copy(self) -> StudyQueue:
        return copy.deepcopy(self)
