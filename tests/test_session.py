"""A study session against a real store: answers, undo, and a card answered twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flashcards.catalog import open_catalog
from flashcards.scheduling import schedule
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def deck(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "d.yaml").write_text(
        "name: D\ncards:\n  - {id: a, question: qa, answer: aa}\n  - {id: b, question: qb, answer: ab}\n"
    )
    return folder


def test_a_card_answered_in_two_sessions_is_applied_after_the_first(tmp_path: Path) -> None:
    catalog = open_catalog([deck(tmp_path)], None)
    first = StudySession(JsonStore(tmp_path / "s"), catalog, [], NOW)
    second = StudySession(JsonStore(tmp_path / "s"), catalog, [], NOW)
    card = first.next_card(NOW)
    assert card is not None and second.next_card(NOW) == card
    later = NOW + timedelta(seconds=5)
    shown = second.preview(card, later)  # the second learner sees the buttons first
    good = first.answer(card, 3, NOW)
    assert not first.recomputed
    easy = second.answer(card, 4, later)
    assert second.recomputed
    assert easy == schedule("d", card.id, good, 4, later) != shown[4]
    assert JsonStore(tmp_path / "s").load_states()[("d", card.id)] == easy


def test_undo_restores_the_card_and_the_queue(tmp_path: Path) -> None:
    store = JsonStore(tmp_path / "s")
    session = StudySession(store, open_catalog([deck(tmp_path)], None), [], NOW)
    card = session.next_card(NOW)
    assert card is not None
    counts = session.counts()
    session.answer(card, 1, NOW)
    assert session.counts() != counts
    assert session.undo() == card
    assert session.counts() == counts and session.next_card(NOW) == card
    assert session.state(("d", card.id)) is None
    assert JsonStore(tmp_path / "s").load_states() == {}
    assert session.undo() is None
