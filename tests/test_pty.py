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
    # The terminal's own size, as a person's shell gives it (and resizes change it).
    variables.pop("COLUMNS", None)
    variables.pop("LINES", None)
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
    assert child.exitstatus == 130  # as shells report a program stopped by Ctrl-C
    stats = run_json(["stats", "--json", "aws-dynamodb"], env)
    assert isinstance(stats, dict)
    assert stats["total"]["reviews_today"] == 1


def exported_ratings(env: dict[str, str]) -> list[int]:
    result = subprocess.run(
        [*flashcards_command(), "progress", "export"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line)["rating"] for line in result.stdout.splitlines()]


def test_space_and_enter_on_the_answer_grade_good(env: dict[str, str]) -> None:
    child = spawn(["study", "dynamoose"], env)
    child.expect("What is Dynamoose")
    child.expect("show answer")
    child.send(" ")
    child.expect("Good 10m")
    child.expect("q quit")
    child.send(" ")  # Space on the revealed answer
    child.expect("What are some key features of Dynamoose")
    child.expect("show answer")
    child.send("\r")
    child.expect("Good 10m")
    child.expect("q quit")
    child.send("\r")  # Enter on the revealed answer
    child.expect("show answer")  # the first card again, its learning step almost due
    child.send("q")
    child.expect(r"Answered 2 cards \(0 Again\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0  # q is a normal end
    assert exported_ratings(env) == [3, 3]


def test_a_resize_redraws_the_card_at_the_new_width(env: dict[str, str]) -> None:
    child = spawn(["study", "aws-dynamodb"], env)
    child.expect("╭" + "─" * 118 + "╮")
    child.expect("What is DynamoDB")
    child.expect("show answer")
    child.setwinsize(30, 60)  # the terminal sends SIGWINCH
    child.expect("╭" + "─" * 58 + "╮")
    child.expect("What is DynamoDB")
    child.expect("show answer")
    child.send(" ")
    child.expect("NoSQL")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for job control")
def test_ctrl_z_then_fg_brings_back_single_keys_and_redraws(env: dict[str, str]) -> None:
    shell = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-i"],
        env={**env, "PS1": "READY> ", "HISTFILE": "/dev/null"},
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )
    shell.expect("READY> ")
    shell.sendline(" ".join([*flashcards_command(), "study", "dynamoose"]))
    shell.expect("What is Dynamoose")
    shell.expect("show answer")
    shell.sendcontrol("z")
    shell.expect("Stopped")
    shell.expect("READY> ")
    shell.sendline("fg")
    shell.expect("What is Dynamoose")  # drawn again
    shell.expect("show answer")
    shell.send(" ")  # one key, no Enter: single-key mode is back
    shell.expect("similar to Mongoose")
    shell.expect("q quit")
    shell.send("3")
    shell.expect("What are some key features of Dynamoose")
    shell.expect("show answer")
    shell.send("q")
    shell.expect(r"Answered 1 card \(0 Again\)")
    shell.expect("READY> ")
    shell.sendline("echo status=$?")
    shell.expect("status=0")
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
    shell.close()
    assert exported_ratings(env) == [3]
