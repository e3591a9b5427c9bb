"""The README stays true: its deck example loads, its commands and options exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.decks import parse_deck

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_deck_format_example_is_a_valid_deck(tmp_path: Path) -> None:
    (example,) = blocks("yaml")
    deck = parse_deck(tmp_path / "aws-dynamodb.yaml", example.encode())
    assert deck.id == "aws-dynamodb" and deck.name == "AWS DynamoDB"
    assert deck.cards[0].id == "dynamodb-what-is"
    assert deck.cards[1].answer.startswith("- Strict data modeling")


def test_every_command_in_the_readme_exists(runner: CliRunner) -> None:
    commands = set(re.findall(r"`flashcards ([a-z-]+(?: [a-z]+)?)", README))
    assert {"study", "list-decks", "stats"} <= {c.split()[0] for c in commands}
    for command in commands:
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, command


def test_the_piped_study_example_works(runner: CliRunner) -> None:
    match = re.search(r"printf '(.*?)' \| flashcards study (\S+)`", README)
    assert match is not None
    keys = match.group(1).encode().decode("unicode_escape")
    result = runner.invoke(app, ["study", match.group(2)], input=keys)
    assert result.exit_code == 0
    assert "Answered 1 card" in result.stdout


def test_config_example_is_accepted(isolated_home: Path, runner: CliRunner) -> None:
    examples = blocks("toml")
    (store_example,) = [b for b in examples if "store =" in b]
    (fsrs_example,) = [b for b in examples if "[fsrs]" in b]
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        store_example.replace("dynamodb://flashcards?endpoint_url=http://127.0.0.1:8000", "json")
    )
    from flashcards.config import load_settings

    assert load_settings().profile == "alice"
    (isolated_home / "config.toml").write_text(fsrs_example)
    scheduling = load_settings().scheduling
    assert scheduling.for_deck("aws-dynamodb").desired_retention == 0.85
    assert scheduling.for_deck("dynamoose").desired_retention == 0.9
    assert len(scheduling.for_deck("dynamoose").parameters) == 21


def test_deck_options_example_is_accepted(isolated_home: Path, runner: CliRunner) -> None:
    (example,) = [b for b in blocks("toml") if "[options]" in b]
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(example)
    from flashcards.catalog import open_catalog
    from flashcards.config import load_settings
    from flashcards.deckpaths import builtin_deck_folder

    settings = load_settings()
    assert settings.builtin_decks is False
    listed = runner.invoke(app, ["list-decks", "--json"])
    assert listed.exit_code == 0 and listed.stdout.strip() == "[]"
    catalog = open_catalog([builtin_deck_folder()], None)
    options = settings.deck_options(catalog)
    assert options("aws-dynamodb").new_per_day == 5
    assert options("aws-dynamodb").leech_action == "suspend"
    assert options("dynamoose").new_per_day == 30
    assert options("dynamoose").learning_steps == (1.0, 10.0, 60.0)
