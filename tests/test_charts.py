"""The figures behind the stats pictures, from fixed counts and a fixed clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from rich.console import Console

from flashcards.chartrender import calendar, forecast_bars, memory_bars, retention_table
from flashcards.charts import (
    answer_buttons,
    forecast,
    heatmap,
    memory,
    minutes_per_day,
    true_retention,
)
from flashcards.due import DueEntry
from flashcards.model import REVIEW, CardState, DayStats, Review
from flashcards.scheduling import SchedulerConfig, schedule

ZONE = timezone(timedelta(hours=2))
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=ZONE)
TODAY = date(2026, 6, 10)


def day(*answers: tuple[int, int, int | None], ms: int = 0) -> DayStats:
    """Answers as (state before, rating, last interval)."""
    stats = DayStats()
    for before, rating, last in answers:
        stats.add(Review("x", "d", "c", rating, NOW, ms, before=before), last)
    return stats


def test_heatmap_cells_today_and_streak() -> None:
    counts = {TODAY: 5, TODAY - timedelta(days=1): 3, TODAY - timedelta(days=2): 1}
    counts[TODAY - timedelta(days=4)] = 40  # before a gap: not in the streak
    counts[TODAY - timedelta(days=400)] = 99  # older than a year: not shown
    heat = heatmap(counts, TODAY)
    assert heat.first.weekday() == 0 and heat.first <= TODAY - timedelta(days=364)
    shown = {
        heat.first + timedelta(days=7 * w + d): n
        for w, week in enumerate(heat.weeks)
        for d, n in enumerate(week)
        if n is not None
    }
    assert len(shown) == 365 and max(shown) == TODAY
    assert shown[TODAY] == 5 and shown[TODAY - timedelta(days=4)] == 40
    assert sum(shown.values()) == 49
    assert heat.streak == {TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=2)}
    assert heat.busiest == 40


def test_forecast_counts_each_day_with_overdue_today() -> None:
    ordinal = TODAY.toordinal()
    entries = [
        DueEntry(REVIEW, 0, ordinal - 3),  # overdue
        DueEntry(REVIEW, 0, ordinal),
        DueEntry(REVIEW, 0, ordinal + 1),
        DueEntry(REVIEW, 0, ordinal + 1),
        DueEntry(REVIEW, 0, ordinal + 29),
        DueEntry(REVIEW, 0, ordinal + 30),  # beyond the 30 days
    ]
    due = forecast(entries, NOW)
    assert len(due) == 30
    assert (due[0], due[1], due[29], sum(due)) == (2, 2, 1, 5)


def test_true_retention_splits_young_and_mature() -> None:
    days = {
        TODAY: day((REVIEW, 3, 5), (REVIEW, 1, 5), (REVIEW, 3, 30)),
        TODAY - timedelta(days=1): day((REVIEW, 4, 21), (REVIEW, 1, 40), (0, 3, None)),
        TODAY - timedelta(days=10): day((REVIEW, 2, 2)),
    }
    table = true_retention(days, TODAY)
    assert (table["today"]["young"].passed, table["today"]["young"].total) == (1, 2)
    assert (table["today"]["mature"].passed, table["today"]["mature"].total) == (1, 1)
    assert (table["yesterday"]["mature"].passed, table["yesterday"]["mature"].total) == (1, 2)
    assert table["7 days"]["total"].total == 5 and table["30 days"]["total"].total == 6
    assert table["30 days"]["young"].rate == 2 / 3


def test_answer_buttons_and_minutes() -> None:
    days = {
        TODAY: day((0, 3, None), (0, 1, None), (REVIEW, 4, 3), ms=30_000),
        TODAY - timedelta(days=2): day((1, 3, None), ms=90_000),
    }
    assert answer_buttons(days) == {
        "new": [1, 0, 1, 0],
        "learning": [0, 0, 1, 0],
        "review": [0, 0, 0, 1],
        "relearning": [0, 0, 0, 0],
    }
    assert minutes_per_day(days, TODAY, 3) == [1.5, 0.0, 1.5]


def test_remembered_is_the_sum_of_retrievability() -> None:
    config = SchedulerConfig(fuzz=False)
    fresh = schedule("d", "a", None, 3, NOW, config=config)
    old = CardState(REVIEW, 0, 10.0, 5.0, 10, NOW, TODAY, NOW - timedelta(days=10), 3, 0)
    mind = memory({("d", "a"): fresh, ("d", "b"): old}, NOW)
    assert mind.cards == 2
    assert abs(mind.remembered - (1.0 + 0.9)) < 1e-3  # R = 0.9 after S days
    assert sum(mind.stability) == 2 and sum(mind.retrievability) == 2


def test_pictures_fit_80_and_40_columns_without_colour() -> None:
    heat = heatmap({TODAY: 3}, TODAY)
    days = {TODAY: day((REVIEW, 3, 5))}
    mind = memory({}, NOW)
    for width in (80, 40):
        console = Console(width=width, record=True, color_system=None)
        for picture in (
            calendar(heat, width),
            forecast_bars([3, 0, 12], "today", width),
            retention_table(true_retention(days, TODAY), width),
            memory_bars(mind, width),
        ):
            console.print(picture)
        text = console.export_text()
        assert all(len(line) <= width for line in text.splitlines())
        assert "◆" in text and "12" in text and "100.0% (1/1)" in text


def test_stats_pictures_on_the_real_history(runner, tmp_path, isolated_home) -> None:  # type: ignore[no-untyped-def]
    """The real history through `progress import`, then `stats`: every figure in --json,
    the pictures at 80 and 40 columns without colour, numbers that agree."""
    import csv
    import json
    import re
    from zoneinfo import ZoneInfo

    from conftest import SHARED_DATA

    from flashcards.cli import app

    sample = SHARED_DATA / "anki-review-log-sample.csv"
    if not sample.exists():
        import pytest

        pytest.skip(f"{sample} is missing")
    zone = ZoneInfo("America/Los_Angeles")
    rows = list(csv.DictReader(sample.read_text().splitlines()))
    history = tmp_path / "history.jsonl"
    history.write_text(
        "".join(
            json.dumps(
                {
                    "deck": "anki",
                    "card": r["card_id"],
                    "rating": int(r["review_rating"]),
                    "reviewed_at": datetime.fromisoformat(r["review_time"])
                    .astimezone(zone)
                    .isoformat(),
                    "duration_ms": int(r["review_duration"]),
                }
            )
            + "\n"
            for r in rows
        )
    )
    assert runner.invoke(app, ["progress", "import", str(history)]).exit_code == 0
    decks = tmp_path / "decks"
    decks.mkdir()
    cards = sorted({r["card_id"] for r in rows})
    body = "".join(f"  - id: '{c}'\n    question: Q\n    answer: A\n" for c in cards)
    (decks / "anki.yaml").write_text("name: Anki\ncards:\n" + body)
    env = {"FLASHCARDS_NOW": "2024-10-07T10:00:00-07:00"}
    args = ["stats", "--decks", str(decks)]

    result = runner.invoke(app, [*args, "--json", "--period", "all"], env=env)
    assert result.exit_code == 0, result.output
    charts = json.loads(result.stdout)["charts"]
    calendar = charts["calendar"]["reviews_per_day"]
    assert sum(calendar.values()) == len(rows)  # every review falls within the year
    buttons = charts["answer_buttons"]
    assert sum(sum(v.values()) for v in buttons.values()) == len(rows)
    assert buttons["new"]["again"] + buttons["new"]["good"] == len(cards)
    minutes = sum(d["minutes"] for d in charts["minutes_per_day"])
    assert abs(minutes - sum(int(r["review_duration"]) for r in rows) / 60000) < 1
    year = charts["true_retention"]["year"]
    assert (
        year["young"]["total"] + year["mature"]["total"]
        == buttons["review"]["again"]
        + buttons["review"]["hard"]
        + buttons["review"]["good"]
        + buttons["review"]["easy"]
    )
    assert year["mature"]["total"] > 0
    forecast = sum(d["due"] for d in charts["forecast"])
    listed = json.loads(
        runner.invoke(app, ["cards", "--decks", str(decks), "--json"], env=env).stdout
    )
    soon = [c for c in listed if c["due_day"] and c["due_day"] < "2024-11-06"]
    learning = [c for c in listed if c["due_day"] is None and c["state"] != "new"]
    assert forecast == len(soon) + len(learning)
    remembered = charts["retrievability"]["remembered"]
    assert abs(remembered - sum(c["retrievability"] for c in listed)) < 0.1

    for columns in ("80", "40"):
        shown = runner.invoke(app, args, env={**env, "COLUMNS": columns, "NO_COLOR": "1"})
        assert shown.exit_code == 0, shown.output
        lines = shown.stdout.splitlines()
        assert all(len(line) <= int(columns) for line in lines), columns
        text = shown.stdout
        for heading in ("Calendar", "Forecast", "True retention", "Answer buttons", "Time studied"):
            assert heading in text
        assert "\x1b[" not in text
        said = re.search(rf"about (\d+) of {len(cards)} cards remembered", " ".join(text.split()))
        assert said is not None and abs(int(said.group(1)) - remembered) <= 1
        assert str(charts["forecast"][0]["due"]) in text
