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


KINDS_DECK = """\
name: Card kinds
cards:
  - id: tls
    cloze: "{{c1::TLS}} runs on top of **{{c2::TCP::a protocol}}**"
    extra: TLS 1.3 is RFC 8446.
  - id: dynamodb-what-is
    question: What is DynamoDB?
    answer: Amazon's NoSQL database service
    reverse: true
  - id: port
    question: Which port does HTTPS use?
    answer: "443"
    typed: true
"""


def test_every_card_kind_with_siblings_kept_for_the_next_day(
    env: dict[str, str], tmp_path: Path
) -> None:
    deck = tmp_path / "kinds.yaml"
    deck.write_text(KINDS_DECK, encoding="utf-8")
    study = ["study", "--decks", str(deck)]
    child = spawn(study, env)
    child.expect("New 3")  # one card of each entry: the siblings wait
    child.expect(r"\[\.\.\.\]")
    child.expect(" runs on top of ")
    child.expect("show answer")
    child.send(" ")
    child.expect("TLS")
    child.expect("RFC 8446")
    child.expect("Easy")
    child.send("4")
    child.expect("What is DynamoDB")
    child.expect("show answer")
    child.send(" ")
    child.expect("NoSQL")
    child.expect("Easy")
    child.send("4")
    child.expect("Which port does HTTPS use")
    child.expect("Type the answer")
    child.send("4x")
    child.send("\x7f")  # Backspace
    child.send("3")
    child.send("\x1b[D")  # ← then type before the cursor
    child.send("4")
    child.expect(r"> (\x1b\[[0-9;]*m)*443")
    child.send("\r")
    child.expect("typed answer matches")
    child.send("4")
    child.expect("Done for now")
    child.expect("Next card due in 18h")  # the siblings, at tomorrow's 4 a.m.
    child.send("q")
    child.expect(r"Answered 3 cards \(0 Again\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    same_day = spawn(study, {**env, "FLASHCARDS_NOW": "2026-11-23T23:00:00+01:00"})
    same_day.expect("Nothing due now")
    same_day.expect(pexpect.EOF)
    same_day.close()
    assert same_day.exitstatus == 0

    next_day = spawn(study, {**env, "FLASHCARDS_NOW": "2026-11-24T09:00:00+01:00"})
    next_day.expect("New 2")
    next_day.expect(r"\[a protocol\]")
    next_day.send(" ")
    next_day.expect("Easy")
    next_day.send("4")
    next_day.expect("Amazon's NoSQL database service")  # the reverse card asks the answer
    next_day.expect("show answer")
    next_day.send(" ")
    next_day.expect("What is DynamoDB")
    next_day.expect("Easy")
    next_day.send("4")
    next_day.expect("Done for now")
    next_day.send("q")
    next_day.expect(r"Answered 2 cards")
    next_day.expect(pexpect.EOF)
    next_day.close()
    assert next_day.exitstatus == 0
    assert exported_ratings(env) == [4, 4, 4, 4, 4]


def test_progress_survives_edits_of_a_cloze_text_and_a_reversed_answer(
    env: dict[str, str], tmp_path: Path
) -> None:
    deck = tmp_path / "kinds.yaml"
    deck.write_text(KINDS_DECK, encoding="utf-8")
    answered = "printf '\\n4\\n\\n4\\n443\\n4\\n' | " + " ".join(
        [*flashcards_command(), "study", "--decks", str(deck)]
    )
    subprocess.run(["sh", "-c", answered], env=env, check=True, capture_output=True)
    before = run_json(["cards", "--json", "--decks", str(deck)], env)
    deck.write_text(
        KINDS_DECK.replace("{{c1::TLS}} runs on top of", "These days {{c1::TLS 1.3}} runs over")
        .replace("Amazon's NoSQL database service", "A managed NoSQL database")
        .replace("{{c2::TCP::a protocol}}", "{{c2::TCP::transport}}"),
        encoding="utf-8",
    )
    after = run_json(["cards", "--json", "--decks", str(deck)], env)
    assert isinstance(before, list) and isinstance(after, list)
    assert [row["id"] for row in after] == [row["id"] for row in before]
    assert after[0]["question"].startswith("These days [...] runs over")
    for old, new in zip(before, after, strict=True):
        for field in ("state", "due", "stability", "difficulty", "reps"):
            assert new[field] == old[field], (new["id"], field)
    studied = {row["id"] for row in after if row["reps"]}
    assert studied == {"tls/c1", "dynamodb-what-is", "port"}
