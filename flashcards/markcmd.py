"""``flashcards suspend|unsuspend|bury|unbury|forget DECK/CARD ...``: marks from the
command line. Every card named is checked before anything is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flashcards.catalog import Catalog
from flashcards.errors import UsageError
from flashcards.model import (
    BURY,
    FORGET,
    NO_FLAGS,
    SUSPEND,
    UNBURY,
    UNSUSPEND,
    Flags,
)
from flashcards.options import DeckOptions
from flashcards.session import mark_review, record_retrying
from flashcards.stores import CardKey, Store

#: What each command says it did, and what it says of a card it has nothing to do for.
DONE = {
    SUSPEND: ("Suspended", "is already suspended"),
    UNSUSPEND: ("Unsuspended", "is not suspended"),
    BURY: ("Buried", "is already buried"),
    UNBURY: ("Unburied", "is not buried"),
    FORGET: ("Forgot", "is new already"),
}


@dataclass(frozen=True)
class Outcome:
    """The cards marked, and a line for each card left as it was."""

    marked: list[CardKey]
    unchanged: list[str]


def card_keys(names: Sequence[str], catalog: Catalog) -> list[CardKey]:
    """``DECK/CARD`` names as card keys; a usage error for the first that names no card."""
    keys: list[CardKey] = []
    for name in names:
        deck, slash, card = name.partition("/")
        if not slash or not deck or not card:
            raise UsageError(f"{name!r}: name a card as DECK/CARD (see `flashcards cards DECK`)")
        info = catalog.info(deck)
        if card not in info.card_ids:
            raise UsageError(f"{name}: deck {deck!r} has no card {card!r}")
        keys.append((deck, card))
    return list(dict.fromkeys(keys))


def needs_mark(action: str, flags: Flags, is_new: bool, now: datetime) -> bool:
    """Whether ``action`` changes anything for a card with these flags."""
    if action == SUSPEND:
        return not flags.suspended
    if action == UNSUSPEND:
        return flags.suspended
    if action == BURY:
        return not flags.buried(now)
    if action == UNBURY:
        return flags.buried(now)
    # A forget also takes a card out of suspension and burial, as Anki's reset does.
    return not is_new or flags.hidden(now)


def apply_marks(
    action: str,
    names: Sequence[str],
    catalog: Catalog,
    store: Store,
    now: datetime,
    options: Callable[[str], DeckOptions] | None = None,
) -> Outcome:
    """Check every card named, then keep one mark for each card it changes. ``options``
    (each deck's) tell which decks bury siblings, for what ``unbury`` says of a card
    waiting for the next study day because a sibling was answered today."""
    keys = card_keys(names, catalog)
    decks = sorted({deck for deck, _ in keys})
    states = store.load_states(decks)
    flags = store.flags(decks)
    held: set[CardKey] = set()
    if action == UNBURY:
        from flashcards.options import DeckOptionsMap
        from flashcards.reports import held_siblings

        infos = catalog.select(decks)
        held = held_siblings(infos, states, now, options or DeckOptionsMap.from_deck_files(catalog))
    marked: list[CardKey] = []
    unchanged: list[str] = []
    for key in keys:
        state = states.get(key)
        if not needs_mark(action, flags.get(key, NO_FLAGS), state is None, now):
            if key in held:
                unchanged.append(
                    f"{key[0]}/{key[1]} waits for the next study day because a sibling was "
                    "answered today (bury_siblings: false in the deck's options lets "
                    "siblings come the same day)."
                )
            else:
                unchanged.append(f"{key[0]}/{key[1]} {DONE[action][1]}.")
            continue
        # Answered in another session meanwhile: the mark goes on that state.
        record_retrying(store, key, state, partial(mark_review, key, action, now=now))
        marked.append(key)
    return Outcome(marked, unchanged)


def summary(action: str, outcome: Outcome) -> str | None:
    """``Suspended aws/ddb-1.`` or ``Suspended 3 cards.``; ``None`` when none changed."""
    done = DONE[action][0]
    if not outcome.marked:
        return None
    if len(outcome.marked) == 1:
        deck, card = outcome.marked[0]
        return f"{done} {deck}/{card}."
    return f"{done} {len(outcome.marked)} cards."
