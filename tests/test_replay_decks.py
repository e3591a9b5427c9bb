"""Replays when the decks change under the log: a deck whose options change between two
imports, and a deck no deck file holds any more. Each import replays the cards it
touches with the decks as they are then; nothing is lost and nothing crashes, on the
JSON store and on DynamoDB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from servers import isolate_aws
from typer.testing import CliRunner

from flashcards.catalog import open_catalog
from flashcards.cli import app
from flashcards.config import load_settings
from flashcards.model import CardState
from flashcards.scheduling import replay
from flashcards.stores import StoreContext, open_store

DECK = """\
name: Steps
options:
  learning_steps: [5m, 30m]
  relearning_steps: [20m]
  maximum_interval: {maximum}
cards:
  - {{id: a, question: qa, answer: aa}}
  - {{id: b, question: qb, answer: ab}}
"""
T0 = datetime.fromisoformat("2026-10-01T10:00:00+02:00")
NOW = "2026-12-01T10:00:00+01:00"


def history(path: Path, start: int, days: list[int], cards: str) -> list[str]:
    """Answers of ``cards`` on each of ``days`` (Good, an Again among them), a forget
    and a suspend of card a on the last day; returns their ids."""
    ids = []
    with open(path, "w") as out:
        for n, day in enumerate(days):
            for card in cards:
                at = T0 + timedelta(days=day, minutes=ord(card))
                review_id = f"{start}-{n}-{card}"
                rating = 1 if n == 2 else 3
                line = {"id": review_id, "deck": "steps", "card": card, "rating": rating}
                out.write(json.dumps({**line, "reviewed_at": at.isoformat()}) + "\n")
                ids.append(review_id)
        at = T0 + timedelta(days=days[-1], hours=3)
        for action in ("forget", "suspend") if start else ():
            review_id = f"{start}-{action}"
            line = {"id": review_id, "deck": "steps", "card": "a", "rating": 0, "action": action}
            out.write(json.dumps({**line, "reviewed_at": at.isoformat()}) + "\n")
            at += timedelta(minutes=1)
            ids.append(review_id)
    return ids


@pytest.fixture(params=["json", "moto"])
def store_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    if request.param == "json":
        yield "json"
        return
    from moto import mock_aws

    isolate_aws(monkeypatch, tmp_path, credentials=True)
    with mock_aws():
        yield f"dynamodb://replay-{uuid.uuid4().hex[:10]}"


def imported(runner: CliRunner, path: Path, store_url: str) -> None:
    result = runner.invoke(
        app, ["progress", "import", str(path), "--store", store_url], env={"FLASHCARDS_NOW": NOW}
    )
    assert result.exit_code == 0, result.output


def as_replayed(store_url: str) -> tuple[dict[tuple[str, str], CardState], object, object]:
    """The store's states and flags, and what replaying its whole log with the decks
    as they are now gives."""
    settings = load_settings(store=store_url)
    schedulers = settings.schedulers(open_catalog(settings.deck_path, settings.cache_folder))
    store = open_store(store_url, StoreContext(settings.home, settings.profile, schedulers))
    try:
        reviews = list(store.reviews())
        return store.load_states(), replay(reviews, config=schedulers).states, reviews
    finally:
        store.close()


@pytest.mark.parametrize("change", ["options", "gone"])
def test_a_replay_takes_the_decks_as_they_are_at_each_import(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    store_url: str,
    change: str,
) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    deck = folder / "steps.yaml"
    deck.write_text(DECK.format(maximum=30))
    monkeypatch.setenv("FLASHCARDS_DECKS", str(folder))
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    ids = history(first, 0, [0, 1, 4], "a")
    imported(runner, first, store_url)
    states, replayed, _ = as_replayed(store_url)
    assert states == replayed and states  # replayed with the deck's options

    # Between the imports the deck changes: other options, or no deck file at all.
    if change == "options":
        deck.write_text(DECK.format(maximum=3))
    else:
        deck.unlink()
    ids += history(second, 1, [20, 24, 30, 40], "ab")
    imported(runner, second, store_url)
    states, replayed, reviews = as_replayed(store_url)
    assert sorted(r.id for r in reviews) == sorted(ids)  # nothing lost
    # Both cards touched by the second import are the replay of their whole history
    # with the deck as it is now (card a forgotten, then answered no more: new).
    assert states == replayed
    assert ("steps", "a") not in states and ("steps", "b") in states
    if change == "options":
        assert states[("steps", "b")].interval <= 3
    if store_url == "json":
        check = runner.invoke(app, ["check"], env={"FLASHCARDS_NOW": NOW})
        assert check.exit_code == 0, check.output
