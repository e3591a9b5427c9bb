"""The card browser behind ``flashcards cards``: one row per card, filtered and sorted.
Pure: decks, states and ``now`` come in, rows go out."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from flashcards.due import due_within, entry_of
from flashcards.model import (
    NO_FLAGS,
    RELEARNING,
    REVIEW,
    STATE_NAMES,
    Card,
    CardState,
    Deck,
    Flags,
    Review,
)
from flashcards.scheduling import DEFAULT_CONFIG, SchedulerConfig
from flashcards.tags import ALL_TAGS, LEECH, TagFilter, card_tags

CardKey = tuple[str, str]


class SortKey(StrEnum):
    due = "due"
    stability = "stability"
    difficulty = "difficulty"
    lapses = "lapses"


@dataclass(frozen=True)
class Filters:
    """Which cards to show. ``states`` holds state names (``new``, ``learning``, ...);
    ``suspended``: only suspended cards; ``leech``: only leeches."""

    due: bool = False
    states: frozenset[str] = frozenset()
    tags: TagFilter = ALL_TAGS
    search: str = ""
    suspended: bool = False
    leech: bool = False


@dataclass(frozen=True)
class CardRow:
    card: Card
    deck_tags: tuple[str, ...]
    state: CardState | None
    retrievability: float | None
    #: Suspended or buried (see ``Store.flags``), and every tag the card has, case-folded
    #: (its own, its deck's, ``leech``).
    flags: Flags = NO_FLAGS
    tags: frozenset[str] = frozenset()
    #: Whether the card is buried at the time the rows were made.
    buried: bool = False

    @property
    def state_name(self) -> str:
        return STATE_NAMES[int(self.state.state) if self.state else 0]

    @property
    def leech(self) -> bool:
        return LEECH in self.tags

    @property
    def shown_state(self) -> str:
        """What the listing's State column says: ``suspended`` or ``buried`` over the
        scheduling state, which ``--json`` keeps in ``state``."""
        if self.flags.suspended:
            return "suspended"
        if self.buried:
            return "buried"
        return self.state_name

    def to_dict(self) -> dict[str, Any]:
        """The row as ``cards --json`` prints it. ``kind`` is ``basic``, ``reverse``,
        ``cloze`` or ``typed``; ``note`` the id of the deck entry a card shares with its
        siblings (``null`` for a card that is its entry alone)."""
        s = self.state
        review = s is not None and s.state in (REVIEW, RELEARNING)
        return {
            "deck": self.card.deck,
            "id": self.card.id,
            "kind": self.card.kind,
            "note": self.card.note,
            "question": self.card.question,
            "tags": sorted({*self.deck_tags, *self.card.tags, *([LEECH] if self.leech else [])}),
            "state": self.state_name,
            "suspended": self.flags.suspended,
            "buried": self.buried,
            "leech": self.leech,
            "due": s.due.isoformat() if s else None,
            "due_day": s.due_day.isoformat() if s and s.due_day else None,
            "interval_days": s.interval if s and review else None,
            "stability": s.stability if s else None,
            "difficulty": s.difficulty if s else None,
            "retrievability": self.retrievability,
            "reps": s.reps if s else 0,
            "lapses": s.lapses if s else 0,
            "last_review": s.last_review.isoformat() if s else None,
        }


def retrievability(
    state: CardState, now: datetime, config: SchedulerConfig = DEFAULT_CONFIG
) -> float:
    """FSRS-6's probability of recall now: ``(1 + factor * t / S) ** -decay`` with ``t``
    the days (with fractions, as Anki's card info) since the last review."""
    decay = config.parameters[20]
    factor = 0.9 ** (-1 / decay) - 1
    days = max(0.0, (now - state.last_review).total_seconds() / 86400)
    return float((1 + factor * days / state.stability) ** -decay)


def _matches(row: CardRow, filters: Filters, now: datetime) -> bool:
    if filters.states and row.state_name not in filters.states:
        return False
    if filters.due and (
        row.state is None
        or not due_within(entry_of(row.state), now, 1)
        or row.flags.suspended
        or row.buried  # as Anki's is:due, which a suspended or buried card is not
    ):
        return False
    if filters.tags and not filters.tags.matches(row.tags):
        return False
    if filters.suspended and not row.flags.suspended:
        return False
    if filters.leech and not row.leech:
        return False
    if filters.search:
        needle = filters.search.casefold()
        text = f"{row.card.question}\n{row.card.answer}".casefold()
        if needle not in text:
            return False
    return True


def _sort_value(row: CardRow, key: SortKey) -> tuple[Any, ...]:
    s = row.state
    if s is None:  # new cards last, in deck order
        return (1, 0.0)
    if key is SortKey.due:
        return (0, s.due.timestamp())
    if key is SortKey.stability:
        return (0, s.stability)
    if key is SortKey.difficulty:
        return (0, -s.difficulty)
    return (0, -s.lapses)


def card_rows(
    decks: Iterable[Deck],
    states: Mapping[CardKey, CardState],
    now: datetime,
    filters: Filters = Filters(),
    sort: SortKey | None = None,
    scheduler: Callable[[str], SchedulerConfig] = lambda _deck: DEFAULT_CONFIG,
    flags: Mapping[CardKey, Flags] | None = None,
    leech_threshold: Callable[[str], int] = lambda _deck: 8,
    held: Collection[CardKey] = (),
) -> list[CardRow]:
    """One row per card of ``decks`` that passes ``filters``, in deck order or sorted by
    ``sort`` (due: soonest first; stability: lowest first; difficulty and lapses:
    highest first; new cards always last). Retrievability follows each deck's
    parameters (``scheduler``); ``flags`` are the cards' marks (``Store.flags``) and
    ``leech_threshold`` each deck's (for the ``leech`` tag); ``held`` the cards buried
    until the next study day because a sibling was answered today (``queue.buried_today``)."""
    rows = []
    marks = flags or {}
    for deck in decks:
        config = scheduler(deck.id)
        threshold = leech_threshold(deck.id)
        for card in deck.cards:
            key = (deck.id, card.id)
            state = states.get(key)
            r = retrievability(state, now, config) if state else None
            card_flags = marks.get(key, NO_FLAGS)
            tags = card_tags(card, deck.tags, state, threshold)
            buried = card_flags.buried(now) or key in held
            row = CardRow(card, deck.tags, state, r, card_flags, tags, buried)
            if _matches(row, filters, now):
                rows.append(row)
    if sort is not None:
        rows.sort(key=lambda row: _sort_value(row, sort))
    return rows


@dataclass(frozen=True)
class HistoryRow:
    """An answer with the state it led to, or a mark (suspend, bury, forget, a cram
    answer...) with the card's state after it (``None`` once forgotten)."""

    review: Review
    state: CardState | None


def card_history(
    reviews: Iterable[Review],
    key: CardKey,
    scheduler: Callable[[str], SchedulerConfig] = lambda _deck: DEFAULT_CONFIG,
) -> list[HistoryRow]:
    """The standing reviews and marks of one card, oldest first, each with the state it
    led to (recomputed by replay with the deck's ``scheduler``, so it matches the
    card's current state). A card forgotten keeps its answers from before."""
    from flashcards.scheduling import replay

    mine = [r for r in reviews if r.key == key]
    replayed = replay(mine, config=scheduler)
    return [HistoryRow(r, r.state) for r in replayed.reviews]
