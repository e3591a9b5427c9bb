"""``stats --tag``: the numbers and pictures of only the cards a tag filter chooses.

The stores keep their counts per deck, not per card, so the answers of the chosen cards
are counted here from the review log, the same way the stores count them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from datetime import date, datetime

from flashcards.catalog import Catalog, DeckInfo
from flashcards.days import study_date
from flashcards.due import DueEntry
from flashcards.model import CRAM, CardState, DayStats, Flags, Review, Tally, slot_of
from flashcards.stores import CardKey, Store
from flashcards.tags import TagFilter, chosen_cards


def chosen_infos(
    catalog: Catalog,
    infos: list[DeckInfo],
    tags: TagFilter,
    states: dict[CardKey, CardState],
    leech_threshold: Callable[[str], int],
) -> list[DeckInfo]:
    """``infos`` with only the cards the filter chooses (a deck may be left with none)."""
    chosen = []
    for info in infos:
        deck = catalog.deck(info.id)
        threshold = leech_threshold(info.id)
        cards = tuple(chosen_cards(deck, tags, states, threshold))
        chosen.append(replace(info, card_ids=cards))
    return chosen


class ChosenHistory:
    """What ``stats`` reads from a store, for some cards only: their states, and their
    answers counted from the log (marks left out, and cram answers counted only as cram
    answers in ``day_stats``, as the stores do)."""

    def __init__(self, store: Store, cards: Collection[CardKey]) -> None:
        self.store = store
        self.cards = set(cards)
        self._answers: list[Review] | None = None

    def _mine(self) -> list[Review]:
        if self._answers is None:
            self._answers = [
                r
                for r in self.store.reviews()
                if r.key in self.cards and (not r.is_mark or r.action == CRAM)
            ]
        return self._answers

    def load_states(self, decks: Collection[str] | None = None) -> dict[CardKey, CardState]:
        states = self.store.load_states(decks)
        return {key: state for key, state in states.items() if key in self.cards}

    def flags(self, decks: Collection[str] | None = None) -> dict[CardKey, Flags]:
        marks = self.store.flags(decks)
        return {key: mark for key, mark in marks.items() if key in self.cards}

    def due_overview(self, decks: Collection[str] | None = None) -> dict[CardKey, DueEntry]:
        entries = self.store.due_overview(decks)
        return {key: entry for key, entry in entries.items() if key in self.cards}

    def activity(
        self, since: datetime | None = None, decks: Collection[str] | None = None
    ) -> dict[str, dict[int, Tally]]:
        first = slot_of(since) if since is not None else None
        out: dict[str, dict[int, Tally]] = {}
        for review in self._of(decks):
            slot = slot_of(review.reviewed_at)
            if first is None or slot >= first:
                out.setdefault(review.deck, {}).setdefault(slot, Tally()).add(review)
        return out

    def day_stats(self, decks: Collection[str] | None = None) -> dict[str, dict[date, DayStats]]:
        out: dict[str, dict[date, DayStats]] = {}
        for review in self._of(decks):
            day = study_date(review.reviewed_at)
            out.setdefault(review.deck, {}).setdefault(day, DayStats()).add(
                review, review.last_interval
            )
        return out

    def active_slots(self, decks: Collection[str] | None = None) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for review in self._of(decks):
            if not review.is_mark:  # a cram answer keeps no streak
                out.setdefault(review.deck, set()).add(slot_of(review.reviewed_at))
        return out

    def _of(self, decks: Collection[str] | None) -> Iterator[Review]:
        wanted = None if decks is None else set(decks)
        return (r for r in self._mine() if wanted is None or r.deck in wanted)
