"""Cram answers in ``stats``: counted per study day apart from answers (in the JSON
store's snapshot and DynamoDB's reviews alike), shown today and over the period, and
changing no other figure."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.days import study_date
from flashcards.model import CRAM, DayStats, Review
from flashcards.render import charts_view
from flashcards.reports import Charts
from flashcards.scheduling import schedule
from flashcards.stores import snapshot
from flashcards.stores.jsonstore import JsonStore

NOW = "2026-11-23T10:00:00+01:00"
LATER = "2026-11-23T18:00:00+01:00"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

DECK = """\
name: D
cards:
  - {id: a, question: qa, answer: aa}
  - {id: b, question: qb, answer: ab}
  - {id: c, question: qc, answer: ac}
"""


@pytest.fixture
def decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "d.yaml").write_text(DECK)
    monkeypatch.setenv("FLASHCARDS_DECKS", str(folder))
    return folder


@pytest.fixture
def store(store_kind: str, decks: Path) -> str:
    """Each test on the JSON store and on DynamoDB (moto, in this process)."""
    return store_kind


def ok(runner: CliRunner, *args: str, input: str | None = None, now: str = NOW) -> str:
    result = runner.invoke(app, list(args), input=input, env={"FLASHCARDS_NOW": now})
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def stats(runner: CliRunner, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(runner, "stats", "--json", *args, now=LATER))
    return data


def test_stats_show_cram_answers_and_no_other_figure_changes(runner: CliRunner, store: str) -> None:
    ok(runner, "study", input="\n4\n\n1\nq\n")
    before = stats(runner)
    assert before["charts"]["cram_answers"] == {"today": 0, "period": 0}
    assert "Cram answers" not in ok(runner, "stats", now=LATER)
    ok(runner, "study", "--cram", input="\n3\n\n3\n\n2\nq\n")  # three cram answers
    after = stats(runner)
    assert after["charts"].pop("cram_answers") == {"today": 3, "period": 3}
    before["charts"].pop("cram_answers")
    assert after == before  # every other figure as it was
    text = ok(runner, "stats", now=LATER)
    assert "Cram answers: 3 today, 3 in 365 days (not used for scheduling)" in text
    # The next week, they are no longer today's but still within the period.
    week = json.loads(ok(runner, "stats", "--json", now="2026-11-30T10:00:00+01:00"))
    assert week["charts"]["cram_answers"] == {"today": 0, "period": 3}


def _cram(card: str, at: datetime) -> Review:
    return Review(uuid.uuid4().hex, "d", card, 3, at, 500, 0, None, action=CRAM)


def test_the_snapshot_keeps_cram_counts_and_an_older_one_is_rebuilt_quietly(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonStore(isolated_home)
    state = schedule("d", "a", None, 3, T0)
    store.record(Review("r1", "d", "a", 3, T0, 1000, 0, state), None)
    for minutes in (1, 2):
        made = _cram("b", T0 + timedelta(minutes=minutes))
        store.record(made, None)
    day = study_date(T0)
    store.compact()
    expected = JsonStore(isolated_home, use_snapshot=False).day_stats()
    assert expected["d"][day].cram == 2 and expected["d"][day].reviews == 1
    again = JsonStore(isolated_home)
    assert again.day_stats() == expected and again.notices == []
    # A snapshot of the format before cram answers were counted: read as none, rebuilt
    # from the log (no notice: nothing is wrong), counting them.
    with monkeypatch.context() as patched:
        patched.setattr(snapshot, "FORMAT", 5)  # the last that did not count them
        patched.setattr(DayStats, "as_list", lambda self: _old_list(self))
        JsonStore(isolated_home).rebuild_snapshot()
    older = JsonStore(isolated_home)
    assert older.day_stats() == expected and older.notices == []


def _old_list(stats: DayStats) -> list[int]:
    return [
        *stats.ratings,
        stats.young,
        stats.young_passed,
        stats.mature,
        stats.mature_passed,
        stats.milliseconds,
    ]


def test_check_agrees_with_a_snapshot_counting_cram_answers(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    store = JsonStore(isolated_home)
    for minutes, card in enumerate("abc"):
        store.record(_cram(card, T0 + timedelta(minutes=minutes)), None)
    store.compact()
    report = json.loads(ok(runner, "check", "--json"))
    assert report["ok"] and report["findings"] == []
    assert report["reviews"] == 0  # answers only, as before: cram answers are counted apart


def test_the_cram_line_fits_40_columns() -> None:
    from flashcards.charts import heatmap, memory, true_retention

    today = study_date(T0)
    charts = Charts(
        calendar=heatmap({}, today),
        forecast=[0],
        retention=true_retention({}, today),
        buttons={},
        minutes=[0.0],
        memory=memory({}, T0),
        period="1m",
        cram_today=2,
        cram_period=14,
    )
    console = Console(width=40, record=True, color_system=None)
    console.print(charts_view(charts, 40))
    text = console.export_text()
    assert "Cram answers: 2 today, 14 in 30 days" in " ".join(text.split())
    assert all(len(line) <= 40 for line in text.splitlines())


def test_stats_of_chosen_tags_count_their_cram_answers(
    runner: CliRunner, store: str, decks: Path
) -> None:
    (decks / "d.yaml").write_text(DECK.replace("name: D\n", "name: D\ntags: [x]\n"))
    ok(runner, "study", input="\n4\nq\n", now="2026-11-20T10:00:00+01:00")
    before = stats(runner, "--tag", "x")
    ok(runner, "study", "--cram", input="\n3\n\n3\nq\n")  # two cram answers
    after = stats(runner, "--tag", "x")
    assert after["charts"].pop("cram_answers") == {"today": 2, "period": 2}
    before["charts"].pop("cram_answers")
    assert after == before  # no streak (a day of cram alone), count or rating from them
    assert stats(runner, "--tag", "-x")["charts"]["cram_answers"] == {"today": 0, "period": 0}
