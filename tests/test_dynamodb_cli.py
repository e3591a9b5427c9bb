"""The DynamoDB store end to end through the real command line, against a real dynalite
server process: a study session in a pseudo-terminal, moving progress between stores,
an unreachable endpoint, an outage mid-session, profiles sharing a table, and the
endpoint taken from the AWS environment. One server for the module, a table per test."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pexpect
import pytest
from servers import Dynalite, free_port, isolate_aws
from typer.testing import CliRunner

from flashcards.cli import app

NOW = "2026-11-23T10:00:00+01:00"
#: Generous: a command that hangs on an unreachable endpoint fails here.
COMMAND_TIMEOUT_S = 30
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


# -- fixtures and helpers ----------------------------------------------------------


@pytest.fixture
def server(dynalite_server: Dynalite) -> Dynalite:
    """The module's server, running (a test that stopped it may have failed midway)."""
    dynalite_server.start()
    return dynalite_server


@pytest.fixture
def table() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def env(isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of every command: no AWS configuration or credentials at all (a
    local endpoint must do with dummy ones), a fixed time, this test's FLASHCARDS_HOME.
    Also applied to this process, for CliRunner."""
    isolate_aws(monkeypatch, tmp_path, credentials=False)
    monkeypatch.setenv("FLASHCARDS_NOW", NOW)
    variables = dict(os.environ)
    variables["TERM"] = "xterm-256color"
    return variables


def flashcards_command() -> list[str]:
    installed = shutil.which("flashcards", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-m", "flashcards"]


def spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    command = flashcards_command()
    return pexpect.spawn(
        command[0],
        [*command[1:], *args],
        env=env,
        encoding="utf-8",
        timeout=COMMAND_TIMEOUT_S,
        dimensions=(40, 120),
    )


def run(
    args: list[str], env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*flashcards_command(), *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


def stats_of(args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """``stats --json``: the JSON and what went to stderr."""
    result = run(["stats", "--json", *args], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def deck_of(stats: dict[str, Any], deck: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in stats["decks"] if d["id"] == deck)
    return found


def exported(args: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    result = run(["progress", "export", *args], env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def plain(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


# -- 1. a session in a terminal ------------------------------------------------------


@pytest.mark.dynalite
@pytest.mark.pty
def test_study_in_a_terminal_with_undo_keeps_exactly_the_answers_left(
    server: Dynalite, table: str, env: dict[str, str]
) -> None:
    url = server.url(table)
    started = time.monotonic()
    child = spawn(["study", "dynamoose", "--store", url], env)
    child.expect("What is Dynamoose")
    print(f"time to first question against dynalite: {time.monotonic() - started:.2f} s")
    child.send(" ")
    child.expect("similar to Mongoose")
    child.send("3")
    child.expect("What are some key features of Dynamoose")
    child.send(" ")
    child.expect("Strict data modeling")
    child.send("1")
    child.send("u")  # take the Again back: the card comes back, the message under it
    child.expect("What are some key features of Dynamoose")
    child.expect("Undone")
    child.send(" ")
    child.expect("Easy")
    child.send("4")
    child.send("q")
    child.expect(r"Answered 2 cards \(0 Again\)")
    rest = child.read()
    child.close()
    assert child.exitstatus == 0, rest
    assert "Traceback" not in rest

    stats, errors = stats_of(["--store", url], env)
    assert errors == ""
    deck = deck_of(stats, "dynamoose")
    assert deck["reviews_today"] == 2
    assert (deck["new"], deck["learning"], deck["review"]) == (0, 1, 1)
    assert stats["total"]["reviews_today"] == 2
    reviews = exported(["--store", url], env)
    assert [(r["card"], r["rating"]) for r in reviews] == [
        ("dynamoose-what-is", 3),
        ("dynamoose-key-features", 4),
    ]
    # Nothing of it reached the default JSON store.
    assert stats_of([], env)[0]["total"]["reviews_today"] == 0


# -- 2. JSON -> DynamoDB -> JSON -----------------------------------------------------


@pytest.mark.dynalite
def test_progress_moves_json_to_dynamodb_and_back_unchanged(
    server: Dynalite, table: str, env: dict[str, str], runner: CliRunner, tmp_path: Path
) -> None:
    url = server.url(table)
    invoke(runner, "study", "aws-dynamodb", input="\n3\n\n1\nq\n")
    invoke(runner, "study", "dynamoose", input="\n4\n\n2\nq\n")
    original = json.loads(invoke(runner, "stats", "--json").stdout)
    assert original["total"]["reviews_today"] == 4

    first = tmp_path / "from-json.jsonl"
    invoke(runner, "progress", "export", "--out", str(first))
    result = invoke(runner, "progress", "import", str(first), "--store", url)
    assert "Imported 4 reviews (0 already present)" in result.stdout
    assert table in result.stdout
    in_dynamo = json.loads(invoke(runner, "stats", "--json", "--store", url).stdout)
    assert in_dynamo == original

    again = invoke(runner, "progress", "import", str(first), "--store", url)
    assert "Imported 0 reviews (4 already present)" in again.stdout
    assert json.loads(invoke(runner, "stats", "--json", "--store", url).stdout) == original

    second = tmp_path / "from-dynamodb.jsonl"
    invoke(runner, "progress", "export", "--out", str(second), "--store", url)
    assert sorted(second.read_text().splitlines()) == sorted(first.read_text().splitlines())
    fresh = f"json:{tmp_path / 'fresh'}"
    result = invoke(runner, "progress", "import", str(second), "--store", fresh)
    assert "Imported 4 reviews (0 already present)" in result.stdout
    assert json.loads(invoke(runner, "stats", "--json", "--store", fresh).stdout) == original


# -- 3. unreachable from the start ---------------------------------------------------


def test_an_unreachable_store_is_one_line_on_stderr(env: dict[str, str]) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run(["list-decks", "--store", f"dynamodb://progress?endpoint_url={endpoint}"], env)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: DynamoDB table progress at ")
    assert endpoint in lines[0] and "unreachable" in lines[0]
    assert "Traceback" not in result.stderr


# -- 4. an outage mid-session --------------------------------------------------------


@pytest.mark.dynalite
@pytest.mark.pty
def test_an_outage_mid_session_keeps_the_answer_and_sends_it_later(
    server: Dynalite, table: str, env: dict[str, str], isolated_home: Path
) -> None:
    url = server.url(table)
    child = spawn(["study", "aws-api-gateway", "--store", url], env)
    child.expect("What is Amazon API Gateway")
    child.send(" ")
    child.expect("Again")
    child.send("3")
    child.expect("Why is Amazon API Gateway an important part")
    server.stop()
    try:
        child.send(" ")
        child.expect("Again")
        child.send("3")
        child.expect("How does API Gateway integrate")
        child.expect("show answer")  # the notice is printed under the next card
        child.expect("will be sent next time the store is opened")
        printed = plain(child.before + child.after)
        child.send("q")
        child.expect(r"Answered 2 cards \(0 Again\)")
        rest = child.read()
        child.close()
        assert child.exitstatus == 0, rest
        assert "Traceback" not in printed + rest
        assert "answers are kept in" not in rest  # said once, not again on the way out

        outboxes = list((isolated_home / "outbox").glob("*.jsonl"))
        assert len(outboxes) == 1
        assert len(outboxes[0].read_text().splitlines()) == 1  # the second answer only
        # One notice, naming the endpoint and the outbox file. (Rich wraps it at the
        # terminal's width, so it is compared with whitespace folded.)
        folded = " ".join(printed.split())
        assert folded.count("answers are kept in") == 1
        notice = folded[folded.index(f"DynamoDB table {table} at ") :]
        assert notice.startswith(f"DynamoDB table {table} at {server.endpoint}: unreachable")
        assert str(outboxes[0]) in "".join(printed.split())
        assert "will be sent next time the store is opened" in notice

        # While the server is down the store cannot be opened, so stats cannot answer
        # (the outbox alone does not hold the progress): one line says so.
        down = run(["stats", "--json", "--store", url], env)
        assert down.returncode == 1 and down.stdout == ""
        assert len(down.stderr.splitlines()) == 1, down.stderr
        assert server.endpoint in down.stderr and "unreachable" in down.stderr
        assert outboxes[0].exists()
    finally:
        server.start()

    stats, errors = stats_of(["--store", url], env)
    assert errors.splitlines() == [
        f"DynamoDB table {table} at {server.endpoint}: sent 1 answer(s) kept from an earlier session"
    ]
    assert not outboxes[0].exists()
    deck = deck_of(stats, "aws-api-gateway")
    assert (deck["reviews_today"], deck["learning"], deck["new"]) == (2, 2, 3)
    reviews = exported(["--store", url], env)
    assert len(reviews) == len({r["id"] for r in reviews}) == 2
    assert {r["card"] for r in reviews} == {"api-gateway-what-is", "api-gateway-serverless-role"}

    stats_again, errors = stats_of(["--store", url], env)
    assert errors == ""  # nothing left to send
    assert stats_again == stats


# -- 5. several learners, one table --------------------------------------------------


@pytest.mark.dynalite
def test_profiles_sharing_a_table_see_their_own_progress(
    server: Dynalite, table: str, env: dict[str, str], runner: CliRunner
) -> None:
    url = server.url(table)
    invoke(
        runner, "study", "aws-dynamodb", "--store", url, "--profile", "alice", input="\n3\n\n1\nq\n"
    )
    invoke(runner, "study", "dynamoose", "--store", url, "--profile", "bob", input="\n4\nq\n")

    def stats(profile: str) -> dict[str, Any]:
        out = invoke(runner, "stats", "--json", "--store", url, "--profile", profile).stdout
        found: dict[str, Any] = json.loads(out)
        return found

    alice, bob, carol = stats("alice"), stats("bob"), stats("carol")
    assert deck_of(alice, "aws-dynamodb")["reviews_today"] == 2
    assert deck_of(alice, "dynamoose")["reviews_today"] == 0
    assert (deck_of(alice, "aws-dynamodb")["new"], alice["total"]["learning"]) == (1, 2)
    assert deck_of(bob, "dynamoose")["reviews_today"] == 1
    assert deck_of(bob, "aws-dynamodb")["reviews_today"] == 0
    assert (bob["total"]["review"], bob["total"]["learning"]) == (1, 0)
    assert carol["total"]["reviews_today"] == 0 and carol["total"]["new"] == 10

    out = invoke(runner, "progress", "export", "--store", url, "--profile", "bob").stdout
    assert [json.loads(line)["deck"] for line in out.splitlines()] == ["dynamoose"]


# -- 6. the endpoint from the AWS environment ----------------------------------------


@pytest.mark.dynalite
def test_the_endpoint_may_come_from_aws_endpoint_url_dynamodb(
    server: Dynalite, table: str, env: dict[str, str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        assert name not in env
    assert not Path(env["AWS_SHARED_CREDENTIALS_FILE"]).exists()
    local = {**env, "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint}
    result = run(
        ["study", "aws-dynamodb", "--store", f"dynamodb://{table}"], local, input="\n3\nq\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Answered 1 card (0 Again)" in result.stdout

    # The answer is in that table on that server, as the explicit URL shows.
    stats, _ = stats_of(["--store", server.url(table)], env)
    assert deck_of(stats, "aws-dynamodb")["reviews_today"] == 1
    stats_env, _ = stats_of(["--store", f"dynamodb://{table}"], local)
    assert stats_env == stats


# -- boto3 only when DynamoDB is asked for -------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["list-decks"]])
def test_the_json_store_never_imports_boto3(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "flashcards", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr
    assert "| typer" in result.stderr  # the import log is there
    assert "boto3" not in result.stderr
    assert "botocore" not in result.stderr


# -- a malformed endpoint -----------------------------------------------------------


def test_an_endpoint_with_a_port_out_of_range_is_one_line_naming_it(env: dict[str, str]) -> None:
    endpoint = "http://127.0.0.1:99999"
    from_url = run(["list-decks", "--store", f"dynamodb://progress?endpoint_url={endpoint}"], env)
    from_env = run(
        ["list-decks", "--store", "dynamodb://progress"],
        {**env, "AWS_ENDPOINT_URL_DYNAMODB": endpoint},
    )
    for result in (from_url, from_env):
        assert result.returncode == 1 and result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ") and endpoint in lines[0]
        assert "port" in lines[0] and "Traceback" not in result.stderr
    assert "AWS_ENDPOINT_URL_DYNAMODB" in from_env.stderr
