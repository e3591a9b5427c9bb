"""A real Anki review history (../shared/data) goes in through `progress import`."""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import SHARED_DATA
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.scheduling import replay
from flashcards.stores.jsonstore import JsonStore

SAMPLE = SHARED_DATA / "anki-review-log-sample.csv"


def sample_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(SAMPLE.read_text().splitlines()))


@pytest.fixture
def anki_export(tmp_path: Path) -> Path:
    if not SAMPLE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SAMPLE} is missing")
        pytest.skip(f"{SAMPLE} is missing")
    out = tmp_path / "anki.jsonl"
    with open(SAMPLE, newline="") as source, open(out, "w") as target:
        for row in csv.DictReader(source):
            line = {
                "deck": "anki",
                "card": row["card_id"],
                "rating": int(row["review_rating"]),
                "reviewed_at": row["review_time"],
                "duration_ms": int(row["review_duration"]),
            }
            target.write(json.dumps(line) + "\n")
    return out


def test_real_history_imports_once_and_replays_to_the_same_states(
    runner: CliRunner, anki_export: Path, isolated_home: Path
) -> None:
    rows = sample_rows()
    first = runner.invoke(app, ["progress", "import", str(anki_export)])
    assert first.exit_code == 0, first.output
    assert f"Imported {len(rows)} reviews" in first.stdout
    again = runner.invoke(app, ["progress", "import", str(anki_export)])
    assert f"Imported 0 reviews ({len(rows)} already present)" in again.stdout

    store = JsonStore(isolated_home)
    reviews = list(store.reviews())
    assert len(reviews) == len(rows)
    states = store.load_states()
    assert len(states) == len({row["card_id"] for row in rows})
    assert replay(reviews).states == states


def test_retention_and_reviews_on_real_history(
    runner: CliRunner, anki_export: Path, isolated_home: Path
) -> None:
    runner.invoke(app, ["progress", "import", str(anki_export)])
    store = JsonStore(isolated_home)
    last = max(datetime.fromisoformat(r["review_time"]) for r in sample_rows())
    now = last + timedelta(hours=1)
    # Expected retention, from the imported reviews themselves: answers to cards that
    # were in review state, over the last 30 days, that were not Again.
    window = [
        r for r in store.reviews() if r.reviewed_at >= now - timedelta(days=30) and r.before == 2
    ]
    expected = sum(r.rating > 1 for r in window) / len(window)

    from flashcards.catalog import DeckInfo
    from flashcards.reports import collect_stats

    cards = tuple(sorted({card for _, card in store.load_states()}))
    per_deck, total = collect_stats(store, [DeckInfo("anki", "Anki", "-", "", (), cards)], now)
    assert total.retention_30d == pytest.approx(expected)
    assert 0.5 < expected < 1.0
    assert total.cards == len(cards) and total.new == 0
    assert per_deck[0].streak_days >= 1
