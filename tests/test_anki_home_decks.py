"""A deck kept in ``$FLASHCARDS_HOME/decks`` (made by importing notes, or by ``add``)
goes to Anki and comes back: the reviews given in Anki are added and the deck file stays
the learner's (its notes and comments are where it came from), without ``--force``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ankibuild import export_package, import_into_anki, open_collection, utc_environment
from typer.testing import CliRunner

from flashcards.cli import app

NOW = "2026-05-01T12:00:00+00:00"
NOTES = """\
# Greek

## Letters

Q: First letter?
A: alpha

Q: Second letter?
A: beta
"""


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    utc_environment()
    monkeypatch.setenv("FLASHCARDS_NOW", NOW)


def _ok(runner: CliRunner, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def _reviews(home: Path) -> list[dict[str, object]]:
    log = home / "reviews.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()]


def _review_in_anki(package: Path, back: Path, tmp_path: Path) -> None:
    """Import ``package`` into a fresh Anki collection, answer every due card Good
    there, and export the collection to ``back``."""
    (tmp_path / "anki").mkdir()
    col = open_collection(tmp_path / "anki" / "collection.anki2")
    from anki.scheduler.v3 import CardAnswer  # after the collection: anki's import order

    try:
        import_into_anki(col, package)
        deck = next(d for d in col.decks.all_names_and_ids() if d.name != "Default")
        col.decks.select(deck.id)
        while queued := col.sched.get_queued_cards().cards:
            card = col.get_card(queued[0].card.id)
            card.start_timer()
            answer = col.sched.build_answer(
                card=card, states=queued[0].states, rating=CardAnswer.EASY
            )
            col.sched.answer_card(answer)
        export_package(col, back, legacy=False)
    finally:
        col.close()


@pytest.mark.parametrize("made_by", ["notes", "add"])
def test_a_home_deck_comes_back_from_anki_with_its_reviews(
    made_by: str, isolated_home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    if made_by == "notes":
        notes = tmp_path / "greek.md"
        notes.write_text(NOTES)
        _ok(runner, "import", str(notes))
    else:
        _ok(runner, "add", "greek", "-q", "First letter?", "-a", "alpha")
        _ok(runner, "add", "greek", "-q", "Second letter?", "-a", "beta")
    deck_file = isolated_home / "decks" / "greek.yaml"
    _ok(runner, "study", "greek", stdin="\n3\nq\n")
    ours = _reviews(isolated_home)
    assert len(ours) == 1
    deck_before = deck_file.read_bytes()

    package, back = tmp_path / "out.apkg", tmp_path / "back.apkg"
    _ok(runner, "export", "greek", "--to", str(package))
    _review_in_anki(package, back, tmp_path)

    said = _ok(runner, "import", str(back))
    assert "Kept deck greek" in said
    assert deck_file.read_bytes() == deck_before
    after = _reviews(isolated_home)
    assert after[: len(ours)] == ours  # nothing of ours changed or doubled
    assert len(after) > len(ours)  # Anki's answers came along
    rows = json.loads(_ok(runner, "cards", "greek", "--json"))
    assert all(row["reps"] >= 1 for row in rows)
    if made_by == "notes":  # the notes still own the deck: importing them again works
        _ok(runner, "import", str(tmp_path / "greek.md"))


def test_answers_in_one_millisecond_come_back_from_a_package_once(
    isolated_home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    # a fixed clock (or a history with whole seconds) gives several cards' answers one
    # millisecond; Anki's revlog needs a distinct id each, so the export spreads them
    for question in ("one", "two", "three"):
        _ok(runner, "add", "nums", "-q", question, "-a", question.upper())
    _ok(runner, "study", "nums", stdin="\n3\n\n3\n\n3\nq\n")
    log = (isolated_home / "reviews.jsonl").read_bytes()
    assert len({row["reviewed_at"] for row in _reviews(isolated_home)}) == 1
    package = tmp_path / "nums.apkg"
    _ok(runner, "export", "nums", "--to", str(package))

    said = _ok(runner, "import", str(package))
    assert "3 reviews (added 0, 3 already present)" in said
    assert (isolated_home / "reviews.jsonl").read_bytes() == log
