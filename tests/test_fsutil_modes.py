"""A file written atomically keeps the permissions of the file it replaces, and a new
one gets what a plain open would give it: never the 0600 of the temp file behind it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards import fsutil
from flashcards.cli import app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.write_text("old")
    path.chmod(0o640)
    fsutil.write_atomically(path, b"new")
    assert path.read_text() == "new" and mode(path) == 0o640


def test_a_new_file_gets_the_umask_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fsutil, "_UMASK", 0o022)
    fresh = tmp_path / "fresh"
    fsutil.write_atomically(fresh, b"x")
    assert mode(fresh) == 0o644  # as `open` gives it, not the temp file's 0600


def test_adding_a_card_keeps_the_deck_file_permissions(
    runner: CliRunner, isolated_home: Path
) -> None:
    assert runner.invoke(app, ["add", "mine", "-q", "one?", "-a", "1"]).exit_code == 0
    deck = isolated_home / "decks" / "mine.yaml"
    assert mode(deck) == fsutil.mode_for(isolated_home / "none") != 0o600
    deck.chmod(0o604)
    assert runner.invoke(app, ["add", "mine", "-q", "two?", "-a", "2"]).exit_code == 0
    assert "two?" in deck.read_text() and mode(deck) == 0o604
