"""The installed command in a real pseudo-terminal, keys pressed as a person would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.pty

NOW = "2026-11-23T10:00:00+01:00"


def flashcards_command() -> list[str]:
    installed = shutil.which("flashcards", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-m", "flashcards"]


def spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    command = flashcards_command()
    child = pexpect.spawn(
        command[0],
        [*command[1:], *args],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    return child


def run_json(args: list[str], env: dict[str, str]) -> object:
    result = subprocess.run(
        [*flashcards_command(), *args], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.fixture
def env(isolated_home: Path) -> dict[str, str]:
    variables = dict(os.environ)
    variables.update(
        {"FLASHCARDS_HOME": str(isolated_home), "FLASHCARDS_NOW": NOW, "TERM": "xterm-256color"}
    )
    variables.pop("NO_COLOR", None)
    return variables


def test_study_in_a_terminal_with_single_keys_and_undo(env: dict[str, str]) -> None:
    child = spawn(["study", "dynamoose"], env)
    child.expect("What is Dynamoose")
    child.expect("show answer")
    child.send(" ")  # a single key, no Enter
    child.expect("similar to Mongoose")
    child.expect(r"Good (\d+m)")
    good_label = child.match.group(1)
    assert good_label == "10m"
    child.send("3")
    child.expect("What are some key features of Dynamoose")
    child.send(" ")
    child.expect("Strict data modeling")
    child.send("1")
    child.send("u")  # undo the Again: the card comes back, with the message under it
    child.expect("What are some key features of Dynamoose")
    child.expect("show answer")
    child.expect("Undone")
    child.send(" ")
    child.expect("Easy")
    child.send("4")
    child.send("q")
    child.expect(r"Answered 2 cards \(0 Again\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    stats = run_json(["stats", "--json"], env)
    assert isinstance(stats, dict)
    deck = next(d for d in stats["decks"] if d["id"] == "dynamoose")
    assert deck["reviews_today"] == 2
    assert deck["learning"] == 1 and deck["review"] == 1 and deck["new"] == 0


def test_ctrl_c_quits_cleanly_and_keeps_answers(env: dict[str, str]) -> None:
    child = spawn(["study", "aws-dynamodb"], env)
    child.expect("What is DynamoDB")
    child.send("\r")
    child.expect("NoSQL")
    child.send("3")
    child.expect(r"DynamoDB over MongoDB")
    child.sendintr()
    child.expect("Stopped")
    child.expect(r"Answered 1 card")
    rest = child.read()
    child.close()
    assert "Traceback" not in rest
    assert child.exitstatus == 0
    stats = run_json(["stats", "--json", "aws-dynamodb"], env)
    assert isinstance(stats, dict)
    assert stats["total"]["reviews_today"] == 1
