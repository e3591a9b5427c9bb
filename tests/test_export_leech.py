"""A leech goes to Anki tagged ``leech``, as Anki tags its own, so that ``tag:leech``
finds it there too."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from flashcards.cli import app

DECK = """\
name: Leechy
options:
  leech_threshold: 2
  learning_steps: []
  relearning_steps: []
cards:
  - {id: a, question: qa, answer: aa}
  - {id: b, question: qb, answer: ab}
"""


def _study(runner: CliRunner, day: str, keys: str) -> None:
    result = runner.invoke(
        app, ["study", "lee"], input=keys, env={"FLASHCARDS_NOW": f"2026-11-{day}T10:00:00+00:00"}
    )
    assert result.exit_code == 0, result.output


def test_a_leech_is_tagged_leech_in_the_package(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    (isolated_home / "decks").mkdir(parents=True)
    (isolated_home / "decks" / "lee.yaml").write_text(DECK)
    _study(runner, "01", "\n3\n\n3\nq\n")  # both graduate at once
    _study(runner, "05", "\n1\n\n3\nq\n")  # a lapses, b is remembered
    _study(runner, "06", "\n1\nq\n")  # a lapses again: a leech
    leeches = runner.invoke(app, ["cards", "--leech", "--json"])
    assert [row["id"] for row in json.loads(leeches.stdout)] == ["a"]
    out = tmp_path / "lee.apkg"
    result = runner.invoke(
        app,
        ["export", "lee", "--to", str(out)],
        env={"FLASHCARDS_NOW": "2026-11-06T11:00:00+00:00"},
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as package:
        (tmp_path / "collection.anki21").write_bytes(package.read("collection.anki21"))
    with sqlite3.connect(tmp_path / "collection.anki21") as db:
        tags = dict(db.execute("SELECT guid, tags FROM notes"))
    assert tags["fc:lee/a"].split() == ["leech"]
    assert tags["fc:lee/b"].split() == []
