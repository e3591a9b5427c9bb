"""Fitting FSRS parameters to a real history; simulating desired retention."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import SHARED_DATA

from flashcards.model import Review
from flashcards.optimize import (
    MINIMUM_ITEMS,
    TooLittleHistory,
    cheapest,
    optimize,
    retention_curve,
    training_items,
)
from flashcards.scheduling import DEFAULT_PARAMETERS

SAMPLE = SHARED_DATA / "anki-review-log-sample.csv"
ZONE = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def real_reviews() -> list[Review]:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is missing")
    with open(SAMPLE, newline="") as handle:
        return [
            Review(
                str(i),
                "anki",
                row["card_id"],
                int(row["review_rating"]),
                datetime.fromisoformat(row["review_time"]).astimezone(ZONE),
                int(row["review_duration"]),
            )
            for i, row in enumerate(csv.DictReader(handle))
        ]


def test_training_items_are_built_as_anki_builds_them() -> None:
    t0 = datetime(2026, 1, 1, 20, 0, tzinfo=ZONE)
    reviews = [
        Review("a", "d", "c", 3, t0, None),
        Review("b", "d", "c", 3, t0 + timedelta(minutes=10), None),  # same day: no item
        Review("c", "d", "c", 3, t0 + timedelta(hours=14), None),  # next study day
        Review("d", "d", "c", 1, t0 + timedelta(days=5), None),
    ]
    items, used = training_items(reviews, t0 + timedelta(days=10))
    assert used == 4
    assert [item.reviews for item in items] == [
        ((3, 0), (3, 0), (3, 1)),
        ((3, 0), (3, 0), (3, 1), (1, 4)),
    ]


def test_fitted_parameters_predict_the_later_reviews_better(real_reviews: list[Review]) -> None:
    now = max(r.reviewed_at for r in real_reviews)
    fit = optimize(real_reviews, now)
    assert fit.items == 6372 and fit.reviews == len(real_reviews)
    assert fit.improved
    assert fit.after.log_loss < fit.before.log_loss
    assert fit.after.rmse_bins < fit.before.rmse_bins
    assert len(fit.parameters) == 21 and fit.parameters != DEFAULT_PARAMETERS
    assert fit.health_check_passed is True


def test_too_little_history_is_refused() -> None:
    t0 = datetime(2026, 1, 1, 9, 0, tzinfo=ZONE)
    few = [
        Review(f"r{i}", "d", f"c{i}", 3, t0 + timedelta(days=k), None)
        for i in range(50)
        for k in (0, 2)
    ]
    with pytest.raises(TooLittleHistory) as caught:
        optimize(few, t0 + timedelta(days=10))
    assert caught.value.items == 50 < MINIMUM_ITEMS


def test_retention_curve_costs_more_time_for_higher_retention() -> None:
    points = retention_curve(DEFAULT_PARAMETERS, cards=500, retentions=(0.7, 0.8, 0.9, 0.95))
    assert [p.desired_retention for p in points] == [0.7, 0.8, 0.9, 0.95]
    minutes = [p.minutes_per_day for p in points]
    assert minutes == sorted(minutes) and minutes[0] < minutes[-1]
    best = cheapest(points)
    assert best.minutes_per_card == min(p.minutes_per_card for p in points)


@pytest.fixture
def imported(tmp_path, real_reviews: list[Review], runner):  # type: ignore[no-untyped-def]
    """The real history in the store, and a deck file holding its cards."""
    import json

    from flashcards.cli import app

    history = tmp_path / "history.jsonl"
    history.write_text(
        "".join(
            json.dumps(
                {
                    "id": r.id,
                    "deck": "anki",
                    "card": r.card,
                    "rating": r.rating,
                    "reviewed_at": r.reviewed_at.isoformat(),
                    "duration_ms": r.duration_ms,
                }
            )
            + "\n"
            for r in real_reviews
        )
    )
    result = runner.invoke(app, ["progress", "import", str(history)])
    assert result.exit_code == 0, result.output
    decks = tmp_path / "decks"
    decks.mkdir()
    cards = sorted({r.card for r in real_reviews})
    lines = ["name: Anki", "cards:"]
    for card in cards:
        lines += [f"  - id: '{card}'", f"    question: Question {card}", "    answer: Answer"]
    (decks / "anki.yaml").write_text("\n".join(lines) + "\n")
    return decks


AFTER = "2024-10-07T10:00:00-07:00"


def _run(runner, *args: str):  # type: ignore[no-untyped-def]
    from flashcards.cli import app

    return runner.invoke(app, list(args), env={"FLASHCARDS_NOW": AFTER})


def test_optimize_saves_better_parameters_and_scheduling_uses_them(  # type: ignore[no-untyped-def]
    runner, imported, isolated_home
) -> None:
    import json

    decks = ["--decks", str(imported)]
    before_cards = json.loads(_run(runner, "cards", "anki", "--json", *decks).stdout)
    from flashcards.cli import app

    def buttons() -> str:
        shown = runner.invoke(
            app, ["study", "anki", *decks], input="\nq\n", env={"FLASHCARDS_NOW": AFTER}
        )
        assert shown.exit_code == 0, shown.output
        return next(
            line for line in shown.stdout.splitlines() if "Again" in line and "Easy" in line
        )

    default_buttons = buttons()
    dry = _run(runner, "optimize", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "before (current)" in dry.stdout and "after (fitted)" in dry.stdout
    assert "not saved (--dry-run)" in dry.stdout
    assert not (isolated_home / "config.toml").exists()
    assert buttons() == default_buttons

    saved = _run(runner, "optimize")
    assert saved.exit_code == 0, saved.output
    assert "Better; saved in" in saved.stdout and "Health check: passed" in saved.stdout
    assert "parameters = [" in (isolated_home / "config.toml").read_text()
    assert buttons() != default_buttons, "the button intervals follow the fitted parameters"
    after_cards = json.loads(_run(runner, "cards", "anki", "--json", *decks).stdout)
    changed = [
        (a["retrievability"], b["retrievability"])
        for a, b in zip(before_cards, after_cards, strict=True)
        if a["retrievability"] is not None
    ]
    assert changed and all(x != y for x, y in changed)


def test_optimize_with_too_little_history_says_how_much_is_needed(runner) -> None:  # type: ignore[no-untyped-def]
    result = _run(runner, "optimize")
    assert result.exit_code == 1
    assert "too little history to optimize: 0 reviews" in result.stderr
    assert "at least 400 are needed" in result.stderr
