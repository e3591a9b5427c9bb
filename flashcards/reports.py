"""Numbers for ``list-decks`` and ``stats``, gathered from a catalog and a store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flashcards.catalog import Catalog, DeckInfo
from flashcards.model import CardState
from flashcards.queue import is_due, is_learning
from flashcards.stats import DeckStats, deck_stats, merge_activity, total_stats
from flashcards.stores import CardKey, Store


def deck_rows(
    catalog: Catalog, states: Mapping[CardKey, CardState], now: datetime
) -> list[dict[str, object]]:
    """One row per deck: id, name, cards, new, due (now), learning, path."""
    rows: list[dict[str, object]] = []
    for info in catalog.infos:
        new = due = learning = 0
        for card in info.card_ids:
            state = states.get((info.id, card))
            if state is None:
                new += 1
                continue
            due += is_due(state, now)
            learning += is_learning(state)
        rows.append(
            {
                "id": info.id,
                "name": info.name,
                "cards": len(info.card_ids),
                "new": new,
                "due": due,
                "learning": learning,
                "path": info.path,
            }
        )
    return rows


def collect_stats(
    store: Store, infos: list[DeckInfo], now: datetime
) -> tuple[list[DeckStats], DeckStats]:
    ids = [info.id for info in infos]
    states = store.load_states(ids)
    activity = store.activity(None, ids)
    per_deck = [
        deck_stats(info.id, info.name, info.card_ids, states, activity.get(info.id, {}), now)
        for info in infos
    ]
    return per_deck, total_stats(per_deck, merge_activity(activity.values()), now)
