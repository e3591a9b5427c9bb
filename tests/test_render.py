"""`list-decks`, `stats` and one card in full at 80 and 40 columns: every number shown,
no header broken into fragments; user text shown literally in every table and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from flashcards.cli import app

MONDAY = "2026-11-23T10:00:00+01:00"
STATS_HEADERS = (
    "Deck",
    "Cards",
    "New",
    "Learn",
    "Review",
    "Relearn",
    "Due",
    "7 days",
    "Done",
    "Retention",
    "Streak",
)
_NUMBER = re.compile(r"\d+%|\d+d\b|\d+|—")


def run(runner: CliRunner, *args: str, columns: int = 80, input: str | None = None):
    return runner.invoke(
        app, list(args), input=input, env={"FLASHCARDS_NOW": MONDAY, "COLUMNS": str(columns)}
    )


@pytest.fixture
def decks(runner: CliRunner, deck_folder: Path) -> list[str]:
    """The built-in decks studied a little, and one deck with a long id and a name in
    rich markup."""
    (deck_folder / "a-deck-with-a-rather-long-identifier.yaml").write_text(
        'name: "[red]X[/red] and [bold]y"\n'
        "cards:\n" + "".join(f"  - {{id: c{i}, question: q{i}, answer: a}}\n" for i in range(12))
    )
    from flashcards.deckpaths import builtin_deck_folder

    args = ["--decks", str(builtin_deck_folder()), "--decks", str(deck_folder)]
    result = run(runner, "study", "aws-dynamodb", *args, input="\n3\n\n1\n\n4\nq\n")
    assert result.exit_code == 0, result.output
    result = run(runner, "study", "a-deck-with-a-rather-long-identifier", *args, input="\n4\nq\n")
    assert result.exit_code == 0, result.output
    return args


def numbers(text: str) -> list[str]:
    return _NUMBER.findall(text)


def record(lines: list[str], deck_id: str) -> str:
    """What a deck takes, without its id: its table row (the id perhaps folded over a
    few lines, the row perhaps wrapped), or its block (up to the next blank line)."""
    blocks = not any(line.startswith("Deck ") for line in lines)
    for start, line in enumerate(lines):
        head = line.split(" ")[0]
        if not head or not deck_id.startswith(head):
            continue
        found, end, rest = head, start + 1, [line[len(head) :]]
        while found != deck_id and end < len(lines):
            piece = lines[end].split(" ")[0]
            if not piece or not deck_id[len(found) :].startswith(piece):
                break
            found += piece
            rest.append(lines[end][len(piece) :])
            end += 1
        if found != deck_id:
            continue
        while end < len(lines) and (blocks or lines[end].startswith(" ")) and lines[end].strip():
            rest.append(lines[end])
            end += 1
        return "\n".join(rest)
    raise AssertionError(f"{deck_id} is not shown")


def assert_fits(text: str, columns: int) -> list[str]:
    lines = text.splitlines()
    assert all(cell_len(line.rstrip()) <= columns for line in lines)
    return lines


@pytest.mark.parametrize("columns", [80, 40])
def test_stats_shows_every_number_and_whole_headers(
    runner: CliRunner, decks: list[str], columns: int
) -> None:
    result = run(runner, "stats", *decks, columns=columns)
    assert result.exit_code == 0, result.output
    lines = assert_fits(result.stdout, columns)
    payload = json.loads(run(runner, "stats", "--json", *decks).stdout)
    for deck in [*payload["decks"], payload["total"]]:
        expected = [
            str(deck[key])
            for key in (
                "cards",
                "new",
                "learning",
                "review",
                "relearning",
                "due_today",
                "due_7_days",
                "reviews_today",
            )
        ]
        retention = deck["retention_30d"]
        expected += ["—" if retention is None else f"{retention:.0%}", f"{deck['streak_days']}d"]
        labels = record(lines, deck["id"]).replace("7 days", "").replace("30d", "")
        assert numbers(labels) == expected, deck["id"]
    if columns == 80:
        header = next(line for line in lines if line.startswith("Deck "))
        assert [h for h in STATS_HEADERS if h in header] == list(STATS_HEADERS)
    else:  # one block per deck, each number labelled
        assert "due in 7 days" in result.stdout and "reviewed today" in result.stdout


@pytest.mark.parametrize("columns", [80, 40])
def test_list_decks_shows_every_deck_whole(
    runner: CliRunner, decks: list[str], columns: int
) -> None:
    result = run(runner, "list-decks", *decks, columns=columns)
    assert result.exit_code == 0, result.output
    lines = assert_fits(result.stdout, columns)
    rows = json.loads(run(runner, "list-decks", "--json", *decks).stdout)
    for row in rows:
        text = record(lines, row["id"])
        keys = ("cards", "new", "due", "learning", "buried", "suspended")
        expected = [str(row[key]) for key in keys]
        assert numbers(text)[:6] == expected, row["id"]  # then the source's path
        words = text.split()
        assert all(word in words for word in row["name"].split()), row["id"]
    # markup in a deck name is shown as written, never obeyed
    assert "[red]X[/red]" in result.stdout and "[bold]y" in result.stdout
    if columns == 80:
        header = next(line for line in lines if line.startswith("Deck "))
        # the paths of the files are too long to stand beside the numbers: listed below
        assert header.split() == [
            *("Deck", "Name", "Cards", "New", "Due", "Learning", "Buried", "Suspended")
        ]
        assert "Source" in lines
        for row in rows:
            assert any(line.startswith(row["id"]) and "built-in" in line for line in lines) or (
                row["path"].endswith(".yaml") and Path(row["path"]).name[-10:] in result.stdout
            )


@pytest.mark.parametrize("columns", [80, 40])
def test_one_card_in_full_fits(runner: CliRunner, decks: list[str], columns: int) -> None:
    result = run(runner, "cards", "aws-dynamodb/dynamodb-over-mongodb", *decks, columns=columns)
    assert result.exit_code == 0, result.output
    lines = assert_fits(result.stdout, columns)
    for label in ("Stability", "Difficulty", "Retrievability", "Reviews"):
        assert any(line.startswith(label) for line in lines)
    assert "2026-11-23 10:00" in result.stdout and "Again" in result.stdout


def test_a_table_too_wide_for_the_terminal_becomes_blocks_not_fragments() -> None:
    from rich.console import Console

    from flashcards.render import deck_table

    rows = [
        {
            "id": "d",
            "name": "N",
            "cards": 123456,
            "new": 7,
            "due": 8,
            "learning": 9,
            "buried": 4,
            "suspended": 5,
            "path": "/x/d.yaml",
        }
    ]
    for width in range(20, 90, 7):
        console = Console(width=width, record=True, color_system=None)
        console.print(deck_table(rows, width))
        out = console.export_text()
        assert "123456" in out and all(cell_len(line) <= width for line in out.splitlines())
        assert ("Learning" in out) or ("learning 9" in out)
        assert ("Buried" in out) or ("buried 4" in out)
        assert ("Suspended" in out) or ("suspended 5" in out)


def test_control_sequences_in_a_deck_file_name_are_shown_not_sent(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "good.yaml").write_text("name: Good\ncards:\n  - {question: q, answer: a}\n")
    hostile = deck_folder / "clip\x1b]52;c;aGVsbG8=\x07board.yaml"
    hostile.write_text("name: Bad\ncards: 3\n")
    summary = runner.invoke(app, ["list-decks", "--decks", str(deck_folder)])
    assert summary.exit_code == 0
    assert "\x1b" not in summary.output and "\x07" not in summary.output
    assert "clip\\x1b]52;c;aGVsbG8=\\x07board" in summary.stderr
    named = runner.invoke(
        app, ["stats", "--decks", str(deck_folder / "good.yaml"), "--decks", str(hostile)]
    )
    assert named.exit_code == 1
    assert "\x1b" not in named.output and "\x07" not in named.output
    assert "clip\\x1b]52;c;aGVsbG8=\\x07board.yaml:2: `cards` must be a list" in named.stderr


def test_markup_in_ids_and_questions_is_shown_literally(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "[bold]deck.yaml").write_text(
        'name: "[red]X[/red]"\ncards:\n  - {id: "[blink]c", question: "[red]Q[/red]", answer: a}\n'
    )
    args = ["--decks", str(deck_folder)]
    for command in (["list-decks"], ["stats"], ["cards"], ["cards", "[bold]deck/[blink]c"]):
        result = runner.invoke(app, [*command, *args], env={"FLASHCARDS_NOW": MONDAY})
        assert result.exit_code == 0, (command, result.output)
        assert "[bold]deck" in result.stdout, command
    listed = runner.invoke(app, ["list-decks", *args]).stdout
    assert "[red]X[/red]" in listed
    shown = runner.invoke(app, ["cards", "[bold]deck/[blink]c", *args]).stdout
    assert "[red]Q[/red]" in shown and "[blink]c" in shown


def test_deck_ids_stay_whole_and_the_sources_go_below_when_both_do_not_fit() -> None:
    from rich.console import Console

    from flashcards.render import deck_table

    row = {"cards": 5, "new": 5, "due": 0, "learning": 0, "buried": 0, "suspended": 0}
    rows = [
        {"id": "aws-api-gateway", "name": "AWS API Gateway", "path": "built-in", **row},
        {"id": "greek", "name": "Greek", "path": "/tmp/r/decks/greek.yaml", **row},
    ]
    console = Console(width=80, record=True, color_system=None)
    console.print(deck_table(rows, 80))
    out = console.export_text()
    assert "aws-api-gateway  AWS API Gateway" in out
    assert any(line.split() == ["aws-api-gateway", "built-in"] for line in out.splitlines())
