"""The study screen's Learning count is Anki's: the learning cards due now or within
the 20 minutes Anki shows early, not those waiting for a later step today."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flashcards.cli import app

DECK = """\
name: Steps
options:
  learning_steps: [1h, 2h]
cards:
  - {id: a, question: qa, answer: aa}
  - {id: b, question: qb, answer: ab}
"""


def _headers(runner: CliRunner, now: str, keys: str) -> list[str]:
    result = runner.invoke(
        app, ["study", "steps"], input=keys, env={"FLASHCARDS_NOW": f"2026-11-21T{now}+00:00"}
    )
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line.startswith("Steps ")]


def test_a_card_waiting_for_a_later_step_is_not_counted_until_it_is_near(
    runner: CliRunner, isolated_home: Path
) -> None:
    (isolated_home / "decks").mkdir(parents=True)
    (isolated_home / "decks" / "steps.yaml").write_text(DECK)
    # Good on a: its next step is 2 hours away; b is left new
    headers = _headers(runner, "10:00:00", "\n3\nq\n")
    assert headers[0].endswith("New 2 · Learning 0 · Review 0")
    assert headers[-1].endswith("New 1 · Learning 0 · Review 0")
    # 1 h 50 m later a is due within 20 minutes: counted (and shown once b is done)
    assert _headers(runner, "11:50:00", "q\n")[0].endswith("New 1 · Learning 1 · Review 0")
