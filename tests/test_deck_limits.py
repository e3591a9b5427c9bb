"""Daily limits apply to each deck on its own, as Anki's deck limits do: what one deck
used up today takes nothing from another's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flashcards.catalog import open_catalog
from flashcards.queue import Limits
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def two_decks(tmp_path: Path, cards: int) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    for deck in ("a", "b"):
        lines = [f"name: {deck.upper()}", "cards:"]
        lines += [f"  - {{id: {deck}{i}, question: q{i}, answer: x{i}}}" for i in range(cards)]
        (folder / f"{deck}.yaml").write_text("\n".join(lines) + "\n")
    return folder


def test_new_cards_studied_in_one_deck_leave_the_other_decks_limit_whole(
    tmp_path: Path,
) -> None:
    catalog = open_catalog([two_decks(tmp_path, 8)], None)
    limits = Limits(new_per_day=5)
    store = JsonStore(tmp_path / "s")
    first = StudySession(store, catalog, ["a"], NOW, limits)
    for _ in range(5):
        card = first.next_card(NOW)
        assert card is not None and card.deck == "a"
        first.answer(card, 4, NOW)  # Easy: graduates, nothing comes back today
    later = NOW + timedelta(minutes=5)
    both = StudySession(JsonStore(tmp_path / "s"), catalog, [], later, limits)
    assert both.counts().new == 5
    shown = set()
    while (card := both.next_card(later)) is not None:
        shown.add(card.deck)
        both.answer(card, 4, later)
    assert shown == {"b"}


def test_reviews_done_in_one_deck_leave_the_other_decks_review_limit_whole(
    tmp_path: Path,
) -> None:
    catalog = open_catalog([two_decks(tmp_path, 3)], None)
    store = JsonStore(tmp_path / "s")
    learn = StudySession(store, catalog, [], NOW)
    while (card := learn.next_card(NOW)) is not None:
        learn.answer(card, 4, NOW)
    # every card is a review card now; study deck a's on the day they are due
    due = max(state.due for state in JsonStore(tmp_path / "s").load_states().values())
    day = due + timedelta(hours=8)
    limits = Limits(new_per_day=0, reviews_per_day=3)
    first = StudySession(JsonStore(tmp_path / "s"), catalog, ["a"], day, limits)
    assert first.counts().review == 3
    while (card := first.next_card(day)) is not None:
        first.answer(card, 3, day)
    both = StudySession(JsonStore(tmp_path / "s"), catalog, [], day, limits)
    assert both.counts().review == 3
    shown = set()
    while (card := both.next_card(day)) is not None:
        shown.add(card.deck)
        both.answer(card, 3, day)
    assert shown == {"b"}
