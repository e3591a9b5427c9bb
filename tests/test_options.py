"""Deck options: in deck files and config.toml, in their order of precedence, checked
with file and line, and followed by the study queue and the scheduler."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards.catalog import CACHE_SCHEMA, open_catalog
from flashcards.cli import app
from flashcards.config import load_settings
from flashcards.decks import parse_deck
from flashcards.errors import DeckError, UsageError
from flashcards.options import DEFAULT_OPTIONS, DeckOptions, is_leech_lapse
from flashcards.scheduling import DEFAULT_CONFIG, button_seconds
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY = "2026-11-23T10:00:00+01:00"


def deck_text(name: str, cards: int, options: str = "") -> str:
    lines = [f"name: {name}"]
    if options:
        lines += ["options:", *(f"  {line}" for line in options.strip().splitlines())]
    lines.append("cards:")
    lines += [f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(cards)]
    return "\n".join(lines) + "\n"


def write_deck(folder: Path, deck_id: str, cards: int = 10, options: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{deck_id}.yaml"
    path.write_text(deck_text(deck_id.upper(), cards, options))
    return path


def write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def session(tmp_path: Path, folder: Path, decks: list[str] | None = None) -> StudySession:
    settings = load_settings(decks=[folder])
    catalog = open_catalog(settings.deck_path, settings.cache_folder)
    return StudySession(
        JsonStore(tmp_path / "store"),
        catalog,
        decks or [],
        NOW,
        schedulers=settings.schedulers(catalog),
        options=settings.deck_options(catalog),
    )


def test_leeches_as_anki_at_the_threshold_then_every_half_threshold() -> None:
    # Anki's own table (rslib/src/scheduler/states/review.rs, leech_threshold)
    assert [n for n in range(10) if is_leech_lapse(n, 3)] == [3, 5, 7, 9]
    assert [n for n in range(25) if is_leech_lapse(n, 8)] == [8, 12, 16, 20, 24]
    assert [n for n in range(5) if is_leech_lapse(n, 1)] == [1, 2, 3, 4]
    assert not any(is_leech_lapse(n, 0) for n in range(20))


def test_a_deck_with_three_new_a_day_shows_three(runner: CliRunner, deck_folder: Path) -> None:
    write_deck(deck_folder, "five", 5, "new_per_day: 3")
    result = runner.invoke(
        app,
        ["study", "--decks", str(deck_folder)],
        input="\n4\n" * 5 + "q\n",
        env={"FLASHCARDS_NOW": MONDAY},
    )
    assert result.exit_code == 0, result.output
    assert "FIVE   New 3 · Learning 0 · Review 0" in result.stdout
    assert "Answered 3 cards (0 Again)" in result.stdout
    assert "q3" not in result.stdout and "q4" not in result.stdout


def test_config_for_a_deck_beats_its_file_and_config_defaults_are_beaten_by_it(
    tmp_path: Path, deck_folder: Path, isolated_home: Path
) -> None:
    write_deck(deck_folder, "own", 30, "new_per_day: 3\nlearning_steps: [2, 20]")
    write_deck(deck_folder, "plain", 30)
    write_config(
        isolated_home,
        "[options]\nnew_per_day = 7\nlearning_steps = [4]\nleech_action = 'suspend'\n\n"
        '[decks."own"]\nnew_per_day = 5\n',
    )
    settings = load_settings(decks=[deck_folder])
    options = settings.deck_options(open_catalog(settings.deck_path, None))
    assert options("own") == DeckOptions(
        new_per_day=5, learning_steps=(2.0, 20.0), leech_action="suspend"
    )
    assert options("plain") == DeckOptions(
        new_per_day=7, learning_steps=(4.0,), leech_action="suspend"
    )
    assert session(tmp_path, deck_folder, ["own"]).counts().new == 5
    assert session(tmp_path, deck_folder, ["plain"]).counts().new == 7


def test_the_file_sets_what_config_leaves_unset_over_the_defaults(
    tmp_path: Path, deck_folder: Path
) -> None:
    write_deck(deck_folder, "d", 30, "new_per_day: 4\nbury_siblings: false")
    settings = load_settings(decks=[deck_folder])
    options = settings.deck_options(open_catalog(settings.deck_path, None))
    assert options("d") == DeckOptions(new_per_day=4, bury_siblings=False)
    assert options("elsewhere") is DEFAULT_OPTIONS
    assert session(tmp_path, deck_folder).counts().new == 4


def test_learning_steps_from_the_options_change_the_intervals(
    runner: CliRunner, deck_folder: Path, isolated_home: Path
) -> None:
    write_deck(deck_folder, "steps", 2, "learning_steps: [5m, 1h]")
    result = runner.invoke(
        app, ["study", "--decks", str(deck_folder)], input="\nq\n", env={"FLASHCARDS_NOW": MONDAY}
    )
    assert result.exit_code == 0, result.output
    assert "Again 5m" in result.stdout and "Good 1h" in result.stdout
    write_config(isolated_home, '[decks."steps"]\nlearning_steps = [3]\n')
    result = runner.invoke(
        app, ["study", "--decks", str(deck_folder)], input="\nq\n", env={"FLASHCARDS_NOW": MONDAY}
    )
    assert "Again 3m" in result.stdout and "Good 3m" not in result.stdout


def test_each_deck_scheduler_follows_its_options_and_keeps_fitted_parameters(
    deck_folder: Path, isolated_home: Path
) -> None:
    fitted = [round(0.1 * i + 0.05, 4) for i in range(21)]
    write_deck(deck_folder, "a", 1, "desired_retention: 0.8\nmaximum_interval: 30")
    write_deck(deck_folder, "b", 1)
    write_config(
        isolated_home,
        f"[fsrs]\nparameters = {fitted}\ndesired_retention = 0.85\n\n"
        '[decks."b"]\nrelearning_steps = []\n',
    )
    settings = load_settings(decks=[deck_folder])
    schedulers = settings.schedulers(open_catalog(settings.deck_path, None))
    a, b = schedulers("a"), schedulers("b")
    assert (a.desired_retention, a.maximum_interval) == (0.8, 30)
    assert (b.desired_retention, b.relearning_steps) == (0.85, ())
    assert a.parameters == b.parameters == tuple(float(p) for p in fitted)
    easy = button_seconds("a", "c0", None, NOW, config=a)[4]
    assert easy <= 30 * 86_400  # the maximum interval holds
    assert load_settings(decks=[deck_folder]).scheduling.for_deck("b").desired_retention == 0.85


def test_no_options_anywhere_is_ankis_defaults(deck_folder: Path) -> None:
    write_deck(deck_folder, "d", 1)
    settings = load_settings(decks=[deck_folder])
    catalog = open_catalog(settings.deck_path, None)
    assert settings.deck_options(catalog)("d") is DEFAULT_OPTIONS
    assert settings.schedulers(catalog)("d") is DEFAULT_CONFIG


def test_options_survive_the_deck_cache(deck_folder: Path, tmp_path: Path) -> None:
    write_deck(deck_folder, "d", 3, "learning_steps: [1, 10, 60]\nnew_order: random")
    cache = tmp_path / "cache"
    fresh = open_catalog([deck_folder], cache)
    cached = open_catalog([deck_folder], cache)
    assert fresh.infos == cached.infos
    assert dict(cached.info("d").options) == {
        "learning_steps": (1.0, 10.0, 60.0),
        "new_order": "random",
    }
    assert cached.deck("d").options == fresh.deck("d").options
    assert CACHE_SCHEMA >= 4


def test_bury_siblings_in_options_wins_over_the_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    text = "name: D\nbury_siblings: true\noptions:\n  bury_siblings: false\ncards:\n"
    text += "  - {question: q, answer: a}\n"
    deck = parse_deck(path, text.encode())
    assert deck.bury_siblings is False and dict(deck.options) == {"bury_siblings": False}
    top = parse_deck(path, text.replace("options:\n  bury_siblings: false\n", "").encode())
    assert top.bury_siblings is True and dict(top.options) == {"bury_siblings": True}


BAD_DECK_OPTIONS = [
    ("new_per_day: -1", "new_per_day must be a whole number of at least 0"),
    ("reviews_per_day: lots", "reviews_per_day must be a whole number"),
    ("new_per_day: 2.5", "new_per_day must be a whole number"),
    ("learning_steps: [1, 0]", "learning_steps must be positive numbers of minutes"),
    ("relearning_steps: [-10]", "relearning_steps must be positive numbers"),
    ("learning_steps: 1m soon", "learning_steps must be positive numbers"),
    ("learning_steps: {a: 1}", "learning_steps must be a list of steps"),
    ("desired_retention: 0.5", "desired_retention must be a number from 0.70 to 0.99"),
    ("desired_retention: 1", "desired_retention must be a number from 0.70 to 0.99"),
    ("maximum_interval: 0", "maximum_interval must be a whole number of days from 1 to 36500"),
    ("maximum_interval: 36501", "maximum_interval must be a whole number of days from 1 to 36500"),
    ("new_order: shuffled", "new_order must be deck or random"),
    ("leech_action: delete", "leech_action must be tag or suspend"),
    ("leech_threshold: -3", "leech_threshold must be a whole number"),
    ("bury_siblings: maybe", "bury_siblings must be true or false"),
    ("new_cards: 3", "unknown option 'new_cards'"),
]


@pytest.mark.parametrize(("option", "message"), BAD_DECK_OPTIONS)
def test_a_bad_option_in_a_deck_file_names_file_line_and_option(
    tmp_path: Path, option: str, message: str
) -> None:
    path = tmp_path / "d.yaml"
    text = deck_text("D", 2, f"# the limits\n{option}")
    with pytest.raises(DeckError) as caught:
        parse_deck(path, text.encode())
    assert str(caught.value).startswith(f"{path}:4: `options`: ")
    assert message in str(caught.value)


def test_options_that_are_not_a_mapping_are_named(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    with pytest.raises(DeckError, match=r"d\.yaml:2: `options` must be a mapping"):
        parse_deck(path, b"name: D\noptions: fast\ncards:\n  - {question: q, answer: a}\n")


BAD_CONFIG_OPTIONS = [
    ("new_per_day = -1", "new_per_day must be a whole number of at least 0"),
    ("new_per_day = '3'", "new_per_day must be a whole number"),
    ("reviews_per_day = true", "reviews_per_day must be a whole number"),
    ("learning_steps = [1, 0]", "learning_steps must be positive numbers"),
    ("relearning_steps = 10", "relearning_steps must be a list of steps"),
    ("desired_retention = 0.995", "desired_retention must be a number from 0.70 to 0.99"),
    ("maximum_interval = 0", "maximum_interval must be a whole number of days from 1 to 36500"),
    ("maximum_interval = 99999999", "maximum_interval must be a whole number of days from 1"),
    ("new_order = 'shuffle'", "new_order must be deck or random"),
    ("leech_action = 'delete'", "leech_action must be tag or suspend"),
    ("bury_siblings = 'no'", "bury_siblings must be true or false"),
    ("new_per_dya = 3", "unknown option 'new_per_dya'"),
]


@pytest.mark.parametrize(("option", "message"), BAD_CONFIG_OPTIONS)
@pytest.mark.parametrize("table", ["[options]", '[decks."aws-s3"]'])
def test_a_bad_option_in_config_names_file_line_and_option(
    isolated_home: Path, table: str, option: str, message: str
) -> None:
    path = write_config(isolated_home, f'profile = "me"\n\n{table}\n# limits\n{option}\n')
    with pytest.raises(UsageError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"{path}:5: {table}: ")
    assert message in str(caught.value)


def test_a_bad_config_option_is_one_line_and_exit_1(runner: CliRunner, isolated_home: Path) -> None:
    path = write_config(isolated_home, "[options]\n\nleech_threshold = -1\n")
    result = runner.invoke(app, ["list-decks"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {path}:3: [options]: leech_threshold must be a whole number of lapses, "
        "at least 0 (0: never), not -1"
    )
    assert "Traceback" not in result.output


def test_a_bad_deck_option_stops_a_study_of_that_deck_in_one_line(
    runner: CliRunner, deck_folder: Path
) -> None:
    path = write_deck(deck_folder, "bad", 2, "learning_steps: [1, -1]")
    result = runner.invoke(app, ["study", "bad", "--decks", str(deck_folder)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"{path}:3:" in lines[0] and "learning_steps" in lines[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("builtin_decks = 'no'\n", "builtin_decks must be true or false"),
        ("options = 3\n", "[options] must be a table of deck options"),
        ("decks = 3\n", "decks must be tables"),
        ("[decks]\nx = 3\n", "[decks.x] must be a table of deck options"),
        ("[fsrs]\n\nretention = 0.9\n", "fsrs: unknown key 'retention'"),
    ],
)
def test_other_bad_config_values_name_their_line(
    isolated_home: Path, text: str, message: str
) -> None:
    path = write_config(isolated_home, text)
    with pytest.raises(UsageError) as caught:
        load_settings()
    line = text.count("\n", 0, text.index(text.strip().splitlines()[-1])) + 1
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_builtin_decks_false_hides_them_from_list_decks_and_study(
    runner: CliRunner, isolated_home: Path
) -> None:
    shown = runner.invoke(app, ["list-decks", "--json"])
    assert "aws-dynamodb" in {row["id"] for row in json.loads(shown.stdout)}
    write_deck(isolated_home / "decks", "mine", 2)
    write_config(isolated_home, "builtin_decks = false\n")
    listed = runner.invoke(app, ["list-decks", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.stdout)] == ["mine"]
    named = runner.invoke(app, ["study", "aws-dynamodb"])
    assert named.exit_code == 1 and "unknown deck 'aws-dynamodb'" in named.output
    studied = runner.invoke(app, ["study"], input="\n4\n\n4\nq\n", env={"FLASHCARDS_NOW": MONDAY})
    assert studied.exit_code == 0, studied.output
    assert "MINE" in studied.stdout and "DynamoDB" not in studied.stdout


def test_a_card_history_is_replayed_with_its_decks_steps(
    runner: CliRunner, deck_folder: Path
) -> None:
    write_deck(deck_folder, "slow", 1, "learning_steps: [30, 120]")
    env = {"FLASHCARDS_NOW": MONDAY}
    studied = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="\n3\nq\n", env=env)
    assert studied.exit_code == 0, studied.output
    shown = runner.invoke(app, ["cards", "slow/c0", "--json", "--decks", str(deck_folder)], env=env)
    assert shown.exit_code == 0, shown.output
    card = json.loads(shown.stdout)
    last = card["reviews"][-1]["state"]
    # Good on a new card moves to the second step, two hours on: the history says so too
    assert last["due"] == card["due"]
    due = datetime.fromisoformat(last["due"]) - datetime.fromisoformat(MONDAY)
    assert 120 * 60 <= due.total_seconds() <= 125 * 60


def test_bury_siblings_set_in_config_holds_for_study_and_list_decks(
    runner: CliRunner, deck_folder: Path, isolated_home: Path
) -> None:
    (deck_folder / "two.yaml").write_text(
        "name: Two\nreverse: true\ncards:\n  - {id: w, question: q, answer: a}\n"
    )
    env = {"FLASHCARDS_NOW": MONDAY}
    studied = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="\n4\nq\n", env=env)
    assert studied.exit_code == 0, studied.output

    def buried() -> int:
        listed = runner.invoke(app, ["list-decks", "--json", "--decks", str(deck_folder)], env=env)
        assert listed.exit_code == 0, listed.output
        return int(json.loads(listed.stdout)[0]["buried"])

    assert buried() == 1
    write_config(isolated_home, '[decks."two"]\nbury_siblings = false\n')
    assert buried() == 0
    again = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="\n4\nq\n", env=env)
    assert "Answered 1 card" in again.stdout and "Two   New 1" in again.stdout
