"""The card browser behind ``flashcards cards``: one row per card, filtered and sorted.
Pure: decks, states and ``now`` come in, rows go out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from flashcards.due import due_within, entry_of
from flashcards.model import RELEARNING, REVIEW, STATE_NAMES, Card, CardState, Deck, Review
from flashcards.scheduling import DEFAULT_CONFIG, SchedulerConfig

CardKey = tuple[str, str]


class SortKey(StrEnum):
    due = "due"
    stability = "stability"
    difficulty = "difficulty"
    lapses = "lapses"


@dataclass(frozen=True)
class Filters:
    """Which cards to show. ``states`` holds state names (``new``, ``learning``, ...)."""

    due: bool = False
    states: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    search: str = ""


@dataclass(frozen=True)
class CardRow:
    card: Card
    deck_tags: tuple[str, ...]
    state: CardState | None
    retrievability: float | None

    @property
    def state_name(self) -> str:
        return STATE_NAMES[int(self.state.state) if self.state else 0]

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
            "tags": sorted({*self.deck_tags, *self.card.tags}),
            "state": self.state_name,
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
    if filters.due and (row.state is None or not due_within(entry_of(row.state), now, 1)):
        return False
    if filters.tags and not filters.tags & {*row.deck_tags, *row.card.tags}:
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
) -> list[CardRow]:
    """One row per card of ``decks`` that passes ``filters``, in deck order or sorted by
    ``sort`` (due: soonest first; stability: lowest first; difficulty and lapses:
    highest first; new cards always last). Retrievability follows each deck's
    parameters (``scheduler``)."""
    rows = []
    for deck in decks:
        config = scheduler(deck.id)
        for card in deck.cards:
            state = states.get((deck.id, card.id))
            r = retrievability(state, now, config) if state else None
            row = CardRow(card, deck.tags, state, r)
            if _matches(row, filters, now):
                rows.append(row)
    if sort is not None:
        rows.sort(key=lambda row: _sort_value(row, sort))
    return rows


@dataclass(frozen=True)
class HistoryRow:
    review: Review
    state: CardState


def card_history(reviews: Iterable[Review], key: CardKey) -> list[HistoryRow]:
    """The standing reviews of one card, oldest first, each with the state it led to
    (recomputed by replay, so it matches the card's current state)."""
    from flashcards.scheduling import replay

    mine = [r for r in reviews if r.key == key]
    replayed = replay(mine)
    return [HistoryRow(r, r.state) for r in replayed.reviews if r.state is not None]
