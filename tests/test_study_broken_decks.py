"""Studying a folder whose every deck fails to load names the broken decks, rather than
saying there are none (which sends the learner looking in the wrong place)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flashcards.cli import app


def test_a_folder_of_broken_decks_is_not_an_empty_folder(
    runner: CliRunner, deck_folder: Path, isolated_home: Path
) -> None:
    (deck_folder / "greek.yaml").write_text("name: Greek\ncards:\n  - {question: q}\n")
    result = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="q\n")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: no deck to study in {deck_folder}: 1 deck could not be read (greek) — run "
        "`flashcards check`"
    ]
    assert "Traceback" not in result.output
