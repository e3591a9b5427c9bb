"""``list-decks`` counts a review card as due on its whole study day, in the learner's
offset now: flying east, a review due today is due from 4 a.m. here, although 4 a.m.
where it was answered is hours away yet."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.days import study_date
from flashcards.scheduling import schedule

ANSWERED = "2026-03-02T10:00:00-05:00"


def test_a_review_due_today_counts_as_due_although_its_moment_is_later(
    runner: CliRunner, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "d.yaml").write_text("name: D\ncards:\n  - {id: c, question: q, answer: a}\n")
    review = {"id": "r1", "deck": "d", "card": "c", "rating": 4, "reviewed_at": ANSWERED}
    log = tmp_path / "reviews.jsonl"
    log.write_text(json.dumps(review) + "\n")
    imported = runner.invoke(app, ["progress", "import", str(log)])
    assert imported.exit_code == 0, imported.output

    state = schedule("d", "c", None, 4, datetime.fromisoformat(ANSWERED))
    assert state.due_day is not None
    # 5 a.m. on the due day in UTC+2: 03:00 UTC, before 4 a.m. in UTC-5 (09:00 UTC)
    now = f"{state.due_day.isoformat()}T05:00:00+02:00"
    assert study_date(datetime.fromisoformat(now)) == state.due_day
    assert datetime.fromisoformat(now) < state.due

    env = {"FLASHCARDS_NOW": now}
    listed = runner.invoke(app, ["list-decks", "--json", "--decks", str(decks)], env=env)
    assert listed.exit_code == 0, listed.output
    (row,) = [r for r in json.loads(listed.stdout) if r["id"] == "d"]
    assert (row["new"], row["due"]) == (0, 1)
    stats = runner.invoke(app, ["stats", "d", "--json", "--decks", str(decks)], env=env)
    assert stats.exit_code == 0, stats.output
    (deck,) = [d for d in json.loads(stats.stdout)["decks"] if d["id"] == "d"]
    assert (deck["due_now"], deck["due_today"]) == (1, 1)
