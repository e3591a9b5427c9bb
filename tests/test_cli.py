"""Every command through typer's CliRunner, with FLASHCARDS_HOME in a temp folder."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards.cli import app

MONDAY = "2026-11-23T10:00:00+01:00"


def invoke(runner: CliRunner, *args: str, input: str | None = None, now: str = MONDAY):
    return runner.invoke(app, list(args), input=input, env={"FLASHCARDS_NOW": now})


def stats_json(runner: CliRunner, now: str = MONDAY) -> dict:
    result = invoke(runner, "stats", "--json", now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_decks_json_shows_the_builtin_decks(runner: CliRunner) -> None:
    result = invoke(runner, "list-decks", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"aws-api-gateway", "aws-dynamodb", "dynamoose"}
    assert rows["aws-api-gateway"]["cards"] == 5
    assert rows["aws-dynamodb"] | {"path": ""} == {
        "id": "aws-dynamodb",
        "name": "AWS DynamoDB",
        "cards": 3,
        "new": 3,
        "due": 0,
        "learning": 0,
        "buried": 0,
        "suspended": 0,
        "path": "",
    }
    assert rows["dynamoose"]["path"].endswith("dynamoose.yaml")


def test_list_decks_table(runner: CliRunner) -> None:
    result = invoke(runner, "list-decks")
    assert result.exit_code == 0
    for text in ("aws-api-gateway", "AWS DynamoDB", "Dynamoose", "Learning", "Source"):
        assert text in result.stdout


def test_study_answers_in_line_mode_and_stats_count_them(runner: CliRunner) -> None:
    # Enter reveals, then 3 (Good), Enter, 1 (Again), then q.
    result = invoke(runner, "study", "aws-dynamodb", input="\n3\n\n1\nq\n")
    assert result.exit_code == 0, result.output
    assert "What is DynamoDB?" in result.stdout
    assert "Good 10m" in result.stdout and "Again 1m" in result.stdout
    assert "Answered 2 cards (1 Again)" in result.stdout
    stats = stats_json(runner)
    deck = next(d for d in stats["decks"] if d["id"] == "aws-dynamodb")
    assert (deck["new"], deck["learning"], deck["reviews_today"]) == (1, 2, 2)
    assert stats["total"]["reviews_today"] == 2
    assert stats["total"]["cards"] == 10


def test_undo_removes_the_answer_from_progress_and_stats(runner: CliRunner) -> None:
    result = invoke(runner, "study", "dynamoose", input="\n3\n\n4\nu\nu\nq\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Undone.") == 2
    assert "Answered 0 cards" in result.stdout
    stats = stats_json(runner)
    assert stats["total"]["reviews_today"] == 0
    assert stats["total"]["new"] == 10
    export = invoke(runner, "progress", "export")
    assert export.stdout.strip() == ""


def test_label_is_exactly_what_the_card_gets(runner: CliRunner) -> None:
    result = invoke(runner, "study", "dynamoose", input="\n4\nq\n")
    easy = next(part for part in result.stdout.split("  ") if part.strip().startswith("Easy"))
    days = int(easy.strip().split()[1].rstrip("d"))
    # the card answered Easy is due exactly that many days later: not due the day before,
    # due on the day (the study day starts at 4 a.m.)
    monday = datetime.fromisoformat(MONDAY)
    later = (monday + timedelta(days=days - 1)).isoformat()
    on_day = (monday + timedelta(days=days)).isoformat()
    before = next(d for d in stats_json(runner, later)["decks"] if d["id"] == "dynamoose")
    after = next(d for d in stats_json(runner, on_day)["decks"] if d["id"] == "dynamoose")
    assert (before["due_today"], after["due_today"]) == (0, 1)


def test_simulated_days_pass_and_cards_come_due(runner: CliRunner) -> None:
    invoke(runner, "study", "dynamoose", input="\n3\n\n3\n\n3\n\n3\nq\n")
    rows = json.loads(invoke(runner, "list-decks", "--json").stdout)
    assert next(r for r in rows if r["id"] == "dynamoose")["learning"] == 0
    week_later = invoke(runner, "list-decks", "--json", now="2026-12-30T10:00:00+01:00")
    assert next(r for r in json.loads(week_later.stdout) if r["id"] == "dynamoose")["due"] == 2


def test_nothing_due_says_when_the_next_card_is(runner: CliRunner) -> None:
    invoke(runner, "study", "dynamoose", input="\n4\n\n4\nq\n")
    result = invoke(runner, "study", "dynamoose", input="")
    assert result.exit_code == 0
    assert "Nothing due now." in result.stdout
    assert "Next card due in" in result.stdout


def test_daily_new_limit_across_sessions(runner: CliRunner, deck_folder: Path) -> None:
    cards = "\n".join(f"  - {{id: c{i}, question: Q{i}, answer: A{i}}}" for i in range(30))
    (deck_folder / "big.yaml").write_text(f"name: Big\ncards:\n{cards}\n")
    easy_all = "\n4\n" * 30 + "q\n"
    first = runner.invoke(
        app, ["study", "--decks", str(deck_folder)], input=easy_all, env={"FLASHCARDS_NOW": MONDAY}
    )
    assert "Answered 20 cards" in first.stdout
    again = runner.invoke(
        app, ["study", "--decks", str(deck_folder)], input=easy_all, env={"FLASHCARDS_NOW": MONDAY}
    )
    assert "Nothing due now." in again.stdout
    tomorrow = runner.invoke(
        app,
        ["study", "--decks", str(deck_folder)],
        input=easy_all,
        env={"FLASHCARDS_NOW": "2026-11-24T10:00:00+01:00"},
    )
    assert "Answered 10 cards" in tomorrow.stdout


def test_unknown_deck_is_one_line_listing_the_ids(runner: CliRunner) -> None:
    result = invoke(runner, "study", "nope", input="q\n")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "unknown deck 'nope'" in result.stderr
    assert "aws-api-gateway, aws-dynamodb, dynamoose" in result.stderr
    assert "Traceback" not in result.output


def test_bad_deck_is_summarised_and_good_ones_still_listed(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "good.yaml").write_text("name: Good\ncards:\n  - {question: q, answer: a}\n")
    (deck_folder / "bad.yaml").write_text("name: Bad\ncards:\n  - question: q\n    answr: a\n")
    result = runner.invoke(app, ["list-decks", "--json", "--decks", str(deck_folder)])
    # the deck was not asked for: list-decks did what it was asked, and says so in one line
    assert result.exit_code == 0
    assert [row["id"] for row in json.loads(result.stdout)] == ["good"]
    assert result.stderr == "1 deck could not be read (bad) — run `flashcards check`\n"


def test_a_deck_file_named_on_the_command_line_fails_with_its_own_error(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "good.yaml").write_text("name: Good\ncards:\n  - {question: q, answer: a}\n")
    (deck_folder / "bad.yaml").write_text("name: Bad\ncards:\n  - question: q\n    answr: a\n")
    args = ["--decks", str(deck_folder / "good.yaml"), "--decks", str(deck_folder / "bad.yaml")]
    result = runner.invoke(app, ["list-decks", "--json", *args])
    assert result.exit_code == 1
    assert [row["id"] for row in json.loads(result.stdout)] == ["good"]
    assert "error: " in result.stderr and "bad.yaml:4: unknown card key 'answr'" in result.stderr
    assert result.stderr.count("\n") == 1
    named = runner.invoke(app, ["stats", "bad", "--decks", str(deck_folder)])
    assert named.exit_code == 1 and "bad.yaml:4: unknown card key 'answr'" in named.stderr


def test_ten_broken_decks_are_one_line_and_do_not_fail_a_study_of_a_good_one(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "good.yaml").write_text("name: Good\ncards:\n  - {question: q, answer: a}\n")
    for index in range(10):
        (deck_folder / f"broken-{index}.yaml").write_text("name: Bad\ncards: 3\n")
    result = runner.invoke(app, ["study", "good", "--decks", str(deck_folder)], input="\n3\nq\n")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "could not be read" in line]
    assert lines == [
        "10 decks could not be read (broken-0, broken-1, broken-2, …) — run `flashcards check`"
    ]
    assert "cards` must be a list" not in result.output
    assert "Answered 1 card" in result.stdout


def test_decks_from_environment_replace_the_search_path(
    runner: CliRunner, deck_folder: Path, tmp_path: Path
) -> None:
    (deck_folder / "one.yaml").write_text("name: One\ncards:\n  - {question: q, answer: a}\n")
    single = tmp_path / "two.yml"
    single.write_text("name: Two\ncards:\n  - {question: q2, answer: a2}\n")
    env = {"FLASHCARDS_DECKS": f"{deck_folder}:{single}"}
    rows = json.loads(runner.invoke(app, ["list-decks", "--json"], env=env).stdout)
    assert [row["id"] for row in rows] == ["one", "two"]


def test_user_deck_folder_is_searched(runner: CliRunner, isolated_home: Path) -> None:
    (isolated_home / "decks").mkdir(parents=True)
    (isolated_home / "decks" / "mine.yaml").write_text(
        "name: Mine\ncards:\n  - {question: q, answer: a}\n"
    )
    rows = json.loads(runner.invoke(app, ["list-decks", "--json"]).stdout)
    assert [row["id"] for row in rows][-1] == "mine" and len(rows) == 4


def test_markup_and_escapes_in_cards_are_shown_as_text(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "x.yaml").write_text(
        'name: "[red]X[/red]"\ncards:\n  - {question: "Is [bold]this[/bold] \\e[31m red?", answer: "[link=x]no[/link]"}\n'
    )
    result = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="\nq\n")
    assert "[red]X[/red]" in result.stdout
    assert "[bold]this[/bold]" in result.stdout
    assert "\\x1b[31m" in result.stdout and "\x1b" not in result.stdout
    assert "[link=x]no[/link]" in result.stdout


def test_bad_flashcards_now_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats"], env={"FLASHCARDS_NOW": "yesterday"})
    assert result.exit_code == 1
    assert "FLASHCARDS_NOW" in result.stderr and "Traceback" not in result.output


def test_store_option_json_folder(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    invoke(runner, "study", "dynamoose", "--store", f"json:{folder}", input="\n3\nq\n")
    assert (folder / "reviews.jsonl").read_text().count("\n") == 1
    assert stats_json(runner)["total"]["reviews_today"] == 0
    result = runner.invoke(
        app, ["stats", "--json", "--store", f"json:{folder}"], env={"FLASHCARDS_NOW": MONDAY}
    )
    assert json.loads(result.stdout)["total"]["reviews_today"] == 1


def test_unknown_store_kind(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats", "--store", "sqlite:/x"])
    assert result.exit_code == 1 and "unknown kind 'sqlite'" in result.stderr


def test_export_import_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    invoke(runner, "study", input="\n3\n\n1\n\n2\n\n4\nq\n")
    out = tmp_path / "history.jsonl"
    assert invoke(runner, "progress", "export", "--out", str(out)).exit_code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["rating"] for line in lines] == [3, 1, 2, 4]
    assert set(lines[0]) >= {"deck", "card", "rating", "reviewed_at", "duration_ms"}
    other = tmp_path / "other"
    first = runner.invoke(app, ["progress", "import", str(out), "--store", f"json:{other}"])
    assert "Imported 4 reviews" in first.stdout
    second = runner.invoke(app, ["progress", "import", str(out), "--store", f"json:{other}"])
    assert "Imported 0 reviews (4 already present)" in second.stdout
    here = stats_json(runner)
    there = json.loads(
        runner.invoke(
            app, ["stats", "--json", "--store", f"json:{other}"], env={"FLASHCARDS_NOW": MONDAY}
        ).stdout
    )
    assert here == there


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "history.jsonl:2: not valid JSON"),
        (
            '{"deck": "d", "card": "c", "rating": 7, "reviewed_at": "2026-01-01T00:00:00+00:00"}',
            "`rating` must be 1, 2, 3 or 4",
        ),
        (
            '{"deck": "d", "card": "c", "rating": 3, "reviewed_at": "2026-01-01T00:00:00"}',
            "needs a UTC offset",
        ),
        (
            '{"deck": "d", "rating": 3, "reviewed_at": "2026-01-01T00:00:00+00:00"}',
            "missing field `card`",
        ),
    ],
)
def test_import_refuses_bad_lines_before_writing(
    runner: CliRunner, tmp_path: Path, line: str, message: str
) -> None:
    good = '{"deck": "d", "card": "c", "rating": 3, "reviewed_at": "2026-01-01T00:00:00+00:00"}'
    path = tmp_path / "history.jsonl"
    path.write_text(f"{good}\n{line}\n")
    result = runner.invoke(app, ["progress", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert stats_json(runner)["total"]["new"] == 10


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("study", "list-decks", "stats", "progress"):
        assert command in result.stdout


@pytest.mark.parametrize("offset", ["+05:30", "+05:45", "-03:30", "+01:00"])
def test_rollover_at_four_in_zones_off_the_hour(
    runner: CliRunner, deck_folder: Path, offset: str
) -> None:
    cards = "\n".join(f"  - {{id: c{i}, question: Q{i}, answer: A{i}}}" for i in range(30))
    (deck_folder / "big.yaml").write_text(f"name: Big\ncards:\n{cards}\n")
    args = ["--decks", str(deck_folder)]
    easy_all = "\n4\n" * 30 + "q\n"
    before = f"2026-03-01T03:45:00{offset}"
    after = f"2026-03-01T04:10:00{offset}"
    first = runner.invoke(app, ["study", *args], input=easy_all, env={"FLASHCARDS_NOW": before})
    assert "Answered 20 cards" in first.stdout
    stats = json.loads(
        runner.invoke(app, ["stats", "--json", *args], env={"FLASHCARDS_NOW": after}).stdout
    )
    assert stats["total"]["reviews_today"] == 0
    second = runner.invoke(app, ["study", *args], input=easy_all, env={"FLASHCARDS_NOW": after})
    assert "Answered 10 cards" in second.stdout


def test_the_last_answer_of_a_session_can_still_be_undone(runner: CliRunner) -> None:
    result = invoke(runner, "study", "dynamoose", input="\n4\n\n4\nu\n")
    assert result.exit_code == 0, result.output
    _, found, after_undo = result.stdout.partition("Done for now.")
    assert found
    assert "u undo the last answer" in after_undo
    assert "What are some key features of Dynamoose" in after_undo and "Undone." in after_undo
    assert "Answered 1 card (0 Again)" in result.stdout
    assert len(invoke(runner, "progress", "export").stdout.splitlines()) == 1


def test_a_bad_deck_is_reported_once_while_the_good_ones_are_studied(
    runner: CliRunner, deck_folder: Path
) -> None:
    (deck_folder / "good.yaml").write_text("name: Good\ncards:\n  - {question: q, answer: a}\n")
    (deck_folder / "bad.yaml").write_text("name: Bad\ncards: 3\n")
    result = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="\n3\nq\n")
    assert result.exit_code == 0
    assert result.output.count("1 deck could not be read (bad)") == 1
    assert "Answered 1 card" in result.stdout
    named = runner.invoke(
        app,
        [
            "study",
            "--decks",
            str(deck_folder / "good.yaml"),
            "--decks",
            str(deck_folder / "bad.yaml"),
        ],
        input="\n3\nq\n",
    )
    assert named.exit_code == 1
    assert named.output.count("bad.yaml:2: `cards` must be a list") == 1
    assert "Answered 1 card" in named.stdout


def test_no_decks_at_all_is_said_plainly(runner: CliRunner, deck_folder: Path) -> None:
    result = runner.invoke(app, ["study", "--decks", str(deck_folder)], input="q\n")
    assert result.exit_code == 1
    assert "no decks found in" in result.stderr and "Traceback" not in result.output


def test_config_file_chooses_the_store_and_profile(runner: CliRunner, isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text('store = "json:elsewhere"\nprofile = "alice"\n')
    invoke(runner, "study", "dynamoose", input="\n3\nq\n")
    assert (isolated_home / "elsewhere" / "reviews.jsonl").read_text().count("\n") == 1
    (isolated_home / "config.toml").write_text('colour = "blue"\n')
    result = invoke(runner, "stats")
    assert result.exit_code == 1 and "unknown key 'colour'" in result.stderr


# --- the command line itself: version, help, completion ----------------------------------


def test_version_and_short_help(runner: CliRunner) -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"flashcards {version('flashcards')}\n"
    for command in ([], ["study"], ["cards"], ["progress"], ["progress", "import"]):
        long, short = (runner.invoke(app, [*command, flag]) for flag in ("--help", "-h"))
        assert short.exit_code == 0 and short.stdout == long.stdout, command
        assert "-h, --help" in short.stdout


@pytest.mark.parametrize("columns", ["80", "40"])
def test_help_texts_are_never_cut(columns: str) -> None:
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": columns}
    for command in ([], ["progress"], ["cards"]):
        result = subprocess.run(
            [sys.executable, "-m", "flashcards", *command, "--help"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "..." not in result.stdout.replace("]...", "]")  # "[ARGS]..." is no cut
        assert all(len(line) <= int(columns) for line in result.stdout.splitlines()), command
        text = " ".join(result.stdout.split())
        if not command:
            for sentence in (
                "Cards by state, what is due, retention and streak, then pictures: the review "
                "calendar, the forecast, true retention, answer buttons, time and memory.",
                "Browse cards with their scheduling state, or show one card and its reviews.",
                "Install completion for the current shell.",
            ):
                assert sentence in text


def test_shell_completion_offers_commands_and_deck_ids(isolated_home: Path) -> None:
    import subprocess

    # typer names the variable after the program; run it as the installed command does
    script = subprocess.run(
        under_bash([*_installed(), "--show-completion"]), capture_output=True, text=True
    )
    assert script.returncode == 0 and "_FLASHCARDS_COMPLETE" in script.stdout
    env = {**os.environ, "_FLASHCARDS_COMPLETE": "complete_bash"}
    commands = subprocess.run(
        _installed(),
        env={**env, "COMP_WORDS": "flashcards st", "COMP_CWORD": "1"},
        capture_output=True,
        text=True,
    )
    assert commands.stdout.split() == ["study", "stats"]
    decks = subprocess.run(
        _installed(),
        env={**env, "COMP_WORDS": "flashcards study dyn", "COMP_CWORD": "2"},
        capture_output=True,
        text=True,
    )
    assert decks.stdout.split() == ["dynamoose"]


def under_bash(argv: list[str]) -> list[str]:
    """``argv`` run by bash. typer finds the shell to complete for by walking up the
    parent processes (shellingham), so the nearest shell must be bash whatever shell
    started the test run; the second command keeps bash from replacing itself."""
    import shlex

    return ["bash", "-c", shlex.join(argv) + "; exit $?"]


def _installed() -> list[str]:
    import shutil
    import sys

    found = shutil.which("flashcards", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the flashcards command is not installed in this environment")
    return [found]


def test_help_and_completion_load_nothing_heavy(isolated_home: Path) -> None:
    import subprocess
    import sys

    for args in (["--help"], ["--show-completion"]):
        result = subprocess.run(
            under_bash([sys.executable, "-X", "importtime", "-m", "flashcards", *args]),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        loaded = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
        assert "typer" in loaded
        for heavy in ("yaml", "markdown_it", "rich.markdown", "fsrs_rs_python", "boto3"):
            assert heavy not in loaded, (args, heavy)
        # only the command layer: the app and its commands, which import the rest when run
        assert not {
            m
            for m in loaded
            if m.startswith("flashcards.") and not m.startswith("flashcards.commands")
        } - {
            "flashcards.cli",
            "flashcards.errors",
            "flashcards.text",
            "flashcards.launch",
        }


def test_space_and_enter_on_the_answer_are_good_in_line_mode(runner: CliRunner) -> None:
    # an empty line is Enter, a line with a space is Space
    result = invoke(runner, "study", "dynamoose", input="\n\n \n \nq\n")
    assert result.exit_code == 0, result.output
    ratings = [
        json.loads(line)["rating"]
        for line in invoke(runner, "progress", "export").stdout.splitlines()
    ]
    assert ratings == [3, 3]


def test_counts_after_the_last_answer_are_current(runner: CliRunner) -> None:
    result = invoke(runner, "study", "dynamoose", input="\n4\n\n4\nq\n")
    assert result.exit_code == 0, result.output
    assert "Done for now." in result.stdout
    before_done = result.stdout[: result.stdout.index("Done for now.")]
    assert before_done.rstrip().splitlines()[-1] == "Dynamoose   New 0 · Learning 0 · Review 0"


@pytest.mark.parametrize("name", ["study", "list-decks", "suspend", "import", "progress"])
def test_a_run_naming_its_command_builds_that_one_alone_and_behaves_the_same(
    runner: CliRunner, name: str
) -> None:
    from flashcards.cli import COMMANDS, make_app

    alone = make_app(name)
    built = alone.registered_commands + alone.registered_groups
    assert len(built) == 1  # the other commands cost this run nothing
    for args in ([name, "--help"], [name, "--no-such-option"]):
        whole = runner.invoke(app, args, prog_name="flashcards")
        one = runner.invoke(alone, args, prog_name="flashcards")
        assert (one.exit_code, one.output) == (whole.exit_code, whole.output)
    assert name in COMMANDS


def test_main_builds_the_named_command_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from flashcards import cli

    made: list[str | None] = []
    real = cli.make_app

    def spy(only: str | None = None):  # type: ignore[no-untyped-def]
        made.append(only)
        return real(only)

    monkeypatch.setattr(cli, "make_app", spy)
    monkeypatch.setattr(sys, "argv", ["flashcards", "list-decks", "--help"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 0 and made == ["list-decks"]
    made.clear()
    monkeypatch.setattr(sys, "argv", ["flashcards", "lst-decks"])  # a typo: the whole app
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2 and made == []


def test_reading_commands_never_create_a_store_folder(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "typo" / "progress"
    store = f"json:{folder}"
    for args in (["list-decks"], ["stats"], ["cards", "--json"], ["check"]):
        result = runner.invoke(app, [*args, "--store", store])
        assert result.exit_code == 0, (args, result.output)
    assert not (tmp_path / "typo").exists()
    result = runner.invoke(app, ["study", "dynamoose", "--store", store], input="\n3\nq\n")
    assert result.exit_code == 0, result.output
    assert (folder / "reviews.jsonl").exists()  # the first answer makes it
